"""SQLiteStore's database layer: the schema, the connections, rows and errors.

One table ``requests`` holds the columns of the DynamoDB items under the same names and with the
same values: times as their stored RFC 3339 strings (:mod:`approvals.times`), the duration as Go
nanoseconds (:mod:`approvals.durations`), ``ttl`` as floored Unix seconds of ``expires_at``. The
three indexes are the three GSIs; the table is WITHOUT ROWID, so each index also carries ``id``
and orders ties by it, which the keyset pagination of the queries relies on.
"""

from __future__ import annotations

import calendar
import os
import sqlite3
import threading
import time
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any

from approvals.durations import StoredDuration, duration_ns
from approvals.errors import StoreError
from approvals.request import Request, RequestStatus
from approvals.store.base import ITEM_ATTRIBUTES
from approvals.times import parse_time, stored_form

__all__ = [
    "COLUMNS",
    "SCHEMA_VERSION",
    "Connections",
    "Lease",
    "decode",
    "encode",
    "store_error",
    "translating",
]

SCHEMA_VERSION = 1
COLUMNS = ITEM_ATTRIBUTES
_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS requests (
        id TEXT NOT NULL PRIMARY KEY,
        requester TEXT NOT NULL,
        profile TEXT NOT NULL,
        justification TEXT NOT NULL,
        duration INTEGER NOT NULL,
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        expires_at TEXT NOT NULL,
        ttl INTEGER,
        approver TEXT,
        approver_comment TEXT
    ) STRICT, WITHOUT ROWID""",
    "CREATE INDEX IF NOT EXISTS gsi_requester ON requests (requester, created_at)",
    "CREATE INDEX IF NOT EXISTS gsi_status ON requests (status, created_at)",
    "CREATE INDEX IF NOT EXISTS gsi_profile ON requests (profile, created_at)",
)
# Idle connections kept for reuse; more can be open while borrowed.
_KEEP_IDLE = 8
# SQLite connections must not cross a fork: every pool closes its idle ones before one, and a
# child sets aside any it still finds, unused and open, for the rest of its life.
_POOLS: weakref.WeakSet[Connections] = weakref.WeakSet()
_INHERITED: list[sqlite3.Connection] = []
# SQLite's primary result codes (the low byte of an extended code).
_BUSY, _LOCKED, _CORRUPT, _NOTADB = 5, 6, 11, 26
# SQLite's own messages of those codes, for Python 3.10, whose errors carry no code.
_CODE_OF_MESSAGE = {
    "database is locked": _BUSY,
    "database table is locked": _LOCKED,
    "database disk image is malformed": _CORRUPT,
    "file is not a database": _NOTADB,
}


def encode(request: Request) -> tuple[Any, ...]:
    """Return the row of ``request``, in :data:`COLUMNS` order, with the wire values
    DynamoDBStore writes."""
    return (
        request.id,
        request.requester,
        request.profile,
        request.justification,
        duration_ns(request.duration),
        request.status.value,
        stored_form(request.created_at),
        stored_form(request.updated_at),
        stored_form(request.expires_at),
        calendar.timegm(request.expires_at.utctimetuple()),
        request.approver,
        request.approver_comment,
    )


def decode(row: Sequence[Any]) -> Request:
    """Return the Request a row holds, as DynamoDBStore returns the same item.

    Raises StoreError (not retryable) for a row that is not a request.
    """
    try:
        status = RequestStatus(row[5])
        return Request(
            id=row[0],
            requester=row[1],
            profile=row[2],
            justification=row[3],
            duration=StoredDuration.from_nanoseconds(row[4]),
            status=status,
            created_at=parse_time(row[6]),
            updated_at=parse_time(row[7]),
            expires_at=parse_time(row[8]),
            approver=row[10] or "",
            approver_comment=row[11] or "",
        )
    except (ValueError, TypeError, OverflowError) as exc:
        raise StoreError(
            f"a stored row is malformed ({exc})", request_id=str(row[0]), retryable=False
        ) from exc


def result_code(exc: BaseException) -> int:
    """The primary SQLite result code of ``exc`` (0 when it has none): its ``sqlite_errorcode``
    (Python 3.11+), else read from SQLite's message."""
    code = getattr(exc, "sqlite_errorcode", None)
    if code is not None:
        return int(code) & 0xFF
    return _CODE_OF_MESSAGE.get(str(exc).split(":")[0], 0)


def store_error(
    exc: sqlite3.Error | OSError, operation: str, path: Path, request_id: str | None
) -> StoreError:
    """Return the StoreError of a database (or file system) error; the caller chains it.

    ``retryable`` is True when the database stayed locked for the whole busy timeout.
    """
    code = result_code(exc)
    if code in (_BUSY, _LOCKED):
        reason = "the database stayed locked by another connection; retry"
    elif code in (_CORRUPT, _NOTADB):
        reason = "the file is not an approvals SQLite database, or it is corrupt"
    else:
        reason = "failed"
    return StoreError(
        f"{operation} on {path}: {reason} ({exc})",
        request_id=request_id,
        retryable=code in (_BUSY, _LOCKED),
    )


@contextmanager
def translating(operation: str, path: Path, request_id: str | None = None) -> Iterator[None]:
    """Turn every sqlite3 and file system error raised inside into a StoreError."""
    try:
        yield
    except (sqlite3.Error, OSError) as exc:
        raise store_error(exc, operation, path, request_id) from exc


class Connections:
    """A pool of connections to one database file, each lent to one thread at a time.

    Every connection runs in autocommit mode (transactions are explicit), with WAL, the given
    ``synchronous`` level and a busy timeout. The first connection creates the parent directory
    and the schema when they are missing.
    """

    def __init__(self, path: Path, timeout: float, synchronous: str) -> None:
        self.path = path
        self._timeout = timeout
        self._synchronous = synchronous
        self._lock = threading.Lock()
        self._idle: list[sqlite3.Connection] = []
        self._closed = False
        self._pid = os.getpid()
        # The requests are nobody else's business: a new directory and file are the user's only
        # (SQLite gives the -wal and -shm files the database file's permissions).
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
        connection = self._connect()
        try:
            _prepare_when_free(connection, path, timeout)
        except BaseException:
            connection.close()
            raise
        self._idle.append(connection)
        _POOLS.add(self)

    def _connect(self) -> sqlite3.Connection:
        connection = sqlite3.connect(
            self.path, timeout=self._timeout, isolation_level=None, check_same_thread=False
        )
        try:
            connection.execute(f"PRAGMA synchronous={self._synchronous}")
        except BaseException:
            connection.close()
            raise
        return connection

    def lease(self, operation: str, request_id: str | None = None, *, write: bool = False) -> Lease:
        """A connection for one operation: ``with connections.lease("get", id) as c: ...``.

        With ``write``, the block runs in ``BEGIN IMMEDIATE`` (the write lock, taken at once),
        committed when it ends and rolled back when it raises. Every sqlite3 error raised in
        the block leaves as a StoreError naming ``operation``.
        """
        return Lease(self, operation, request_id, write)

    def acquire(self) -> sqlite3.Connection:
        """Take an idle connection (or open one); StoreError once the pool is closed."""
        with self._lock:
            if self._closed:
                raise StoreError(f"the store on {self.path} is closed", retryable=False)
            if self._pid != os.getpid():
                # A forked child: a connection of the parent's is never used (nor closed) here.
                _INHERITED.extend(self._idle)
                self._idle, self._pid = [], os.getpid()
            if self._idle:
                return self._idle.pop()
        return self._connect()

    def release(self, connection: sqlite3.Connection) -> None:
        """Give back a connection taken with :meth:`acquire`."""
        if connection.in_transaction:
            connection.rollback()
        with self._lock:
            if not self._closed and len(self._idle) < _KEEP_IDLE:
                self._idle.append(connection)
                return
        connection.close()

    def close(self) -> None:
        """Close the idle connections; lent ones close when given back."""
        with self._lock:
            self._closed = True
        self.close_idle()

    def close_idle(self) -> None:
        """Close the connections no thread is using (they reopen when needed)."""
        with self._lock:
            idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


class Lease:
    """The context manager of :meth:`Connections.lease` (a class: it is on every call's path)."""

    __slots__ = ("_connection", "_connections", "_operation", "_request_id", "_write")

    def __init__(
        self, connections: Connections, operation: str, request_id: str | None, write: bool
    ) -> None:
        self._connections = connections
        self._operation = operation
        self._request_id = request_id
        self._write = write
        self._connection: sqlite3.Connection | None = None

    def __enter__(self) -> sqlite3.Connection:
        try:
            connection = self._connection = self._connections.acquire()
            if self._write:
                connection.execute("BEGIN IMMEDIATE")
        except (sqlite3.Error, OSError) as exc:
            self._give_back()
            raise self._error(exc) from exc
        return connection

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc is None and self._write:
                assert self._connection is not None
                self._connection.execute("COMMIT")
        except sqlite3.Error as failure:
            exc = failure
        finally:
            self._give_back()
        if isinstance(exc, (sqlite3.Error, OSError)):
            raise self._error(exc) from exc

    def _give_back(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                self._connections.release(connection)
            except sqlite3.Error:
                connection.close()

    def _error(self, exc: sqlite3.Error | OSError) -> StoreError:
        return store_error(exc, self._operation, self._connections.path, self._request_id)


def _close_idle_before_fork() -> None:
    for pool in list(_POOLS):
        pool.close_idle()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(before=_close_idle_before_fork)


def _prepare_when_free(connection: sqlite3.Connection, path: Path, timeout: float) -> None:
    """:func:`_prepare`, retried for up to ``timeout`` seconds while another connection holds
    the file: switching a new file to WAL can be refused at once, without SQLite's busy wait,
    while several processes open it for the first time."""
    deadline = time.monotonic() + timeout
    pause = 0.001
    while True:
        try:
            _prepare(connection, path)
            return
        except sqlite3.OperationalError as exc:
            if result_code(exc) not in (_BUSY, _LOCKED) or time.monotonic() + pause > deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def _prepare(connection: sqlite3.Connection, path: Path) -> None:
    """Switch the file to WAL and create the schema unless it is there (idempotent)."""
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise StoreError(
            f"{path} has schema version {version}; this version of approvals reads "
            f"{SCHEMA_VERSION}: upgrade approvals",
            retryable=False,
        )
    mode = connection.execute("PRAGMA journal_mode=WAL").fetchone()[0]
    if str(mode).lower() != "wal":
        raise StoreError(
            f"{path}: SQLite could not use write-ahead logging here (journal mode {mode}); "
            "put the store on a local file system",
            retryable=False,
        )
    connection.execute("BEGIN IMMEDIATE")
    try:
        if connection.execute("PRAGMA user_version").fetchone()[0] == 0:
            for statement in _SCHEMA:
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
    except BaseException:
        connection.rollback()
        raise
    connection.execute("COMMIT")
