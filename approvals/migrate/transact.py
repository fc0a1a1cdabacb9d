"""Create-only writes in batches: TransactWriteItems of up to 100 Puts, each conditional on
``attribute_not_exists(id)``. A cancelled transaction's reasons (one per Put) name the ids
already stored; those are compared with their lines and the rest are sent again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from approvals.errors import StoreError, Throttled
from approvals.migrate.protocol import PutOutcome, RawItem
from approvals.migrate.throttle import backoff, consumed_units, estimate_write_units
from approvals.store.table import DynamoDBTable
from approvals.store.translate import UNSUPPORTED_OPERATION, error_code

__all__ = ["MAX_TRANSACTION_ATTEMPTS", "TRANSACTION_SIZE", "put_new_transactions"]

TRANSACTION_SIZE = 100
"""TransactWriteItems' limit of actions per call."""
MAX_TRANSACTION_ATTEMPTS = 10
"""Transactions sent for one batch before the items still unwritten are reported as Throttled."""

_CANCELLED = "TransactionCanceledException"
_EXISTS = "ConditionalCheckFailed"
# Reasons to send the item again after a pause: another transaction or the table's capacity.
_TRANSIENT = {"TransactionConflict", "ThrottlingError", "ProvisionedThroughputExceeded"}


GetRaw = Callable[[str], "RawItem | None"]


def put_new_transactions(
    table: DynamoDBTable, get_raw: GetRaw, raws: list[RawItem]
) -> tuple[list[PutOutcome], float] | None:
    """Write each item of ``raws`` (distinct ids) unless its id is stored, 100 per transaction,
    one transaction at a time; return the outcomes in order and the units consumed, or None
    when the server does not support transactions (then nothing was written).

    ``get_raw`` reads a stored item when a cancellation reason does not carry it.
    """
    outcomes: dict[str, PutOutcome] = {}
    units = 0.0
    for start in range(0, len(raws), TRANSACTION_SIZE):
        written = _write_chunk(table, get_raw, raws[start : start + TRANSACTION_SIZE])
        if written is None:
            if outcomes:  # the server accepted a transaction a moment ago
                raise StoreError("the server stopped accepting TransactWriteItems", retryable=True)
            return None
        outcomes.update(written[0])
        units += written[1]
    return [outcomes[raw["id"]["S"]] for raw in raws], units


def _write_chunk(
    table: DynamoDBTable, get_raw: GetRaw, chunk: list[RawItem]
) -> tuple[dict[str, PutOutcome], float] | None:
    pending = {raw["id"]["S"]: raw for raw in chunk}
    outcomes: dict[str, PutOutcome] = {}
    units = 0.0
    for attempt in range(MAX_TRANSACTION_ATTEMPTS):
        items = list(pending.values())
        estimate = 2 * sum(estimate_write_units(raw) for raw in items)
        with table.operation("import"):
            try:
                response = table.client.transact_write_items(
                    TransactItems=[_put(table.table_name, raw) for raw in items],
                    ReturnConsumedCapacity="TOTAL",
                )
            except ClientError as exc:
                code = error_code(exc)
                if code in UNSUPPORTED_OPERATION and attempt == 0:
                    return None
                if code != _CANCELLED:
                    raise
                reasons: list[Mapping[str, Any]] = list(
                    exc.response.get("CancellationReasons") or []
                )
            else:
                units += consumed_units(response, fallback=estimate)
                outcomes.update(dict.fromkeys(pending, PutOutcome.CREATED))
                return outcomes, units
        units += estimate / 2
        if not _settle(get_raw, items, reasons, pending, outcomes):
            time.sleep(backoff(attempt + 1))
        if not pending:
            return outcomes, units
    raise Throttled(
        f"TransactWriteItems left {len(pending)} items unwritten after {MAX_TRANSACTION_ATTEMPTS} "
        "attempts (other writers or throttling); lower the rate limit, then rerun"
    )


def _put(table_name: str, raw: RawItem) -> dict[str, Any]:
    return {
        "Put": {
            "TableName": table_name,
            "Item": raw,
            "ConditionExpression": "attribute_not_exists(id)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
    }


def _settle(
    get_raw: GetRaw,
    items: list[RawItem],
    reasons: list[Mapping[str, Any]],
    pending: dict[str, RawItem],
    outcomes: dict[str, PutOutcome],
) -> bool:
    """Record the items a cancelled transaction found stored; return True when the rest can be
    sent again at once (False: wait first, the cancellation was transient)."""
    if len(reasons) != len(items):
        raise StoreError(
            f"TransactWriteItems was cancelled with {len(reasons)} reasons for {len(items)} puts",
            retryable=True,
        )
    at_once = True
    for raw, reason in zip(items, reasons, strict=True):
        code = reason.get("Code") or "None"
        request_id = raw["id"]["S"]
        if code == _EXISTS:
            stored: RawItem | None = reason.get("Item") or get_raw(request_id)
            if stored is not None:  # else deleted since: send it again
                same = stored == raw
                outcomes[request_id] = PutOutcome.IDENTICAL if same else PutOutcome.CONFLICT
                del pending[request_id]
        elif code in _TRANSIENT:
            at_once = False
        elif code != "None":
            raise StoreError(
                f"import: the put of {request_id} was refused ({code}: {reason.get('Message')})",
                request_id=request_id,
                retryable=False,
            )
    return at_once
