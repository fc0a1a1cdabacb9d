"""MemoryStore: an in-process store with DynamoDBStore's semantics, for tests and demos."""

from __future__ import annotations

import copy
import dataclasses
import threading
from collections.abc import Callable, Iterator
from datetime import datetime

from approvals.errors import RequestExists, RequestNotFound
from approvals.request import Request
from approvals.store.base import (
    IndexedQueries,
    check_request,
    check_request_id,
    refusal,
)
from approvals.times import next_token, stored, stored_form

__all__ = ["MemoryStore"]


class MemoryStore(IndexedQueries):
    """A thread-safe in-memory :class:`~approvals.store.Store` with the same rules as DynamoDB.

    Requests are copied in and out, so callers never share state with the store. Useful as the
    store of an app's unit tests::

        store = MemoryStore()
        store.create(Request.new(requester="alice", profile="prod",
                                 justification="Rotate the keys", duration=timedelta(hours=1)))
    """

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        """``clock`` returns the time stamped as ``updated_at`` (default: now, UTC)."""
        self._lock = threading.Lock()
        self._items: dict[str, Request] = {}
        self._clock = clock

    def create(self, request: Request) -> Request:
        """Store a new request and return it; RequestExists if the id is taken."""
        check_request(request)
        # Times as a table returns them: tagged with the string DynamoDBStore would write.
        kept = dataclasses.replace(
            request,
            created_at=stored(request.created_at),
            updated_at=stored(request.updated_at),
            expires_at=stored(request.expires_at),
        )
        with self._lock:
            if request.id in self._items:
                raise RequestExists(request.id)
            self._items[request.id] = copy.deepcopy(kept)
        return kept

    def get(self, request_id: str) -> Request:
        """Return the stored request; RequestNotFound if there is none."""
        check_request_id(request_id)
        with self._lock:
            stored = self._items.get(request_id)
            if stored is None:
                raise RequestNotFound(request_id)
            return copy.deepcopy(stored)

    def update(self, request: Request) -> Request:
        """Write a transition of a request read earlier; see :meth:`Store.update` for refusals."""
        check_request(request)
        with self._lock:
            stored = self._items.get(request.id)
            error = refusal(stored, request)
            if error is not None:
                raise error
            assert stored is not None
            now = self._clock() if self._clock is not None else None
            written = copy.deepcopy(stored)
            written.status = request.status
            written.approver = request.approver
            written.approver_comment = request.approver_comment
            written.updated_at = next_token(stored.updated_at, now)
            self._items[request.id] = written
            return copy.deepcopy(written)

    def delete(self, request_id: str) -> None:
        """Remove the request if it exists (idempotent)."""
        check_request_id(request_id)
        with self._lock:
            self._items.pop(request_id, None)

    def _index(
        self, operation: str, name: str, value: str, bound: str | None, page_size: int | None
    ) -> Iterator[Request]:
        with self._lock:
            found = [
                copy.deepcopy(r)
                for r in self._items.values()
                if str(getattr(r, name)) == value
                and (bound is None or stored_form(r.created_at) <= bound)
            ]
        # The order of a GSI: created_at strings descending.
        found.sort(key=lambda r: stored_form(r.created_at), reverse=True)
        return iter(found)
