"""DynamoDBStore beyond the shared contract: Go-written items, round trips, translation."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from pynamodb.exceptions import PynamoDBException

from approvals import (
    MAX_QUERY_LIMIT,
    ConcurrentModification,
    DynamoDBStore,
    RequestStatus,
    StoreError,
    TableNotFound,
    ValidationError,
)
from approvals.times import format_time
from tests.helpers import REGION, go_written_items, make_dynamodb_store, new_request

pytestmark = pytest.mark.usefixtures("moto")
UTC = timezone.utc


class CallCounter:
    """Counts the HTTP requests a store's botocore client sends, by operation."""

    def __init__(self, store: DynamoDBStore) -> None:
        self.calls: list[str] = []
        store.dynamodb_table().client.meta.events.register("before-send.dynamodb.*", self._count)

    def _count(self, request: Any, **_: Any) -> None:
        self.calls.append(request.headers["X-Amz-Target"].decode().split(".")[-1])

    def reset(self) -> None:
        self.calls.clear()


@pytest.fixture
def store() -> DynamoDBStore:
    return make_dynamodb_store()


@pytest.fixture
def counter(store: DynamoDBStore) -> CallCounter:
    return CallCounter(store)


def _put_raw(store: DynamoDBStore, item: dict[str, Any]) -> None:
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=store.table_name, Item=item)


def _raw(store: DynamoDBStore, request_id: str) -> dict[str, Any]:
    item: dict[str, Any] = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=store.table_name, Key={"id": {"S": request_id}}
    )["Item"]
    return item


@pytest.fixture
def go_store(store: DynamoDBStore) -> DynamoDBStore:
    for item in go_written_items():
        _put_raw(store, item)
    return store


# -- items the Go service wrote --------------------------------------------------------------

GO_EXPECTED = {
    "3f9a1c0d5e7b2a41": dict(
        requester="alice",
        profile="production",
        justification="Deploy hotfix for incident INC-4821",
        duration=timedelta(hours=1),
        status=RequestStatus.PENDING,
        created_at=datetime(2026, 11, 20, 9, 15, 2, 120783, UTC),
        updated_at=datetime(2026, 11, 20, 9, 15, 2, 120783, UTC),
        expires_at=datetime(2026, 11, 21, 9, 15, 2, 120783, UTC),
        approver="",
        approver_comment="",
    ),
    "a0b1c2d3e4f50617": dict(
        requester="carol",
        profile="staging",
        justification="Rotate the staging database credentials",
        duration=timedelta(hours=2),
        status=RequestStatus.APPROVED,
        created_at=datetime(2026, 11, 20, 11, 0, 0, 123456, UTC),
        updated_at=datetime(2026, 11, 20, 11, 5, 42, 0, UTC),
        expires_at=datetime(2026, 11, 21, 11, 0, 0, 123456, UTC),
        approver="bob",
        approver_comment="ok, go ahead",
    ),
    "00000000000000ff": dict(
        requester="dave",
        profile="production",
        justification="Investigate elevated 5xx rates on the API",
        duration=timedelta(minutes=30),
        status=RequestStatus.DENIED,
        created_at=datetime(2026, 11, 20, 10, 0, 0, 0, UTC),
        updated_at=datetime(2026, 11, 20, 10, 30, 0, 0, UTC),
        expires_at=datetime(2026, 11, 21, 10, 0, 0, 0, UTC),
        approver="erin",
        approver_comment="use the read-only role",
    ),
    "deadbeefcafef00d": dict(
        requester="frank",
        profile="billing",
        justification="Export invoices for the quarterly audit",
        duration=timedelta(hours=8),
        status=RequestStatus.CANCELLED,
        created_at=datetime(2026, 11, 20, 12, 45, 10, 500000, UTC),
        updated_at=datetime(2026, 11, 20, 12, 50, 0, 0, UTC),
        expires_at=datetime(2026, 11, 21, 12, 45, 10, 500000, UTC),
        approver="",
        approver_comment="",
    ),
    "1234567890abcdef": dict(
        requester="alice",
        profile="production",
        justification="Apply the emergency security patch",
        duration=timedelta(hours=1),
        status=RequestStatus.EXPIRED,
        created_at=datetime(2026, 11, 18, 8, 0, 0, 900000, UTC),
        updated_at=datetime(2026, 11, 19, 8, 0, 1, 0, UTC),
        expires_at=datetime(2026, 11, 19, 8, 0, 0, 900000, UTC),
        approver="",
        approver_comment="",
    ),
    "feedfacefeedface": dict(
        requester="gina",
        profile="sandbox",
        justification="Reproduce the customer bug in sandbox",
        duration=timedelta(minutes=15),
        status=RequestStatus.PENDING,
        created_at=datetime(2026, 11, 20, 9, 0, 0, 0, UTC),
        updated_at=datetime(2026, 11, 20, 9, 0, 0, 0, UTC),
        expires_at=datetime(2026, 11, 21, 9, 0, 0, 0, UTC),
        approver="",
        approver_comment="",
    ),
}


def test_the_fixture_covers_every_expected_item() -> None:
    assert {item["id"]["S"] for item in go_written_items()} == set(GO_EXPECTED)


@pytest.mark.parametrize("request_id", sorted(GO_EXPECTED))
def test_go_written_items_read_with_every_field_right(
    go_store: DynamoDBStore, request_id: str
) -> None:
    request = go_store.get(request_id)
    assert dataclasses.asdict(request) == {"id": request_id, **GO_EXPECTED[request_id]}
    assert all(
        value.tzinfo is UTC
        for value in (request.created_at, request.updated_at, request.expires_at)
    )


@pytest.mark.parametrize("request_id", ["3f9a1c0d5e7b2a41", "feedfacefeedface"])
def test_go_written_pending_items_update_without_a_false_conflict(
    go_store: DynamoDBStore, request_id: str
) -> None:
    request = go_store.get(request_id)
    decided = request.deny("bob", now=request.created_at)
    stored = go_store.update(decided)
    assert stored.status is RequestStatus.DENIED
    raw = _raw(go_store, request_id)
    assert raw["updated_at"]["S"] == format_time(stored.updated_at)
    # Immutable fields keep the Go service's own strings.
    original = next(i for i in go_written_items() if i["id"]["S"] == request_id)
    for name in ("created_at", "expires_at", "duration", "justification", "ttl"):
        assert raw[name] == original[name]


def test_a_hand_built_request_for_a_go_item_updates(go_store: DynamoDBStore) -> None:
    read = go_store.get("feedfacefeedface")
    plain = {
        name: datetime.fromtimestamp(getattr(read, name).timestamp(), UTC)
        for name in ("created_at", "updated_at", "expires_at")
    }
    hand_built = dataclasses.replace(read, duration=timedelta(minutes=15), **plain)
    assert go_store.update(hand_built.cancel()).status is RequestStatus.CANCELLED


def test_a_nanosecond_token_change_is_a_concurrent_modification(store: DynamoDBStore) -> None:
    item = next(i for i in go_written_items() if i["id"]["S"] == "3f9a1c0d5e7b2a41")
    item = {**item, "updated_at": {"S": "2026-11-20T09:15:02.120783001Z"}}
    _put_raw(store, item)
    read = store.get("3f9a1c0d5e7b2a41")
    _put_raw(store, {**item, "updated_at": {"S": "2026-11-20T09:15:02.120783002Z"}})
    with pytest.raises(ConcurrentModification):
        store.update(read.cancel())


def test_lists_order_go_items_by_time_whatever_their_format(go_store: DynamoDBStore) -> None:
    listed = go_store.list_by_requester("alice")
    assert [r.id for r in listed] == ["3f9a1c0d5e7b2a41", "1234567890abcdef"]
    pending = go_store.list_by_status(RequestStatus.PENDING)
    assert [r.id for r in pending] == ["3f9a1c0d5e7b2a41", "feedfacefeedface"]


def _exactly(request: Any) -> dict[str, tuple[Any, ...]]:
    # Field by field: the value, its type and what it remembers of its stored form.
    return {
        name: (
            type(value),
            value,
            getattr(value, "wire", None),
            getattr(value, "nanoseconds", None),
        )
        for name, value in ((f.name, getattr(request, f.name)) for f in dataclasses.fields(request))
    }


def test_queries_read_every_go_item_exactly_as_get_does(go_store: DynamoDBStore) -> None:
    read = {
        request.id: request
        for status in RequestStatus
        for request in go_store.iter_by_status(status)
    }
    assert set(read) == set(GO_EXPECTED)
    for request_id, request in read.items():
        assert _exactly(request) == _exactly(go_store.get(request_id))
    listed = go_store.list_by_requester("alice") + go_store.list_by_profile("production")
    assert all(_exactly(r) == _exactly(read[r.id]) for r in listed)


# -- round trips -----------------------------------------------------------------------------


def test_each_single_request_operation_is_one_round_trip(
    store: DynamoDBStore, counter: CallCounter
) -> None:
    request = new_request()
    store.create(request)
    read = store.get(request.id)
    store.update(read.approve("bob"))
    store.delete(request.id)
    assert counter.calls == ["PutItem", "GetItem", "UpdateItem", "DeleteItem"]


def test_a_refused_update_is_classified_in_one_round_trip(
    store: DynamoDBStore, counter: CallCounter
) -> None:
    created = store.create(new_request())
    store.update(created.cancel())
    counter.reset()
    with pytest.raises(ConcurrentModification):
        store.update(created.approve("bob"))
    assert counter.calls == ["UpdateItem"]


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.create(dataclasses.replace(new_request(), justification="short")),
        lambda s: s.get("nope"),
        lambda s: s.delete("NOPE0123456789AB"),
        lambda s: s.update(
            dataclasses.replace(new_request(), status=RequestStatus.APPROVED, approver="alice")
        ),
        lambda s: s.update(dataclasses.replace(new_request(), created_at=datetime(2026, 1, 1))),
        lambda s: s.list_by_requester(""),
        lambda s: s.list_by_status("bogus"),
    ],
    ids=["create", "get", "delete", "update-self-approval", "update-naive", "list", "status"],
)
def test_bad_input_raises_validation_error_without_a_call(
    store: DynamoDBStore, counter: CallCounter, call: Any
) -> None:
    with pytest.raises(ValidationError):
        call(store)
    assert counter.calls == []


def test_lists_follow_pages_past_dynamodbs_one_megabyte_cap(
    store: DynamoDBStore, counter: CallCounter
) -> None:
    created = [store.create(new_request()) for _ in range(12)]
    for request in created:  # pad each item to ~100 KB, so 12 of them span two pages
        raw = _raw(store, request.id)
        _put_raw(store, {**raw, "padding": {"S": "x" * 100_000}})
    counter.reset()
    assert len(store.list_by_requester("alice")) == 12
    assert counter.calls.count("Query") >= 2
    counter.reset()
    assert len(list(store.iter_by_requester("alice"))) == 12
    assert counter.calls.count("Query") >= 2


def test_a_list_above_the_maximum_limit_returns_the_maximum(store: DynamoDBStore) -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    template = store.dynamodb_table().to_item(new_request())
    items = [{**template, "id": {"S": f"{n:016x}"}} for n in range(MAX_QUERY_LIMIT + 20)]
    for start in range(0, len(items), 25):
        batch = [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
        client.batch_write_item(RequestItems={store.table_name: batch})
    assert len(store.list_by_requester("alice", limit=MAX_QUERY_LIMIT * 5)) == MAX_QUERY_LIMIT


def test_iterators_fetch_nothing_until_iterated(store: DynamoDBStore, counter: CallCounter) -> None:
    iterator = store.iter_by_status(RequestStatus.PENDING)
    assert counter.calls == []
    assert list(iterator) == []


# -- error translation -----------------------------------------------------------------------


def test_a_missing_table_raises_table_not_found_naming_table_and_region() -> None:
    store = DynamoDBStore("no-such-table", region=REGION)
    with pytest.raises(TableNotFound) as caught:
        store.get("0123456789abcdef")
    message = str(caught.value)
    assert "no-such-table" in message
    assert REGION in message
    assert caught.value.retryable is False
    assert caught.value.request_id == "0123456789abcdef"
    assert isinstance(caught.value.__cause__, (ClientError, PynamoDBException))


@pytest.mark.parametrize(
    "operation",
    [
        lambda s: s.create(new_request()),
        lambda s: s.update(new_request().cancel()),
        lambda s: s.delete("0123456789abcdef"),
        lambda s: s.list_by_requester("alice"),
        lambda s: list(s.iter_by_profile("production")),
    ],
    ids=["create", "update", "delete", "list", "iter"],
)
def test_no_backend_exception_escapes_any_operation(operation: Any) -> None:
    with pytest.raises(TableNotFound):
        operation(DynamoDBStore("no-such-table", region=REGION))


def test_an_item_with_an_unknown_status_raises_store_error(store: DynamoDBStore) -> None:
    created = store.create(new_request())
    _put_raw(store, {**_raw(store, created.id), "status": {"S": "revoked"}})
    with pytest.raises(StoreError, match="revoked") as caught:
        store.get(created.id)
    assert caught.value.request_id == created.id


def test_an_item_with_a_malformed_time_raises_store_error(store: DynamoDBStore) -> None:
    created = store.create(new_request())
    _put_raw(store, {**_raw(store, created.id), "created_at": {"S": "last tuesday"}})
    with pytest.raises(StoreError, match="malformed"):
        store.get(created.id)
    with pytest.raises(StoreError):
        store.list_by_requester("alice")


def test_an_item_missing_a_field_raises_store_error(store: DynamoDBStore) -> None:
    created = store.create(new_request())
    raw = _raw(store, created.id)
    del raw["justification"]
    _put_raw(store, raw)
    with pytest.raises(StoreError, match="justification"):
        store.get(created.id)


def test_an_invalid_table_name_raises_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        DynamoDBStore("no spaces allowed")
    assert caught.value.field == "table_name"


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVALS_READ_TIMEOUT", "2.5")
    monkeypatch.setenv("APPROVALS_MAX_RETRIES", "7")
    store = DynamoDBStore(region=REGION, max_pool_connections=32)
    assert store.model.Meta.read_timeout_seconds == 2.5
    assert store.model.Meta.max_retry_attempts == 7
    assert store.model.Meta.max_pool_connections == 32


def test_a_malformed_setting_in_the_environment_raises_validation_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPROVALS_MAX_RETRIES", "many")
    with pytest.raises(ValidationError, match="APPROVALS_MAX_RETRIES"):
        DynamoDBStore(region=REGION)


def test_time_format_is_canonical_for_new_writes(store: DynamoDBStore) -> None:
    created = store.create(new_request(now=datetime(2026, 11, 28, 1, 2, 3, 4, UTC)))
    assert _raw(store, created.id)["created_at"] == {"S": "2026-11-28T01:02:03.000004001Z"}
