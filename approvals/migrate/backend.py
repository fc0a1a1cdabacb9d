"""Backends: what the bulk operations need from a store, for DynamoDB and for any other Store.

A :class:`DynamoDBStore` is driven through its bound PynamoDB model (parallel Scan pages,
BatchWriteItem, conditional PutItem), on the items exactly as stored. Any other
:class:`~approvals.store.Store` (a :class:`~approvals.MemoryStore`, an app's wrapper) is driven
through its public methods; its "items" are its requests in the canonical wire form.

Every method raises only :class:`~approvals.ApprovalsError`: botocore and PynamoDB exceptions are
translated by :func:`approvals.store.translate.translate`.
"""

from __future__ import annotations

import enum
import functools
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.constants import TOTAL
from pynamodb.exceptions import AttributeDeserializationError, PynamoDBException

from approvals.attributes import format_rfc3339
from approvals.errors import (
    ApprovalsError,
    RequestExists,
    RequestNotFound,
    StoreError,
    Throttled,
)
from approvals.migrate.throttle import consumed_units, estimate_write_units
from approvals.model import all_of
from approvals.request import Request, RequestStatus
from approvals.store import DynamoDBStore, Store
from approvals.store.translate import CONDITION_FAILED, error_code, translate

__all__ = [
    "MAX_BATCH_ATTEMPTS",
    "Backend",
    "Page",
    "PutOutcome",
    "RawItem",
    "backend_for",
    "write_batch",
]

RawItem = dict[str, dict[str, Any]]
"""An item as DynamoDB stores it: attribute name -> attribute value (``{"S": "..."}``)."""

BATCH_SIZE = 25
"""BatchWriteItem's limit of requests per call."""
MAX_BATCH_ATTEMPTS = 10
"""Calls made for one batch before its unprocessed items are reported as Throttled."""
_BACKOFF_BASE = 0.05
_BACKOFF_CAP = 5.0


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
    if isinstance(store, DynamoDBStore):
        return _DynamoBackend(store)
    return _StoreBackend(store)


def write_batch(
    send: Callable[[list[RawItem]], tuple[list[RawItem], float]],
    items: list[RawItem],
    *,
    sleep: Callable[[float], None] = time.sleep,
    max_attempts: int = MAX_BATCH_ATTEMPTS,
) -> float:
    """Write ``items`` with ``send`` (one BatchWriteItem call returning the unprocessed items and
    the units consumed), retrying the unprocessed ones with exponential backoff and full jitter.

    Returns the units consumed. Raises Throttled when items are still unprocessed after
    ``max_attempts`` calls.
    """
    pending = items
    units = 0.0
    for attempt in range(max_attempts):
        if attempt:
            sleep(random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt)))
        pending, consumed = send(pending)
        units += consumed
        if not pending:
            return units
    raise Throttled(
        f"BatchWriteItem left {len(pending)} items unprocessed after {max_attempts} attempts; "
        "lower the rate limit or raise the table's capacity, then rerun"
    )


def wire(value: datetime) -> str:
    """Return the stored representation of a time (its ``wire`` string when read from a table)."""
    stored: str | None = getattr(value, "wire", None)
    return stored if stored is not None else format_rfc3339(value)


class _DynamoBackend:
    """Bulk access through the store's bound model, on the items exactly as stored."""

    def __init__(self, store: DynamoDBStore) -> None:
        self.store: Store = store
        self._store = store
        self._model = store.model
        # The checkpoint target is the table name alone: the embedded server's port changes on
        # every run, and a resumed run must still match.
        self.target = f"dynamodb:{store.table_name}"

    @property
    def _connection(self) -> Any:
        return self._model._get_connection()

    @contextmanager
    def _translating(self, operation: str, request_id: str | None = None) -> Iterator[None]:
        try:
            yield
        except ApprovalsError:
            raise
        except (ClientError, BotoCoreError, PynamoDBException) as exc:
            raise translate(
                exc,
                operation=operation,
                table=self._store.table_name,
                region=self._store.region,
                request_id=request_id,
            ) from exc

    def segment_names(self, total: int, status: RequestStatus | None) -> list[str]:
        return [str(index) for index in range(total)]

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
        model = self._model
        with self._translating("scan"):
            results = model.scan(
                filter_condition=None if status is None else model.status == status.value,
                segment=int(segment) if total > 1 else None,
                total_segments=total if total > 1 else None,
                page_size=page_size,
                last_evaluated_key=start,
                consistent_read=True,
                rate_limit=read_rate,
            )
        page_iter = results.page_iter
        while True:
            with self._translating("scan"):
                try:
                    page = next(page_iter)
                except StopIteration:
                    return
            next_key = page.get("LastEvaluatedKey")
            yield Page(segment, list(page.get("Items") or []), next_key)
            if next_key is None:
                return

    def to_request(self, raw: RawItem) -> Request:
        request_id = str(raw.get("id", {}).get("S", "")) or None
        try:
            return self._store.to_request(self._model.from_raw_data(raw))
        except StoreError:
            raise
        except (ValueError, TypeError, KeyError, AttributeDeserializationError) as exc:
            raise StoreError(
                f"stored item is malformed ({exc})", request_id=request_id, retryable=False
            ) from exc

    def to_raw(self, request: Request) -> RawItem:
        raw: RawItem = self._store.to_item(request).serialize()
        return raw

    def get_raw(self, request_id: str) -> RawItem | None:
        with self._translating("get", request_id):
            item: RawItem | None = self._connection.get_item(request_id, consistent_read=True).get(
                "Item"
            )
            return item

    def put_new(self, raw: RawItem) -> tuple[PutOutcome, float]:
        request_id = raw["id"]["S"]
        units = 0.0
        # An item deleted between a refused put and the read that explains it: put again.
        for _ in range(3):
            with self._translating("import", request_id):
                try:
                    response = self._connection.put_item(
                        request_id,
                        attributes=raw,
                        condition=self._model.id.does_not_exist(),
                        return_consumed_capacity=TOTAL,
                    )
                    return PutOutcome.CREATED, units + consumed_units(
                        response, fallback=estimate_write_units(raw)
                    )
                except PynamoDBException as exc:
                    if error_code(exc) != CONDITION_FAILED:
                        raise
                units += estimate_write_units(raw)
            stored = self.get_raw(request_id)
            if stored is not None:
                same = self.identical(stored, raw)
                return (PutOutcome.IDENTICAL if same else PutOutcome.CONFLICT), units
        return PutOutcome.CONFLICT, units

    def identical(self, stored: RawItem, raw: RawItem) -> bool:
        return stored == raw

    def put_many(self, raws: list[RawItem]) -> float:
        table = self._store.table_name
        connection = self._connection

        def send(items: list[RawItem]) -> tuple[list[RawItem], float]:
            with self._translating("import"):
                response = connection.batch_write_item(
                    put_items=items, return_consumed_capacity=TOTAL
                )
            unprocessed = (response.get("UnprocessedItems") or {}).get(table) or []
            fallback = sum(estimate_write_units(item) for item in items)
            left = [entry["PutRequest"]["Item"] for entry in unprocessed]
            return left, consumed_units(response, fallback=fallback)

        units = 0.0
        for start in range(0, len(raws), BATCH_SIZE):
            units += write_batch(send, raws[start : start + BATCH_SIZE])
        return units

    def replace(self, raw: RawItem, expected: Request) -> tuple[bool, float]:
        model = self._model
        condition = all_of(
            model.updated_at == expected.updated_at, model.status == expected.status.value
        )
        with self._translating("rewrite", expected.id):
            try:
                response = self._connection.put_item(
                    expected.id,
                    attributes=raw,
                    condition=condition,
                    return_consumed_capacity=TOTAL,
                )
            except PynamoDBException as exc:
                if error_code(exc) != CONDITION_FAILED:
                    raise
                return False, estimate_write_units(raw)
        return True, consumed_units(response, fallback=estimate_write_units(raw))

    def update(self, request: Request) -> Request:
        return self._store.update(request)


@functools.lru_cache(maxsize=1)
def _codec() -> DynamoDBStore:
    # Converts requests to and from the canonical wire form; never connects to anything.
    return DynamoDBStore()


class _StoreBackend:
    """Bulk access through the public Store methods (MemoryStore and app-defined stores).

    Scans iterate by status (a segment per status), ordered by id so that a position is simply
    the last id done. Items are requests in the canonical wire form. ``replace`` and
    ``put_many`` are a delete then a create: not atomic against other threads using the store.
    A request whose status changes during a scan of every status may be read again in its new
    status (a transform should return None for a request it already rewrote).
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self.target = f"store:{type(store).__name__}"

    def segment_names(self, total: int, status: RequestStatus | None) -> list[str]:
        statuses = list(RequestStatus) if status is None else [status]
        return [s.value for s in statuses]

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
        ids = sorted(
            r.id
            for r in self.store.iter_by_status(RequestStatus(segment))
            if start is None or r.id > start
        )
        if not ids:
            yield Page(segment, [], None)
            return
        for offset in range(0, len(ids), page_size):
            chunk = ids[offset : offset + page_size]
            items = []
            for request_id in chunk:
                raw = self.get_raw(request_id)
                if raw is not None:
                    items.append(raw)
            done = offset + page_size >= len(ids)
            yield Page(segment, items, None if done else chunk[-1])

    def to_request(self, raw: RawItem) -> Request:
        codec = _codec()
        try:
            return codec.to_request(codec.model.from_raw_data(raw))
        except StoreError:
            raise
        except (ValueError, TypeError, KeyError, AttributeDeserializationError) as exc:
            raise StoreError(f"item is malformed ({exc})", retryable=False) from exc

    def to_raw(self, request: Request) -> RawItem:
        raw: RawItem = _codec().to_item(request).serialize()
        return raw

    def get_raw(self, request_id: str) -> RawItem | None:
        try:
            return self.to_raw(self.store.get(request_id))
        except RequestNotFound:
            return None

    def put_new(self, raw: RawItem) -> tuple[PutOutcome, float]:
        request = self.to_request(raw)
        for _ in range(3):
            try:
                self.store.create(request)
                return PutOutcome.CREATED, 0.0
            except RequestExists:
                stored = self.get_raw(request.id)
            if stored is not None:
                same = self.identical(stored, raw)
                return (PutOutcome.IDENTICAL if same else PutOutcome.CONFLICT), 0.0
        return PutOutcome.CONFLICT, 0.0

    def identical(self, stored: RawItem, raw: RawItem) -> bool:
        # The store keeps requests, not items: compare the canonical forms.
        return stored == self.to_raw(self.to_request(raw))

    def put_many(self, raws: list[RawItem]) -> float:
        for raw in raws:
            request = self.to_request(raw)
            self.store.delete(request.id)
            self.store.create(request)
        return 0.0

    def replace(self, raw: RawItem, expected: Request) -> tuple[bool, float]:
        try:
            stored = self.store.get(expected.id)
        except RequestNotFound:
            return False, 0.0
        if wire(stored.updated_at) != wire(expected.updated_at) or stored.status is not (
            expected.status
        ):
            return False, 0.0
        self.store.delete(expected.id)
        self.store.create(self.to_request(raw))
        return True, 0.0

    def update(self, request: Request) -> Request:
        return self.store.update(request)
