"""SQLiteStore: the embedded store, one SQLite file shared safely by threads and processes."""

from __future__ import annotations

import dataclasses
import os
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from approvals.durations import StoredDuration
from approvals.errors import ConcurrentModification, RequestExists, RequestNotFound, ValidationError
from approvals.request import IMMUTABLE_FIELDS, Request, RequestStatus
from approvals.store._sqlite import COLUMNS, Connections, decode, encode, translating
from approvals.store.base import (
    IndexedQueries,
    check_request,
    check_request_id,
    refusal,
)
from approvals.store.paths import default_path
from approvals.times import next_token, stored, stored_form

__all__ = ["DEFAULT_BUSY_TIMEOUT", "PAGE_SIZE", "SQLiteStore", "default_path"]

DEFAULT_BUSY_TIMEOUT = 5.0
"""Seconds a write waits for another connection's write lock before giving up."""
PAGE_SIZE = 200
"""Rows an iterator reads per query."""

_SELECT = f"SELECT {', '.join(COLUMNS)} FROM requests"
_INSERT = f"INSERT INTO requests ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
_INSERT_NEW = f"{_INSERT} ON CONFLICT (id) DO NOTHING"
_GET = f"{_SELECT} WHERE id = ?"
_DELETE = "DELETE FROM requests WHERE id = ?"
# The lock: the row must still have the updated_at the caller read, be pending and keep every
# immutable field, all compared as stored, as DynamoDBStore's condition compares them.
_UPDATE = (
    "UPDATE requests SET status = ?, approver = ?, approver_comment = ?, updated_at = ?"
    " WHERE id = ? AND updated_at = ? AND status = 'pending'"
    + "".join(f" AND {name} = ?" for name in IMMUTABLE_FIELDS)
    + f" RETURNING {', '.join(COLUMNS)}"
)
_INDEXED = ("requester", "status", "profile")
_DAY = 86_400.0


class SQLiteStore(IndexedQueries):
    """A :class:`~approvals.store.Store` in one SQLite file, with DynamoDBStore's semantics and
    wire strings, so export/import between the two is exact.

    Usage::

        with SQLiteStore("~/approvals/requests.sqlite3") as store:
            store.create(Request.new(requester="alice", profile="prod",
                                     justification="Rotate the keys",
                                     duration=timedelta(hours=1)))

    The file and its parent directory are created when missing. Several threads and processes
    may use one file at once (write-ahead logging): a write waits up to ``busy_timeout`` seconds
    for another's lock, then raises a retryable StoreError. With ``synchronous="full"`` (the
    default) every acknowledged write is on disk before the call returns, so it survives a power
    loss; ``"normal"`` skips that wait (each write costs one disk flush less) and still survives
    a crash or kill of the process, but the last writes before a power loss or OS crash may be
    lost (never half written). Every method raises only :class:`~approvals.ApprovalsError`.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout: float = DEFAULT_BUSY_TIMEOUT,
        synchronous: Literal["full", "normal"] = "full",
    ) -> None:
        text = os.fspath(path) if isinstance(path, str | os.PathLike) else None
        if not isinstance(text, str) or not text or text == ":memory:":
            raise ValidationError("path must name a file", field="path")
        if not isinstance(busy_timeout, int | float) or not 0 <= busy_timeout <= _DAY:
            raise ValidationError(
                "busy_timeout must be between 0 and 86400 seconds", field="busy_timeout"
            )
        if synchronous not in ("full", "normal"):
            raise ValidationError(
                f"synchronous must be 'full' or 'normal', got {synchronous!r:.40}",
                field="synchronous",
            )
        self.path = Path(text).expanduser()
        self.busy_timeout = busy_timeout
        self.synchronous = synchronous
        with translating("open", self.path):
            self._connections = Connections(self.path, busy_timeout, synchronous.upper())

    def __repr__(self) -> str:
        return f"SQLiteStore({str(self.path)!r})"

    def __enter__(self) -> SQLiteStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the store's connections; any later call raises StoreError."""
        with translating("close", self.path):
            self._connections.close()

    # -- single-request operations -------------------------------------------------------

    def create(self, request: Request) -> Request:
        """Store a new request and return it as stored.

        ValidationError for an invalid request (nothing is written); RequestExists if the id is
        taken; StoreError for database failures.
        """
        check_request(request)
        row = encode(request)
        with self._connections.lease("create", request.id) as connection:
            if connection.execute(_INSERT_NEW, row).rowcount == 0:
                raise RequestExists(request.id)
        return _as_written(request, row)

    def create_many(self, requests: Iterable[Request]) -> list[Request | None]:
        """Store every request whose id is free, all in one transaction, so the disk is flushed
        once for the lot (an import of many requests is that much faster than one create each).

        Returns, in order, each request as stored, or None where its id was already taken (the
        stored request is left as it was; so is a second request with an id earlier in
        ``requests``). ValidationError, with nothing written, when any request is invalid;
        StoreError for database failures, with nothing written.
        """
        batch = [check_request(request) for request in requests]
        rows = [encode(request) for request in batch]
        with self._connections.lease("create_many", write=True) as connection:
            inserted = [connection.execute(_INSERT_NEW, row).rowcount == 1 for row in rows]
        return [
            _as_written(request, row) if new else None
            for request, row, new in zip(batch, rows, inserted, strict=True)
        ]

    def get(self, request_id: str) -> Request:
        """Return the stored request; ValidationError for a malformed id, RequestNotFound if
        absent."""
        check_request_id(request_id)
        with self._connections.lease("get", request_id) as connection:
            row = connection.execute(_GET, (request_id,)).fetchone()
            if row is None:
                raise RequestNotFound(request_id)
            return decode(row)

    def update(self, request: Request) -> Request:
        """Write the transition of a request read earlier and return it as stored.

        One conditional UPDATE in a write transaction: the row must still have the
        ``updated_at`` the caller read, be pending and keep every immutable field. When it does
        not, the row read in the same transaction decides the refusal, first that applies:
        RequestNotFound, ConcurrentModification, InvalidStateTransition, ValidationError.
        """
        check_request(request)
        with self._connections.lease("update", request.id, write=True) as connection:
            if request.status is not RequestStatus.PENDING:
                written = _conditional_update(connection, request)
                if written is not None:
                    return written
            row = connection.execute(_GET, (request.id,)).fetchone()
            stored_request = None if row is None else decode(row)
            # pending -> pending is never a transition: refusal always reports something.
            error = refusal(stored_request, request)
            if error is not None:
                raise error
            assert stored_request is not None
            # Equal values stored in another representation (a hand-made Request for a row
            # the Go service wrote): lock on the stored representation instead.
            written = _conditional_update(connection, _as_stored(request, stored_request))
            if written is None:
                raise ConcurrentModification(request.id)
            return written

    def delete(self, request_id: str) -> None:
        """Remove the request if it exists (idempotent); ValidationError for a malformed id."""
        check_request_id(request_id)
        with self._connections.lease("delete", request_id) as connection:
            connection.execute(_DELETE, (request_id,))

    # -- internals -----------------------------------------------------------------------

    def _index(
        self, operation: str, name: str, value: str, bound: str | None, page_size: int | None
    ) -> Iterator[Request]:
        return self._rows(operation, name, value, bound, page_size or PAGE_SIZE)

    def _rows(
        self, operation: str, column: str, key: str, bound: str | None, page_size: int
    ) -> Iterator[Request]:
        """Yield the rows of ``column = key`` in index order (created_at, then id, descending),
        one page per query: each page starts after the last row of the one before."""
        assert column in _INDEXED
        if not _encodable(key):
            return  # no stored value is text that UTF-8 cannot encode (a lone surrogate)
        order = " ORDER BY created_at DESC, id DESC LIMIT ?"
        parameters: tuple[Any, ...]
        if bound is None:
            sql, parameters = f"{_SELECT} WHERE {column} = ?{order}", (key, page_size)
        else:
            sql = f"{_SELECT} WHERE {column} = ? AND created_at <= ?{order}"
            parameters = (key, bound, page_size)
        after = f"{_SELECT} WHERE {column} = ? AND (created_at, id) < (?, ?){order}"
        while True:
            with self._connections.lease(operation) as connection:
                rows = connection.execute(sql, parameters).fetchall()
                requests = [decode(row) for row in rows]
            yield from requests
            if len(rows) < page_size:
                return
            sql, parameters = after, (key, rows[-1][6], rows[-1][0], page_size)


def _conditional_update(connection: sqlite3.Connection, request: Request) -> Request | None:
    """Write ``request``'s decision and a new token if the row is still as ``request`` was
    read; return the row as written, or None when the lock condition failed."""
    token = next_token(request.updated_at)
    row = dict(zip(COLUMNS, encode(request), strict=True))
    rows = connection.execute(
        _UPDATE,
        (
            row["status"],
            row["approver"],
            row["approver_comment"],
            stored_form(token),
            row["id"],
            row["updated_at"],
            *(row[name] for name in IMMUTABLE_FIELDS),
        ),
    ).fetchall()
    return decode(rows[0]) if rows else None


def _as_written(request: Request, row: tuple[Any, ...]) -> Request:
    """What a get returns for ``request`` just written as ``row``: times tagged with their
    stored strings, the duration with its stored nanoseconds."""
    return dataclasses.replace(
        request,
        duration=StoredDuration.from_nanoseconds(row[4]),
        created_at=stored(request.created_at),
        updated_at=stored(request.updated_at),
        expires_at=stored(request.expires_at),
    )


def _as_stored(request: Request, stored_request: Request) -> Request:
    """``request`` with the lock token and immutable fields in their stored representation."""
    return dataclasses.replace(
        request,
        updated_at=stored_request.updated_at,
        **{name: getattr(stored_request, name) for name in IMMUTABLE_FIELDS},
    )


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
