"""Hostile input: every field either round-trips exactly or is refused before any call.

Generated values cover unicode of every category (surrogates included), control characters,
strings of hundreds of kilobytes, empty strings, naive datetimes and text that looks like
DynamoDB expression syntax. Nothing reaches DynamoDB unless it is valid, nothing is written
partially, and no botocore or PynamoDB exception ever escapes.
"""

from __future__ import annotations

import contextlib
import dataclasses
from datetime import datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from approvals import (
    ApprovalsError,
    DynamoDBStore,
    Request,
    RequestNotFound,
    RequestStatus,
    ValidationError,
    new_request_id,
)
from tests.helpers import make_dynamodb_store
from tests.reliability import record

EXPRESSION_LIKE = [
    ":v",
    "#status",
    "id = :x OR",
    "attribute_exists(id)",
    "' OR '1'='1",
    '"; DROP TABLE sentinel-requests; --',
    "${status}",
    ":updated_at AND #x",
    "SET #s = :s REMOVE approver",
]
any_text = st.text(alphabet=st.characters(codec=None, categories=None), max_size=80)
hostile_text = st.one_of(
    any_text,
    st.sampled_from(EXPRESSION_LIKE),
    st.just(""),
    st.just("x" * 400_000),
    st.builds(lambda s, n: s * n, st.sampled_from(["é", "😀", "\x00", "a"]), st.integers(0, 2000)),
)
any_datetime = st.one_of(
    st.datetimes(timezones=st.none()),
    st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
    ),
)
any_duration = st.one_of(
    st.timedeltas(min_value=timedelta(seconds=-10), max_value=timedelta(hours=9)),
    st.sampled_from([timedelta(0), timedelta(hours=8), timedelta(microseconds=1)]),
)
FIELDS: dict[str, Any] = {
    "requester": hostile_text,
    "profile": hostile_text,
    "justification": hostile_text,
    "approver_comment": hostile_text,
    "duration": any_duration,
    "created_at": any_datetime,
    "expires_at": any_datetime,
    "updated_at": any_datetime,
}
GENERATED: dict[str, int] = {"round_tripped": 0, "refused": 0}
DECISIONS: dict[str, int] = {"round_tripped": 0, "refused": 0}
IDS: dict[str, int] = {"well_formed": 0, "refused": 0}
CALLS: list[str] = []


@pytest.fixture(scope="module")
def dynalite_store(dynalite_endpoint: str) -> DynamoDBStore:
    store = make_dynamodb_store(dynalite_endpoint)
    store.dynamodb_table().client.meta.events.register(
        "before-send.dynamodb.*", lambda **_: CALLS.append("x")
    )
    return store


def _template() -> Request:
    return Request.new(
        requester="alice",
        profile="production",
        justification="Deploy the hotfix for INC-4821",
        duration=timedelta(hours=1),
    )


def _create_or_refuse(store: DynamoDBStore, request: Request) -> None:
    calls_before = len(CALLS)
    try:
        request.validate()
    except ValidationError:
        with pytest.raises(ValidationError):
            store.create(request)
        assert len(CALLS) == calls_before, "an invalid request reached DynamoDB"
        with pytest.raises(RequestNotFound):
            store.get(request.id)
        GENERATED["refused"] += 1
        return
    try:
        stored = store.create(request)
    except ApprovalsError as error:  # only a library error may come out, and only by design
        pytest.fail(f"a valid request was refused by the store: {error!r}")
    assert stored == request
    assert store.get(request.id) == request
    GENERATED["round_tripped"] += 1


@pytest.mark.parametrize("field", sorted(FIELDS))
def test_any_value_of_a_field_round_trips_or_is_refused_before_any_call(
    dynalite_store: DynamoDBStore, field: str
) -> None:
    @settings(
        max_examples=40,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(value=FIELDS[field])
    def check(value: Any) -> None:
        request = dataclasses.replace(_template(), id=new_request_id(), **{field: value})
        _create_or_refuse(dynalite_store, request)

    check()
    record("hostile input", "generated requests (one field hostile)", **GENERATED)


@settings(max_examples=60, deadline=None)
@given(request_id=st.one_of(any_text, st.sampled_from(EXPRESSION_LIKE)))
@example(request_id="0123456789abcdef")
@example(request_id="0123456789abcdef\n")
@example(request_id="0123456789ABCDEF")
def test_any_id_is_either_well_formed_or_refused_before_any_call(
    dynalite_store: DynamoDBStore, request_id: str
) -> None:
    calls_before = len(CALLS)
    try:
        dynalite_store.get(request_id)
    except ValidationError:
        assert len(CALLS) == calls_before
        IDS["refused"] += 1
    except RequestNotFound:
        assert len(request_id) == 16
        IDS["well_formed"] += 1
    record("hostile input", "generated ids", **IDS)
    with contextlib.suppress(RequestNotFound, ValidationError):
        dynalite_store.delete(request_id)


@settings(max_examples=40, deadline=None)
@given(
    status=st.sampled_from([RequestStatus.APPROVED, RequestStatus.DENIED]),
    approver=hostile_text,
    comment=hostile_text,
)
def test_any_decision_round_trips_or_is_refused_without_a_partial_write(
    dynalite_store: DynamoDBStore, status: RequestStatus, approver: str, comment: str
) -> None:
    created = dynalite_store.create(_template())
    decided = dataclasses.replace(
        created, status=status, approver=approver, approver_comment=comment
    )
    calls_before = len(CALLS)
    try:
        stored = dynalite_store.update(decided)
    except ValidationError:
        assert len(CALLS) == calls_before
        assert dynalite_store.get(created.id) == created
        DECISIONS["refused"] += 1
        record("hostile input", "generated decisions", **DECISIONS)
        return
    DECISIONS["round_tripped"] += 1
    record("hostile input", "generated decisions", **DECISIONS)
    assert (stored.status, stored.approver, stored.approver_comment) == (status, approver, comment)
    assert dynalite_store.get(created.id) == stored


@settings(max_examples=30, deadline=None)
@given(requester=hostile_text)
def test_queries_with_any_key_never_leak_a_backend_error(
    dynalite_store: DynamoDBStore, requester: str
) -> None:
    try:
        assert all(r.requester == requester for r in dynalite_store.list_by_requester(requester))
    except ValidationError as error:
        assert error.field == "requester"


def test_expression_like_strings_are_stored_as_plain_values(dynalite_endpoint: str) -> None:
    store = make_dynamodb_store(dynalite_endpoint)
    for text in EXPRESSION_LIKE:
        request = dataclasses.replace(
            _template(), requester=text, profile=text, justification=f"{text} padding text"
        )
        assert store.create(request) == request
        assert [r.id for r in store.list_by_profile(text)] == [request.id]


def test_naive_datetimes_are_refused_naming_the_field(dynalite_store: DynamoDBStore) -> None:
    naive = datetime(2026, 11, 28, 12, 0)
    for field in ("created_at", "updated_at", "expires_at"):
        with pytest.raises(ValidationError) as caught:
            dynalite_store.create(dataclasses.replace(_template(), **{field: naive}))
        assert caught.value.field == field
