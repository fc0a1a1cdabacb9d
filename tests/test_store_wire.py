"""DynamoDBStore sends and reads exactly what PynamoDB's model would.

The store builds its PutItem/UpdateItem calls from the bound model's attributes and reads raw
items without model instances (``store.dynamodb_table()``). These tests hold those calls and
readings to PynamoDB's own: ``Model.get_save_kwargs_from_instance`` /
``get_update_kwargs_from_instance`` with ``RequestModel.lock_condition``, and
``Model.from_raw_data``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pynamodb.constants import ALL_NEW, ALL_OLD

from approvals import DynamoDBStore, Request, RequestStatus
from approvals.attributes import StoredDuration, StoredTime
from approvals.errors import StoreError
from approvals.model import RequestModel
from approvals.store import DynamoDBTable
from approvals.times import next_token
from tests.helpers import (
    REGION,
    field_by_field,
    go_written_item,
    go_written_items,
    make_dynamodb_store,
    new_request,
)

UTC = timezone.utc
GO_PENDING = ("3f9a1c0d5e7b2a41", "feedfacefeedface")


@pytest.fixture(scope="module")
def codec_store() -> DynamoDBStore:
    # Building calls and reading items touches no table: no backend needed.
    return DynamoDBStore("sentinel-requests", region=REGION)


@pytest.fixture(scope="module")
def table(codec_store: DynamoDBStore) -> DynamoDBTable:
    return codec_store.dynamodb_table()


def _pynamodb_item(store: DynamoDBStore, request: Request) -> RequestModel:
    """The model instance PynamoDB would save for ``request``."""
    return store.model(
        id=request.id,
        requester=request.requester,
        profile=request.profile,
        justification=request.justification,
        duration=request.duration,
        status=request.status.value,
        created_at=request.created_at,
        updated_at=request.updated_at,
        expires_at=request.expires_at,
        ttl=request.expires_at,
        approver=request.approver,
        approver_comment=request.approver_comment,
    )


def _pynamodb_read(store: DynamoDBStore, raw: dict[str, Any]) -> Request:
    item = store.model.from_raw_data(raw)
    return Request(
        id=item.id,
        requester=item.requester,
        profile=item.profile,
        justification=item.justification,
        duration=item.duration,
        status=RequestStatus(item.status),
        created_at=item.created_at,
        updated_at=item.updated_at,
        expires_at=item.expires_at,
        approver=item.approver or "",
        approver_comment=item.approver_comment or "",
    )


def _go_read(store: DynamoDBStore, request_id: str) -> Request:
    return _pynamodb_read(store, go_written_item(request_id))


def _in_another_zone(request: Request) -> Request:
    # Request normalises times to UTC on construction; a caller may still assign others later.
    moved = dataclasses.replace(request)
    moved.created_at = request.created_at.astimezone(ZoneInfo("America/New_York"))
    return moved


# 01:30 EDT on the night New York's clocks go back: a wall time that occurs twice. An aware
# datetime there equals no datetime of another zone, so only UTC times compare equal.
REPEATED_HOUR = datetime(2026, 11, 1, 5, 30, tzinfo=UTC)


def _fresh(store: DynamoDBStore) -> Request:
    return new_request()


def _go_pending(store: DynamoDBStore) -> Request:
    return _go_read(store, GO_PENDING[0])


def _go_approved(store: DynamoDBStore) -> Request:
    return _go_read(store, "a0b1c2d3e4f50617")


def _fresh_in_another_zone(store: DynamoDBStore) -> Request:
    return _in_another_zone(new_request(now=REPEATED_HOUR))


REQUESTS: dict[str, Callable[[DynamoDBStore], Request]] = {
    "fresh": _fresh,
    "go-pending": _go_pending,
    "go-approved": _go_approved,
    "other-zone": _fresh_in_another_zone,
}


@pytest.mark.parametrize("make", REQUESTS.values(), ids=REQUESTS.keys())
def test_create_sends_the_put_item_pynamodb_builds(
    codec_store: DynamoDBStore, table: DynamoDBTable, make: Callable[[DynamoDBStore], Request]
) -> None:
    request = make(codec_store)
    expected = _pynamodb_item(codec_store, request).get_save_kwargs_from_instance(
        condition=codec_store.model.id.does_not_exist(),
        return_values_on_condition_failure=ALL_OLD,
    )
    assert table.converter.put_item_kwargs(table.table_name, request) == expected
    assert table.to_item(request) == expected["Item"]


def _pynamodb_update_kwargs(
    store: DynamoDBStore, request: Request, token: datetime
) -> dict[str, Any]:
    model = store.model
    item = _pynamodb_item(store, request)
    kwargs = item.get_update_kwargs_from_instance(
        [
            model.status.set(request.status.value),
            model.approver.set(request.approver),
            model.approver_comment.set(request.approver_comment),
            model.updated_at.set(token),
        ],
        condition=model.lock_condition(item, expected_status=RequestStatus.PENDING.value),
        return_values_on_condition_failure=ALL_OLD,
    )
    kwargs["ReturnValues"] = ALL_NEW
    return kwargs


UPDATES: dict[str, Callable[[DynamoDBStore], Request]] = {
    "fresh-approve": lambda s: new_request().approve("bob", "fine by me"),
    "fresh-cancel": lambda s: new_request().cancel(),
    "go-deny": lambda s: _go_read(s, GO_PENDING[0]).deny(
        "bob", now=datetime(2026, 11, 20, tzinfo=UTC)
    ),
    "go-cancel": lambda s: _go_read(s, GO_PENDING[1]).cancel(),
    "other-zone": lambda s: _in_another_zone(new_request().expire()),
}


@pytest.mark.parametrize("make", UPDATES.values(), ids=UPDATES.keys())
def test_update_sends_the_update_item_pynamodb_builds(
    codec_store: DynamoDBStore, table: DynamoDBTable, make: Callable[[DynamoDBStore], Request]
) -> None:
    request = make(codec_store)
    token = next_token(request.updated_at)
    expected = _pynamodb_update_kwargs(codec_store, request, token)
    assert table.converter.update_item_kwargs(table.table_name, request, token) == expected


def test_an_update_of_a_go_item_compares_its_stored_strings(
    codec_store: DynamoDBStore, table: DynamoDBTable
) -> None:
    raw = go_written_item(GO_PENDING[0])
    raw = {**raw, "duration": {"N": "3600000000123"}}  # finer than a timedelta holds
    read = _pynamodb_read(codec_store, raw)
    kwargs = table.converter.update_item_kwargs(
        table.table_name, read.cancel(), next_token(read.updated_at)
    )
    sent = list(kwargs["ExpressionAttributeValues"].values())
    for name in ("updated_at", "created_at", "expires_at", "duration"):
        assert raw[name] in sent


@pytest.mark.parametrize("raw", go_written_items(), ids=lambda item: item["id"]["S"])
def test_an_item_reads_as_pynamodb_reads_it(
    codec_store: DynamoDBStore, table: DynamoDBTable, raw: dict[str, Any]
) -> None:
    read = table.to_request(raw)
    assert field_by_field(read) == field_by_field(_pynamodb_read(codec_store, raw))
    assert all(isinstance(getattr(read, n), StoredTime) for n in ("created_at", "expires_at"))
    assert isinstance(read.duration, StoredDuration)


def _broken(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    item = go_written_item(GO_PENDING[0])
    change(item)
    return item


# Values PynamoDB's from_raw_data refuses: the store fails on the same value.
REFUSED_BY_PYNAMODB: dict[str, dict[str, Any]] = {
    "malformed-time": _broken(lambda i: i.update(created_at={"S": "last tuesday"})),
    "malformed-duration": _broken(lambda i: i.update(duration={"N": "1h"})),
    "malformed-ttl": _broken(lambda i: i.update(ttl={"N": "soon"})),
    "wrong-type": _broken(lambda i: i.update(requester={"N": "7"})),
}
# Items PynamoDB reads but that hold no request: the error names what is wrong.
NOT_A_REQUEST: dict[str, tuple[dict[str, Any], str]] = {
    "unknown-status": (_broken(lambda i: i.update(status={"S": "revoked"})), "revoked"),
    "missing-field": (_broken(lambda i: i.pop("justification")), "justification"),
    "null-field": (_broken(lambda i: i.update(profile={"NULL": True})), "profile"),
    "missing-everything-but-id": ({"id": {"S": "0123456789abcdef"}}, "requester"),
}


@pytest.mark.parametrize("raw", REFUSED_BY_PYNAMODB.values(), ids=REFUSED_BY_PYNAMODB.keys())
def test_a_value_pynamodb_refuses_is_a_store_error_caused_by_the_same_failure(
    codec_store: DynamoDBStore, table: DynamoDBTable, raw: dict[str, Any]
) -> None:
    try:
        codec_store.model.from_raw_data(raw)
    except Exception as exc:  # whatever PynamoDB raised, the store must fail on the same value
        expected = exc
    else:
        pytest.fail("PynamoDB read a malformed item")
    with pytest.raises(StoreError) as caught:
        table.to_request(raw)
    assert caught.value.request_id == raw["id"]["S"]
    assert not caught.value.retryable
    assert type(caught.value.__cause__) is type(expected)
    assert str(caught.value.__cause__) == str(expected)


@pytest.mark.parametrize(("raw", "named"), NOT_A_REQUEST.values(), ids=NOT_A_REQUEST.keys())
def test_an_item_that_is_no_request_is_a_store_error_naming_the_problem(
    codec_store: DynamoDBStore, table: DynamoDBTable, raw: dict[str, Any], named: str
) -> None:
    codec_store.model.from_raw_data(raw)  # PynamoDB reads it; only a Request cannot hold it
    with pytest.raises(StoreError, match=named) as caught:
        table.to_request(raw)
    assert caught.value.request_id == raw["id"]["S"]
    assert not caught.value.retryable


@pytest.mark.usefixtures("moto")
@pytest.mark.parametrize("make", REQUESTS.values(), ids=REQUESTS.keys())
def test_create_returns_exactly_what_a_get_returns(
    make: Callable[[DynamoDBStore], Request],
) -> None:
    store = make_dynamodb_store()
    request = make(store)
    created = store.create(request)
    read = store.get(request.id)
    assert created == read
    assert field_by_field(created) == field_by_field(read)
    assert created is not request
