"""What the bulk operations need from a store: the :class:`Backend` protocol and its values.

Implemented by :mod:`~approvals.migrate.dynamo` (a store with ``dynamodb_table()``) and
:mod:`~approvals.migrate.generic` (any other store); every method raises only ApprovalsError.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from approvals.migrate.options import BulkOptions
from approvals.request import Request, RequestStatus
from approvals.store import Store

__all__ = ["Backend", "ItemCodec", "Page", "PutOutcome", "RawItem", "ScanRequest"]

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


@dataclass(frozen=True)
class ScanRequest:
    """What one segment's reader scans: ``segment`` from position ``start`` (None: its
    beginning), with the run's ``options`` and ``status`` filter, at most ``read_rate`` read
    units per second (None: unpaced)."""

    segment: str
    start: Any
    options: BulkOptions
    status: RequestStatus | None
    read_rate: float | None


class PutOutcome(enum.Enum):
    """What a create-only write found."""

    CREATED = "created"
    IDENTICAL = "identical"
    CONFLICT = "conflict"


class ItemCodec(Protocol):
    """Converts Requests to raw items and back, in the table's format (a DynamoDBTable is one)."""

    def to_item(self, request: Request) -> dict[str, Any]:
        """Return the raw item of ``request``."""
        ...

    def to_request(self, item: Mapping[str, Any]) -> Request:
        """Return the Request of a raw item; StoreError when the item is malformed."""
        ...


class Backend(Protocol):
    """What bulk operations need from a store."""

    store: Store
    target: str

    @property
    def codec(self) -> ItemCodec:
        """How the backend's items convert to and from Requests."""
        ...

    def segment_names(self, options: BulkOptions, status: RequestStatus | None) -> list[str]:
        """Return the names of the independent scan segments of this run."""
        ...

    def pages(self, scan: ScanRequest) -> Iterator[Page]:
        """Yield the pages of ``scan.segment`` after its position ``scan.start``."""
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
