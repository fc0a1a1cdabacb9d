"""Hostile input, on every store: each value either round-trips exactly or is refused up front.

Generated values cover unicode of every category (surrogates included), control characters,
strings of hundreds of kilobytes, empty strings, values of the wrong type, naive datetimes and
text that looks like DynamoDB expression syntax. Nothing is written unless it is valid, nothing
is written partially, a DynamoDB store sends nothing for refused input, and no exception but an
ApprovalsError ever leaves a store.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from moto import mock_aws

from approvals import (
    ApprovalsError,
    MemoryStore,
    Request,
    RequestNotFound,
    RequestStatus,
    SQLiteStore,
    Store,
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
wrong_type = st.one_of(st.none(), st.integers(), st.binary(max_size=8), st.floats())
hostile_text = st.one_of(
    any_text,
    st.sampled_from(EXPRESSION_LIKE),
    st.just(""),
    st.just("x" * 400_000),
    st.builds(lambda s, n: s * n, st.sampled_from(["é", "😀", "\x00", "a"]), st.integers(0, 2000)),
    wrong_type,
)
any_datetime = st.one_of(
    st.datetimes(timezones=st.none()),
    st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
    ),
    wrong_type,
)
any_duration = st.one_of(
    st.timedeltas(min_value=timedelta(seconds=-10), max_value=timedelta(hours=9)),
    st.sampled_from([timedelta(0), timedelta(hours=8), timedelta(microseconds=1)]),
    wrong_type,
)
any_status = st.one_of(st.sampled_from(RequestStatus), any_text, wrong_type)
FIELDS: dict[str, Any] = {
    "requester": hostile_text,
    "profile": hostile_text,
    "justification": hostile_text,
    "approver_comment": hostile_text,
    "duration": any_duration,
    "status": any_status,
    "created_at": any_datetime,
    "expires_at": any_datetime,
    "updated_at": any_datetime,
}
BACKENDS = ("memory", "sqlite", "moto", "dynalite")
FIGURES: dict[str, Counter[str]] = {}


@dataclass
class Backend:
    """A store under test and the DynamoDB requests it sent (none for other stores)."""

    name: str
    store: Store
    calls: list[str] = field(default_factory=list)

    def sent(self, **_: Any) -> None:
        """botocore's before-send hook: one request is about to leave."""
        self.calls.append("x")

    def count(self, counts: str, outcome: str) -> None:
        FIGURES.setdefault(counts, Counter())[outcome] += 1
        record("hostile input", counts, **FIGURES[counts])


def _open(name: str, request: pytest.FixtureRequest, directory: Path) -> Iterator[Store]:
    if name == "memory":
        yield MemoryStore()
    elif name == "sqlite":
        store = SQLiteStore(directory / "requests.sqlite3")
        yield store
        store.close()
    elif name == "moto":
        with mock_aws():
            yield make_dynamodb_store()
    else:
        yield make_dynamodb_store(request.getfixturevalue("dynalite_endpoint"))


@pytest.fixture(scope="module", params=BACKENDS)
def backend(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Backend]:
    name = request.param
    for store in _open(name, request, tmp_path_factory.mktemp(name)):
        tested = Backend(name, store)
        if hasattr(store, "dynamodb_table"):
            client = store.dynamodb_table().client
            client.meta.events.register("before-send.dynamodb.*", tested.sent)
        yield tested


def _template() -> Request:
    return Request.new(
        requester="alice",
        profile="production",
        justification="Deploy the hotfix for INC-4821",
        duration=timedelta(hours=1),
    )


def _create_or_refuse(backend: Backend, request: Request) -> None:
    store = backend.store
    calls_before = len(backend.calls)
    try:
        request.validate()
    except ValidationError:
        with pytest.raises(ValidationError):
            store.create(request)
        assert len(backend.calls) == calls_before, "an invalid request reached DynamoDB"
        if isinstance(request.id, str):
            with pytest.raises(RequestNotFound):
                store.get(request.id)
        backend.count(f"generated requests on {backend.name}", "refused")
        return
    try:
        stored = store.create(request)
    except ApprovalsError as error:  # only a library error may come out, and only by design
        pytest.fail(f"a valid request was refused by the store: {error!r}")
    assert stored == request
    assert store.get(request.id) == request
    backend.count(f"generated requests on {backend.name}", "round_tripped")


@pytest.mark.parametrize("name", sorted(FIELDS))
def test_any_value_of_a_field_round_trips_or_is_refused_before_any_call(
    backend: Backend, name: str
) -> None:
    @settings(
        max_examples=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(value=FIELDS[name])
    def check(value: Any) -> None:
        request = dataclasses.replace(_template(), id=new_request_id(), **{name: value})
        _create_or_refuse(backend, request)

    check()


def test_any_id_is_either_well_formed_or_refused_before_any_call(backend: Backend) -> None:
    @settings(max_examples=60, deadline=None)
    @given(request_id=st.one_of(any_text, st.sampled_from(EXPRESSION_LIKE), wrong_type))
    @example(request_id="0123456789abcdef")
    @example(request_id="0123456789abcdef\n")
    @example(request_id="0123456789ABCDEF")
    def check(request_id: Any) -> None:
        calls_before = len(backend.calls)
        try:
            backend.store.get(request_id)
        except ValidationError:
            assert len(backend.calls) == calls_before
            backend.count(f"generated ids on {backend.name}", "refused")
        except RequestNotFound:
            assert len(request_id) == 16
            backend.count(f"generated ids on {backend.name}", "well_formed")
        with contextlib.suppress(RequestNotFound, ValidationError):
            backend.store.delete(request_id)

    check()


def test_any_decision_round_trips_or_is_refused_without_a_partial_write(backend: Backend) -> None:
    store = backend.store

    @settings(max_examples=30, deadline=None)
    @given(
        status=st.sampled_from([RequestStatus.APPROVED, RequestStatus.DENIED]),
        approver=hostile_text,
        comment=hostile_text,
    )
    def check(status: RequestStatus, approver: Any, comment: Any) -> None:
        created = store.create(_template())
        decided = dataclasses.replace(
            created, status=status, approver=approver, approver_comment=comment
        )
        calls_before = len(backend.calls)
        try:
            stored = store.update(decided)
        except ValidationError:
            assert len(backend.calls) == calls_before
            assert store.get(created.id) == created
            backend.count(f"generated decisions on {backend.name}", "refused")
            return
        backend.count(f"generated decisions on {backend.name}", "round_tripped")
        assert (stored.status, stored.approver, stored.approver_comment) == (
            status,
            approver,
            comment,
        )
        assert store.get(created.id) == stored

    check()


QUERIES: dict[str, Callable[[Store, Any, Any], list[Request]]] = {
    "list_by_requester": lambda s, key, limit: s.list_by_requester(key, limit),
    "list_by_profile": lambda s, key, limit: s.list_by_profile(key, limit),
    "list_by_status": lambda s, key, limit: s.list_by_status(key, limit),
    "iter_by_requester": lambda s, key, until: list(s.iter_by_requester(key, until=until)),
    "iter_by_profile": lambda s, key, until: list(s.iter_by_profile(key, until=until)),
    "iter_by_status": lambda s, key, until: list(s.iter_by_status(key, until=until)),
}
# What each query refuses, by the ValidationError's field.
QUERY_FIELDS = {"requester", "profile", "status", "limit", "until"}


@pytest.mark.parametrize("query", QUERIES.values(), ids=QUERIES.keys())
def test_a_query_with_any_arguments_answers_or_refuses_before_any_call(
    backend: Backend, query: Callable[[Store, Any, Any], list[Request]]
) -> None:
    store = backend.store
    store.create(_template())

    @settings(max_examples=25, deadline=None)
    @given(
        key=st.one_of(hostile_text, any_status),
        second=st.one_of(any_datetime, st.integers(-5, 2000), st.none()),
    )
    def check(key: Any, second: Any) -> None:
        calls_before = len(backend.calls)
        try:
            found = query(store, key, second)
        except ValidationError as error:
            assert error.field in QUERY_FIELDS
            assert len(backend.calls) == calls_before
            return
        assert all(key in (r.requester, r.profile, r.status) for r in found)

    check()


def test_expression_like_strings_are_stored_as_plain_values(backend: Backend) -> None:
    for text in EXPRESSION_LIKE:
        request = dataclasses.replace(
            _template(), requester=text, profile=text, justification=f"{text} padding text"
        )
        assert backend.store.create(request) == request
        found = backend.store.list_by_profile(text)
        assert request.id in [r.id for r in found]
        assert {r.profile for r in found} == {text}


def test_naive_datetimes_are_refused_naming_the_field(backend: Backend) -> None:
    naive = datetime(2026, 11, 28, 12, 0)
    for name in ("created_at", "updated_at", "expires_at"):
        with pytest.raises(ValidationError) as caught:
            backend.store.create(dataclasses.replace(_template(), **{name: naive}))
        assert caught.value.field == name
