"""The backend of a store with DynamoDB table access (``store.dynamodb_table()``).

Calls go to the table's botocore client inside its ``operation`` context (errors translated,
one logged operation), with ``ReturnConsumedCapacity=TOTAL``, on the items exactly as stored.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import ClientError

from approvals.errors import Throttled
from approvals.migrate.options import BulkOptions
from approvals.migrate.protocol import Page, PutOutcome, RawItem, ScanRequest
from approvals.migrate.throttle import (
    CapacityLimiter,
    backoff,
    consumed_units,
    estimate_read_units,
    estimate_write_units,
)
from approvals.migrate.transact import put_new_transactions
from approvals.request import Request, RequestStatus
from approvals.store import Store
from approvals.store.table import DynamoDBTable
from approvals.store.translate import CONDITION_FAILED, error_code
from approvals.times import stored_form

__all__ = ["BATCH_SIZE", "MAX_BATCH_ATTEMPTS", "DynamoBackend", "write_batch"]

BATCH_SIZE = 25
"""BatchWriteItem's limit of requests per call."""
MAX_BATCH_ATTEMPTS = 10
"""Calls made for one batch before its unprocessed items are reported as Throttled."""
_NEW_ONLY = "attribute_not_exists(id)"


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
            sleep(backoff(attempt))
        pending, consumed = send(pending)
        units += consumed
        if not pending:
            return units
    raise Throttled(
        f"BatchWriteItem left {len(pending)} items unprocessed after {max_attempts} attempts; "
        "lower the rate limit or raise the table's capacity, then rerun"
    )


class DynamoBackend:
    """Bulk access through the table's botocore client, on the items exactly as stored."""

    def __init__(self, store: Store, table: DynamoDBTable) -> None:
        self.store = store
        self.table = table
        self.codec = table
        # The checkpoint target is the table name alone: a resumed run matches whatever endpoint
        # reaches the table (a local server's port may differ between runs).
        self.target = f"dynamodb:{table.table_name}"
        self.transactions = True  # False once the server refused TransactWriteItems

    def segment_names(self, options: BulkOptions, status: RequestStatus | None) -> list[str]:
        share = options.share
        if share is not None:
            return [str(share[0])]
        return [str(index) for index in range(options.segments)]

    def pages(self, scan: ScanRequest) -> Iterator[Page]:
        options, status = scan.options, scan.status
        share = options.share
        total = share[1] if share is not None else options.segments
        request: dict[str, Any] = {
            "TableName": self.table.table_name,
            "ConsistentRead": True,
            "Limit": options.page_size,
            "ReturnConsumedCapacity": "TOTAL",
        }
        if total > 1:
            request.update(Segment=int(scan.segment), TotalSegments=total)
        if status is not None:
            request.update(
                FilterExpression="#status = :status",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":status": {"S": status.value}},
            )
        limiter = None if scan.read_rate is None else CapacityLimiter(scan.read_rate)
        key = scan.start
        while True:
            if key is not None:
                request["ExclusiveStartKey"] = key
            if limiter is not None:
                limiter.acquire()
            with self.table.operation("scan"):
                response = self.table.client.scan(**request)
            if limiter is not None:
                items = response.get("Items") or []
                limiter.consume(consumed_units(response, fallback=estimate_read_units(items)))
            key = response.get("LastEvaluatedKey")
            yield Page(scan.segment, response.get("Items") or [], key)
            if key is None:
                return

    def get_raw(self, request_id: str) -> RawItem | None:
        with self.table.operation("get", request_id):
            response = self.table.client.get_item(
                TableName=self.table.table_name, Key={"id": {"S": request_id}}, ConsistentRead=True
            )
        item: RawItem | None = response.get("Item")
        return item

    def identical(self, stored: RawItem, raw: RawItem) -> bool:
        return stored == raw

    def put_new(self, raw: RawItem) -> tuple[PutOutcome, float]:
        """One conditional PutItem; an item already stored is compared with ``raw``."""
        request_id = raw["id"]["S"]
        units = 0.0
        # An item deleted between a refused put and the read that explains it: put again.
        for _ in range(3):
            with self.table.operation("import", request_id):
                try:
                    response = self.table.client.put_item(
                        TableName=self.table.table_name,
                        Item=raw,
                        ConditionExpression=_NEW_ONLY,
                        ReturnConsumedCapacity="TOTAL",
                    )
                    return PutOutcome.CREATED, units + consumed_units(
                        response, fallback=estimate_write_units(raw)
                    )
                except ClientError as exc:
                    if error_code(exc) != CONDITION_FAILED:
                        raise
                units += estimate_write_units(raw)
            stored = self.get_raw(request_id)
            if stored is not None:
                same = self.identical(stored, raw)
                return (PutOutcome.IDENTICAL if same else PutOutcome.CONFLICT), units
        return PutOutcome.CONFLICT, units

    def put_new_many(self, raws: list[RawItem], workers: int) -> tuple[list[PutOutcome], float]:
        if self.transactions:
            written = put_new_transactions(self.table, self.get_raw, raws)
            if written is not None:
                return written
            self.transactions = False
        # A server without transactions (dynalite): single conditional puts, several at once
        # on the client's connection pool.
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="approvals-put") as pool:
            results = list(pool.map(self.put_new, raws))
        return [outcome for outcome, _ in results], sum(units for _, units in results)

    def put_many(self, raws: list[RawItem]) -> float:
        table_name = self.table.table_name

        def send(items: list[RawItem]) -> tuple[list[RawItem], float]:
            with self.table.operation("import"):
                response = self.table.client.batch_write_item(
                    RequestItems={table_name: [{"PutRequest": {"Item": i}} for i in items]},
                    ReturnConsumedCapacity="TOTAL",
                )
            unprocessed = (response.get("UnprocessedItems") or {}).get(table_name) or []
            fallback = sum(estimate_write_units(item) for item in items)
            left = [entry["PutRequest"]["Item"] for entry in unprocessed]
            return left, consumed_units(response, fallback=fallback)

        units = 0.0
        for start in range(0, len(raws), BATCH_SIZE):
            units += write_batch(send, raws[start : start + BATCH_SIZE])
        return units

    def replace(self, raw: RawItem, expected: Request) -> tuple[bool, float]:
        with self.table.operation("rewrite", expected.id):
            try:
                response = self.table.client.put_item(
                    TableName=self.table.table_name,
                    Item=raw,
                    ConditionExpression="updated_at = :updated_at AND #status = :status",
                    ExpressionAttributeNames={"#status": "status"},
                    ExpressionAttributeValues={
                        ":updated_at": {"S": stored_form(expected.updated_at)},
                        ":status": {"S": expected.status.value},
                    },
                    ReturnConsumedCapacity="TOTAL",
                )
            except ClientError as exc:
                if error_code(exc) != CONDITION_FAILED:
                    raise
                return False, estimate_write_units(raw)
        return True, consumed_units(response, fallback=estimate_write_units(raw))
