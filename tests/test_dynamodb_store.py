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
from tests.helpers import (
    REGION,
    field_by_field,
    go_written_item,
    go_written_items,
    make_dynamodb_store,
    new_request,
)

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

# How each Go item reads, beside its strings: those read verbatim (absent approver fields as "").
GO_STATUS_AND_DURATION = {
    "3f9a1c0d5e7b2a41": (RequestStatus.PENDING, timedelta(hours=1)),
    "a0b1c2d3e4f50617": (RequestStatus.APPROVED, timedelta(hours=2)),
    "00000000000000ff": (RequestStatus.DENIED, timedelta(minutes=30)),
    "deadbeefcafef00d": (RequestStatus.CANCELLED, timedelta(hours=8)),
    "1234567890abcdef": (RequestStatus.EXPIRED, timedelta(hours=1)),
    "feedfacefeedface": (RequestStatus.PENDING, timedelta(minutes=15)),
}
# created_at and updated_at in UTC, cut to the microsecond; each expires a day after creation.
GO_TIMES = {
    "3f9a1c0d5e7b2a41": ("2026-11-20 09:15:02.120783", "2026-11-20 09:15:02.120783"),
    "a0b1c2d3e4f50617": ("2026-11-20 11:00:00.123456", "2026-11-20 11:05:42"),
    "00000000000000ff": ("2026-11-20 10:00:00", "2026-11-20 10:30:00"),
    "deadbeefcafef00d": ("2026-11-20 12:45:10.500000", "2026-11-20 12:50:00"),
    "1234567890abcdef": ("2026-11-18 08:00:00.900000", "2026-11-19 08:00:01"),
    "feedfacefeedface": ("2026-11-20 09:00:00", "2026-11-20 09:00:00"),
}
STRING_FIELDS = ("requester", "profile", "justification", "approver", "approver_comment")


def _go_expected(request_id: str) -> dict[str, Any]:
    item = go_written_item(request_id)
    status, duration = GO_STATUS_AND_DURATION[request_id]
    created, updated = (datetime.fromisoformat(t).replace(tzinfo=UTC) for t in GO_TIMES[request_id])
    return {
        "id": request_id,
        **{name: item.get(name, {"S": ""})["S"] for name in STRING_FIELDS},
        "duration": duration,
        "status": status,
        "created_at": created,
        "updated_at": updated,
        "expires_at": created + timedelta(days=1),
    }


def test_the_fixture_covers_every_expected_item() -> None:
    ids = {item["id"]["S"] for item in go_written_items()}
    assert ids == set(GO_STATUS_AND_DURATION) == set(GO_TIMES)


@pytest.mark.parametrize("request_id", sorted(GO_TIMES))
def test_go_written_items_read_with_every_field_right(
    go_store: DynamoDBStore, request_id: str
) -> None:
    request = go_store.get(request_id)
    assert dataclasses.asdict(request) == _go_expected(request_id)
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
    original = go_written_item(request_id)
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
    item = {
        **go_written_item("3f9a1c0d5e7b2a41"),
        "updated_at": {"S": "2026-11-20T09:15:02.120783001Z"},
    }
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


def test_queries_read_every_go_item_exactly_as_get_does(go_store: DynamoDBStore) -> None:
    read = {
        request.id: request
        for status in RequestStatus
        for request in go_store.iter_by_status(status)
    }
    assert set(read) == set(GO_TIMES)
    for request_id, request in read.items():
        assert field_by_field(request) == field_by_field(go_store.get(request_id))
    listed = go_store.list_by_requester("alice") + go_store.list_by_profile("production")
    assert all(field_by_field(r) == field_by_field(read[r.id]) for r in listed)


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
