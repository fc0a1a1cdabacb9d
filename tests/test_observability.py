"""Every DynamoDBStore operation: one structured log record on `approvals`, and one span.

Runs against moto in-process. Spans go to the OpenTelemetry SDK's in-memory exporter; the no-otel
path runs in a subprocess where `opentelemetry` cannot be imported.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

import boto3
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from approvals import DynamoDBStore, RequestNotFound, RequestStatus, TableNotFound
from tests.helpers import REGION, make_dynamodb_store, new_request, run_python

JUSTIFICATION = "Rotate the leaked key for INC-9917"
COMMENT = "only for the rotation itself"


@pytest.fixture
def store(moto: None) -> DynamoDBStore:
    return make_dynamodb_store()


@pytest.fixture
def logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """caplog with the `approvals` logger at DEBUG."""
    with caplog.at_level(logging.DEBUG, logger="approvals"):
        yield caplog


def mine(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    """The store's operation records: the `approvals` logger's own, not its children's."""
    return [record for record in records if record.name == "approvals"]


@pytest.fixture(scope="session")
def _span_exporter() -> InMemorySpanExporter:
    exporter = InMemorySpanExporter()
    provider = trace.get_tracer_provider()
    if not isinstance(provider, TracerProvider):  # the global provider can be set only once
        provider = TracerProvider()
        trace.set_tracer_provider(provider)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return exporter


@pytest.fixture
def spans(_span_exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    _span_exporter.clear()
    yield _span_exporter
    _span_exporter.clear()


def store_spans(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [
        span
        for span in exporter.get_finished_spans()
        if span.attributes and "approvals.operation" in span.attributes
    ]


# -- log records --------------------------------------------------------------------------


def test_an_operation_logs_one_record_with_its_fields(
    store: DynamoDBStore, logs: pytest.LogCaptureFixture
) -> None:
    request = new_request("alice")

    store.create(request)

    [record] = mine(logs.records)
    assert record.levelno == logging.DEBUG
    fields = {
        name: getattr(record, name)
        for name in ("operation", "table", "request_id", "outcome", "round_trips")
    }
    assert fields == {
        "operation": "create",
        "table": store.table_name,
        "request_id": request.id,
        "outcome": "ok",
        "round_trips": 1,
    }
    assert isinstance(record.duration_ms, float) and record.duration_ms >= 0  # type: ignore[attr-defined]
    assert record.consumed_capacity > 0  # type: ignore[attr-defined]
    assert f"request_id={request.id} outcome=ok" in record.getMessage()


def test_every_public_operation_logs_its_own_name(
    store: DynamoDBStore, logs: pytest.LogCaptureFixture
) -> None:
    created = store.create(new_request("alice"))
    store.get(created.id)
    store.update(created.approve("bob"))
    store.list_by_status(RequestStatus.APPROVED)
    list(store.iter_by_profile("production"))
    store.delete(created.id)

    assert [record.operation for record in mine(logs.records)] == [  # type: ignore[attr-defined]
        "create",
        "get",
        "update",
        "list_by_status",
        "iter_by_profile",
        "delete",
    ]


def test_a_refusal_logs_its_error_name_at_debug(
    store: DynamoDBStore, logs: pytest.LogCaptureFixture
) -> None:
    with pytest.raises(RequestNotFound):
        store.get("0123456789abcdef")

    [record] = mine(logs.records)
    assert record.levelno == logging.DEBUG
    assert record.outcome == "RequestNotFound"  # type: ignore[attr-defined]
    assert record.request_id == "0123456789abcdef"  # type: ignore[attr-defined]


def test_a_store_error_logs_a_warning_naming_the_error(
    store: DynamoDBStore, caplog: pytest.LogCaptureFixture
) -> None:
    store.delete_table()
    request = new_request("alice")

    with caplog.at_level(logging.WARNING, logger="approvals"), pytest.raises(TableNotFound):
        store.create(request)

    [record] = mine(caplog.records)
    assert record.levelno == logging.WARNING
    assert record.outcome == "TableNotFound"  # type: ignore[attr-defined]
    assert record.request_id == request.id  # type: ignore[attr-defined]
    assert "does not exist" in record.error  # type: ignore[attr-defined]


def requests_on_two_pages(store: DynamoDBStore) -> None:
    """Store three requests of alice so large that a query needs two 1 MB pages for them."""
    client = boto3.client("dynamodb", region_name=REGION)
    for _ in range(3):
        created = store.create(new_request("alice"))
        # An attribute the library does not know (as another writer may add), near the 400 KB
        # item limit: two items fill a page.
        client.update_item(
            TableName=store.table_name,
            Key={"id": {"S": created.id}},
            UpdateExpression="SET padding = :padding",
            ExpressionAttributeValues={":padding": {"S": "x" * 350_000}},
        )


def test_a_list_call_logs_one_record_for_all_its_pages(
    store: DynamoDBStore, logs: pytest.LogCaptureFixture
) -> None:
    requests_on_two_pages(store)
    logs.clear()

    assert len(store.list_by_requester("alice")) == 3

    [record] = mine(logs.records)
    assert (record.operation, record.round_trips) == ("list_by_requester", 2)  # type: ignore[attr-defined]


def test_an_iterator_logs_one_record_per_page_not_per_item(
    store: DynamoDBStore, logs: pytest.LogCaptureFixture
) -> None:
    requests_on_two_pages(store)
    logs.clear()

    assert len(list(store.iter_by_requester("alice"))) == 3

    logged = mine(logs.records)
    assert [(r.operation, r.round_trips) for r in logged] == [("iter_by_requester", 1)] * 2  # type: ignore[attr-defined]


def test_round_trips_count_every_call_of_one_operation(
    store: DynamoDBStore, logs: pytest.LogCaptureFixture
) -> None:
    store.create_table()  # the table exists: describe the table, then its TTL

    [record] = mine(logs.records)
    assert record.operation == "create_table"  # type: ignore[attr-defined]
    assert record.round_trips >= 2  # type: ignore[attr-defined]


def test_threads_sharing_a_store_count_only_their_own_round_trips(
    store: DynamoDBStore, logs: pytest.LogCaptureFixture
) -> None:
    created = [store.create(new_request("alice")) for _ in range(4)]
    logs.clear()
    start = threading.Barrier(len(created))

    def read(request_id: str) -> None:
        start.wait()
        for _ in range(5):
            store.get(request_id)

    threads = [threading.Thread(target=read, args=(request.id,)) for request in created]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    logged = mine(logs.records)
    assert len(logged) == 20
    assert {record.round_trips for record in logged} == {1}  # type: ignore[attr-defined]


def test_nothing_is_logged_for_success_when_debug_is_off(
    store: DynamoDBStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="approvals"):
        created = store.create(new_request("alice"))
        store.get(created.id)

    assert mine(caplog.records) == []


def test_justification_and_comment_are_never_logged(
    store: DynamoDBStore, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG, logger="approvals"):
        created = store.create(new_request("alice", justification=JUSTIFICATION))
        store.update(created.approve("bob", COMMENT))
        store.list_by_requester("alice")

    approvals_records = [r for r in caplog.records if r.name.startswith("approvals")]
    logged = "\n".join(r.getMessage() for r in approvals_records) + repr(
        [r.__dict__ for r in approvals_records]
    )
    assert approvals_records
    assert JUSTIFICATION not in logged
    assert COMMENT not in logged


# -- spans --------------------------------------------------------------------------------


def test_an_operation_is_one_client_span_with_the_record_fields(
    store: DynamoDBStore, spans: InMemorySpanExporter
) -> None:
    request = new_request("alice")

    store.create(request)

    [span] = store_spans(spans)
    assert span.name == f"create {store.table_name}"
    assert span.kind is SpanKind.CLIENT
    assert span.attributes is not None
    assert span.attributes["approvals.operation"] == "create"
    assert span.attributes["approvals.table"] == store.table_name
    assert span.attributes["approvals.request_id"] == request.id
    assert span.attributes["approvals.outcome"] == "ok"
    assert span.attributes["approvals.round_trips"] == 1
    assert span.attributes["approvals.consumed_capacity"] > 0  # type: ignore[operator]
    assert span.status.status_code is StatusCode.UNSET


def test_a_store_error_span_has_error_status(
    store: DynamoDBStore, spans: InMemorySpanExporter
) -> None:
    store.delete_table()
    spans.clear()

    with pytest.raises(TableNotFound):
        store.get("0123456789abcdef")

    [span] = store_spans(spans)
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["approvals.outcome"] == "TableNotFound"
    assert [event.name for event in span.events] == ["exception"]


def test_a_refusal_span_is_not_an_error(store: DynamoDBStore, spans: InMemorySpanExporter) -> None:
    with pytest.raises(RequestNotFound):
        store.get("0123456789abcdef")

    [span] = store_spans(spans)
    assert span.attributes is not None
    assert span.attributes["approvals.outcome"] == "RequestNotFound"
    assert span.status.status_code is StatusCode.UNSET


def test_spans_are_children_of_the_callers_span(
    store: DynamoDBStore, spans: InMemorySpanExporter
) -> None:
    tracer = trace.get_tracer("test")

    with tracer.start_as_current_span("handle approval") as parent:
        store.create(new_request("alice"))

    [span] = store_spans(spans)
    assert span.parent is not None
    assert span.parent.span_id == parent.get_span_context().span_id


def test_a_list_call_is_one_span(store: DynamoDBStore, spans: InMemorySpanExporter) -> None:
    requests_on_two_pages(store)
    spans.clear()

    store.list_by_requester("alice")

    [span] = store_spans(spans)
    assert span.name == f"list_by_requester {store.table_name}"
    assert span.attributes is not None
    assert span.attributes["approvals.round_trips"] == 2


# -- without opentelemetry ----------------------------------------------------------------


def test_without_opentelemetry_operations_still_log() -> None:
    result = run_python(
        """
        import logging, sys
        sys.modules["opentelemetry"] = None  # as if the extra "otel" were not installed
        from moto import mock_aws
        import approvals.observe
        from approvals import DynamoDBStore
        from tests.helpers import new_request

        assert not approvals.observe.TRACING_AVAILABLE
        logging.basicConfig(level=logging.WARNING, format="%(name)s %(message)s")
        logging.getLogger("approvals").setLevel(logging.DEBUG)
        with mock_aws():
            store = DynamoDBStore("requests", region="us-east-1")
            store.create_table()
            store.create(new_request("alice"))
        """
    )
    assert result.returncode == 0, result.stderr
    assert "approvals dynamodb create table=requests" in result.stderr
    assert "outcome=ok" in result.stderr
