"""Backends: what the bulk operations need from a store (the :class:`Backend` protocol).

A :class:`~approvals.DynamoDBStore` is driven through its bound PynamoDB model, on the items
exactly as stored (:mod:`approvals.migrate.dynamo`). Any other :class:`~approvals.store.Store`
(a :class:`~approvals.MemoryStore`, an app's wrapper) is driven through its public methods; its
"items" are its requests in the canonical wire form (:mod:`approvals.migrate.generic`).

Every backend method raises only :class:`~approvals.ApprovalsError`: botocore and PynamoDB
exceptions are translated by :func:`approvals.store.translate.translate`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from approvals.request import Request, RequestStatus
from approvals.store import DynamoDBStore, Store
from approvals.times import stored_form

__all__ = ["Backend", "Page", "PutOutcome", "RawItem", "backend_for", "wire"]

RawItem = dict[str, dict[str, Any]]
"""An item as DynamoDB stores it: attribute name -> attribute value (``{"S": "..."}``)."""


@dataclass
class Page:
    """One page of a segment's scan: its items and where the segment resumes after them.

    ``next_key`` is JSON-ready (it is stored in checkpoints); None means the segment is done.
    """

    segment: str
    items: list[RawItem]
    next_key: Any


class PutOutcome(enum.Enum):
    """What a create-only write found."""

    CREATED = "created"
    IDENTICAL = "identical"
    CONFLICT = "conflict"


class Backend(Protocol):
    """What bulk operations need from a store."""

    store: Store
    target: str

    def segment_names(self, total: int, status: RequestStatus | None) -> list[str]:
        """Return the names of the independent scan segments."""
        ...

    def pages(
        self,
        segment: str,
        start: Any,
        *,
        total: int,
        status: RequestStatus | None,
        page_size: int,
        read_rate: float | None,
    ) -> Iterator[Page]:
        """Yield the pages of ``segment`` after position ``start`` (None: from its beginning)."""
        ...

    def to_request(self, raw: RawItem) -> Request:
        """Return the request an item holds; StoreError when it is malformed."""
        ...

    def to_raw(self, request: Request) -> RawItem:
        """Return the item the store writes for ``request``."""
        ...

    def get_raw(self, request_id: str) -> RawItem | None:
        """Return the stored item (strongly consistent), or None."""
        ...

    def identical(self, stored: RawItem, raw: RawItem) -> bool:
        """True when the stored item is what writing ``raw`` would store."""
        ...

    def put_new(self, raw: RawItem) -> tuple[PutOutcome, float]:
        """Write ``raw`` unless its id is stored; return the outcome and the units consumed."""
        ...

    def put_many(self, raws: list[RawItem]) -> float:
        """Write every item (replacing any stored one); return the units consumed."""
        ...

    def replace(self, raw: RawItem, expected: Request) -> tuple[bool, float]:
        """Replace the stored item by ``raw`` only while it is still ``expected`` (same
        updated_at representation and status); return (written, units consumed)."""
        ...

    def update(self, request: Request) -> Request:
        """The store's conditional update."""
        ...


def backend_for(store: Store) -> Backend:
    """Return the backend driving ``store``."""
    # Imported here: both implementations build on the types of this module.
    from approvals.migrate.dynamo import DynamoBackend
    from approvals.migrate.generic import StoreBackend

    if isinstance(store, DynamoDBStore):
        return DynamoBackend(store)
    return StoreBackend(store)


def wire(value: datetime) -> str:
    """Return the stored representation of a time (its ``wire`` string when read from a table)."""
    return stored_form(value)
