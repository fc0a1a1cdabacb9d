"""One structured log record, and one span, per DynamoDB store operation.

Each operation logs on the ``approvals`` logger when it ends: DEBUG when it succeeded or the
domain refused it, WARNING when it failed with a StoreError. The record's fields (``operation``,
``table``, ``request_id``, ``outcome``, ``duration_ms``, ``round_trips``, ``consumed_capacity``,
``error``) are listed in the README's "Logging and tracing". A ``list_*`` call is one record; an
``iter_*`` iterator one per page fetched. With ``opentelemetry-api`` installed (extra ``otel``)
each record is also a CLIENT span ``"<operation> <table>"``. Nothing is formatted unless the
logger is enabled for the record's level.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from approvals.errors import ApprovalsError, StoreError

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

try:
    from opentelemetry import trace as _trace
except ImportError:  # the optional extra "otel" is not installed: logs only
    _trace = None  # type: ignore[assignment]

__all__ = ["LOGGER_NAME", "TRACING_AVAILABLE", "OperationObserver"]

LOGGER_NAME = "approvals"
"""The logger every store operation record goes to."""
TRACING_AVAILABLE = _trace is not None
"""True when opentelemetry-api is importable, so operations are also spans."""

logger = logging.getLogger(LOGGER_NAME)

# Operations that accept ReturnConsumedCapacity; sending it to any other one is an error.
_CAPACITY_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "DeleteItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_MESSAGE = (
    "dynamodb %s table=%s request_id=%s outcome=%s duration_ms=%.1f round_trips=%d "
    "consumed_capacity=%s"
)


class _Operation:
    """What the botocore hooks count for the operation running on one thread."""

    __slots__ = ("capacity", "round_trips")

    def __init__(self) -> None:
        self.round_trips = 0
        self.capacity: float | None = None


class OperationObserver:
    """Times, counts and reports the operations of one store on one table.

    One observer is shared by every thread using the store: the operation in progress is kept
    per thread, and the botocore hooks add to the one of the thread that makes the call.

    Usage (what DynamoDBStore does)::

        observer = OperationObserver("sentinel-requests", region="eu-west-1")
        with observer.observe("get", request_id) as outermost:
            if outermost:
                observer.instrument(client)
            client.get_item(...)
    """

    def __init__(self, table: str, *, region: str | None = None) -> None:
        self.table = table
        self.region = region
        self._local = threading.local()
        self._lock = threading.Lock()
        self._instrumented: Any = None
        self._tracer: Tracer | None = _trace.get_tracer("approvals") if _trace is not None else None

    def instrument(self, client: Any) -> None:
        """Hook the botocore ``client`` so its calls are counted (idempotent, thread-safe).

        Also asks DynamoDB for the consumed capacity (``ReturnConsumedCapacity=TOTAL``) on
        the operations that support it, where the caller did not ask already. Returns None.
        """
        if client is self._instrumented:
            return
        with self._lock:
            if client is self._instrumented:
                return
            events = client.meta.events
            key = f"approvals-observe-{id(self)}"
            events.register(
                "before-parameter-build.dynamodb", self._ask_capacity, unique_id=f"{key}-ask"
            )
            events.register("before-send.dynamodb", self._count_send, unique_id=f"{key}-send")
            events.register("after-call.dynamodb", self._add_capacity, unique_id=f"{key}-call")
            self._instrumented = client

    @contextmanager
    def observe(self, name: str, request_id: str | None = None) -> Iterator[bool]:
        """Observe the operation ``name`` run in the ``with`` block; yields True when outermost.

        An operation nested in another one on the same thread (the per-item steps of a list
        call) is counted into the outer one and not reported on its own. Exceptions pass through
        unchanged after being reported.
        """
        local = self._local
        if getattr(local, "current", None) is not None:
            yield False
            return
        operation = _Operation()
        local.current = operation
        started = time.perf_counter()
        started_ns = time.time_ns() if self._tracer is not None else 0
        try:
            yield True
        except Exception as exc:
            local.current = None
            self._report(name, request_id, operation, started, started_ns, exc)
            raise
        finally:
            local.current = None
        # A step of an iterator that was served from a page already fetched is not an operation.
        if operation.round_trips:
            self._report(name, request_id, operation, started, started_ns, None)

    # -- botocore hooks (return None: a value returned from before-send replaces the response) --

    def _ask_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if model.name in _CAPACITY_OPERATIONS and "ReturnConsumedCapacity" not in params:
            params["ReturnConsumedCapacity"] = "TOTAL"

    def _count_send(self, **_: Any) -> None:
        operation: _Operation | None = getattr(self._local, "current", None)
        if operation is not None:
            operation.round_trips += 1

    def _add_capacity(self, parsed: Any = None, **_: Any) -> None:
        operation: _Operation | None = getattr(self._local, "current", None)
        if operation is None or not isinstance(parsed, dict):
            return
        consumed = parsed.get("ConsumedCapacity")
        if consumed is None:
            return
        # Batch and transaction calls report a list, one entry per table.
        entries = consumed if isinstance(consumed, list) else [consumed]
        units = sum(float(entry.get("CapacityUnits") or 0.0) for entry in entries)
        operation.capacity = (operation.capacity or 0.0) + units

    # -- reporting -----------------------------------------------------------------------

    def _report(
        self,
        name: str,
        request_id: str | None,
        operation: _Operation,
        started: float,
        started_ns: int,
        error: Exception | None,
    ) -> None:
        duration_ms = (time.perf_counter() - started) * 1000.0
        outcome = "ok" if error is None else type(error).__name__
        # Refusals (not found, lost race, invalid transition) are answers, not failures.
        failed = error is not None and (
            isinstance(error, StoreError) or not isinstance(error, ApprovalsError)
        )
        level = logging.WARNING if failed else logging.DEBUG
        logged = logger.isEnabledFor(level)
        if not logged and self._tracer is None:
            return
        # In _MESSAGE's order: the record's fields are also its arguments.
        fields: dict[str, Any] = {
            "operation": name,
            "table": self.table,
            "request_id": request_id,
            "outcome": outcome,
            "duration_ms": duration_ms,
            "round_trips": operation.round_trips,
            "consumed_capacity": operation.capacity,
        }
        if logged:
            if failed:
                fields["error"] = str(error)
            message = (_MESSAGE + " error=%s") if failed else _MESSAGE
            logger.log(level, message, *fields.values(), extra=fields)
        if self._tracer is not None:
            self._span(fields, started_ns, error if failed else None)

    def _span(self, fields: dict[str, Any], started_ns: int, error: Exception | None) -> None:
        assert self._tracer is not None and _trace is not None
        attributes: dict[str, Any] = {"db.system": "dynamodb"}
        # OpenTelemetry attributes cannot be None: absent values are left out.
        attributes.update(
            (f"approvals.{key}", value)
            for key, value in fields.items()
            if value is not None and key != "error"
        )
        span = self._tracer.start_span(
            f"{fields['operation']} {self.table}",
            kind=_trace.SpanKind.CLIENT,
            attributes=attributes,
            start_time=started_ns,
        )
        if error is not None:
            span.record_exception(error)
            span.set_status(_trace.Status(_trace.StatusCode.ERROR, fields["outcome"]))
        span.end()
