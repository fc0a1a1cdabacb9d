"""What the bulk operations need from a store: the :class:`Backend` protocol and its values.

Two backends implement it: :mod:`approvals.migrate.dynamo` for a store with DynamoDB table
access (``store.dynamodb_table()``; wrappers such as NotifyingStore forward it), on the items
exactly as stored; :mod:`approvals.migrate.generic` for any other store, through its public
methods. :func:`approvals.migrate.backend.backend_for` picks one. Every backend method raises
only :class:`~approvals.ApprovalsError`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Any, Protocol

from approvals.migrate.options import BulkOptions
from approvals.request import Request, RequestStatus
from approvals.store import Store

__all__ = ["Backend", "Page", "PutOutcome", "RawItem", "TableAccess"]

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


class TableAccess(Protocol):
    """What ``store.dynamodb_table()`` returns: raw access to the store's table."""

    @property
    def client(self) -> Any: ...  # the botocore DynamoDB client

    @property
    def table_name(self) -> str: ...

    @property
    def model(self) -> Any: ...  # the RequestModel subclass bound to the table

    def operation(
        self, name: str, request_id: str | None = None
    ) -> AbstractContextManager[None]: ...

    def to_item(self, request: Request) -> dict[str, Any]: ...

    def to_request(self, item: dict[str, Any]) -> Request: ...


class Backend(Protocol):
    """What bulk operations need from a store."""

    store: Store
    target: str

    def segment_names(self, options: BulkOptions, status: RequestStatus | None) -> list[str]:
        """Return the names of the independent scan segments of this run."""
        ...

    def pages(
        self,
        segment: str,
        start: Any,
        *,
        options: BulkOptions,
        status: RequestStatus | None,
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

    def put_new_many(self, raws: list[RawItem], workers: int) -> tuple[list[PutOutcome], float]:
        """Write each item unless its id is stored (distinct ids); return each outcome, in
        order, and the units consumed."""
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
