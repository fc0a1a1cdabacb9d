"""The backend of a :class:`~approvals.DynamoDBStore`: its bound PynamoDB model's connection.

Parallel Scan pages (with PynamoDB's rate limiter), conditional PutItem, and BatchWriteItem with
the unprocessed items retried by :func:`write_batch`, all with ``ReturnConsumedCapacity=TOTAL``
so the caller can pace its writes. The items are handled exactly as stored.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from typing import Any

from pynamodb.constants import TOTAL
from pynamodb.exceptions import AttributeDeserializationError, PynamoDBException

from approvals.errors import (
    StoreError,
    Throttled,
)
from approvals.migrate.backend import Page, PutOutcome, RawItem
from approvals.migrate.throttle import consumed_units, estimate_write_units
from approvals.model import all_of
from approvals.request import Request, RequestStatus
from approvals.store import DynamoDBStore, Store
from approvals.store.translate import CONDITION_FAILED, error_code

__all__ = ["BATCH_SIZE", "MAX_BATCH_ATTEMPTS", "DynamoBackend", "write_batch"]

BATCH_SIZE = 25
"""BatchWriteItem's limit of requests per call."""
MAX_BATCH_ATTEMPTS = 10
"""Calls made for one batch before its unprocessed items are reported as Throttled."""
_BACKOFF_BASE = 0.05
_BACKOFF_CAP = 5.0


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


class DynamoBackend:
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
        with self._store.operation("scan"):
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
            with self._store.operation("scan"):
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
        with self._store.operation("get", request_id):
            item: RawItem | None = self._connection.get_item(request_id, consistent_read=True).get(
                "Item"
            )
            return item

    def put_new(self, raw: RawItem) -> tuple[PutOutcome, float]:
        request_id = raw["id"]["S"]
        units = 0.0
        # An item deleted between a refused put and the read that explains it: put again.
        for _ in range(3):
            with self._store.operation("import", request_id):
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
            with self._store.operation("import"):
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
        with self._store.operation("rewrite", expected.id):
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
