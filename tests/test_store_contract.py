"""The store contract: every Store implementation passes these, backend by backend."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from approvals import (
    DEFAULT_QUERY_LIMIT,
    ConcurrentModification,
    InvalidStateTransition,
    MemoryStore,
    RequestExists,
    RequestNotFound,
    RequestStatus,
    Store,
    ValidationError,
    find_approved_request,
    new_request_id,
)
from approvals.request import MAX_QUERY_LIMIT
from approvals.store.base import effective_limit
from tests.helpers import new_request


def test_store_satisfies_the_protocol(store: Store) -> None:
    assert isinstance(store, Store)


# -- create / get ----------------------------------------------------------------------------


def test_create_returns_the_stored_request(store: Store) -> None:
    request = new_request()
    assert store.create(request) == request


def test_get_returns_what_create_stored(store: Store) -> None:
    request = new_request()
    store.create(request)
    assert store.get(request.id) == request


def test_create_of_a_taken_id_raises_request_exists(store: Store) -> None:
    request = new_request()
    store.create(request)
    other = dataclasses.replace(new_request("bob"), id=request.id)
    with pytest.raises(RequestExists) as caught:
        store.create(other)
    assert caught.value.request_id == request.id
    assert request.id in str(caught.value)
    assert store.get(request.id).requester == "alice"


def test_creating_the_same_request_twice_raises_request_exists(store: Store) -> None:
    request = store.create(new_request())
    with pytest.raises(RequestExists):
        store.create(request)


def test_create_of_an_invalid_request_raises_and_stores_nothing(store: Store) -> None:
    request = dataclasses.replace(new_request(), justification="short")
    with pytest.raises(ValidationError) as caught:
        store.create(request)
    assert caught.value.field == "justification"
    with pytest.raises(RequestNotFound):
        store.get(request.id)


def test_create_of_a_malformed_id_raises_validation_error(store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        store.create(dataclasses.replace(new_request(), id="NOT-AN-ID"))
    assert caught.value.field == "id"


def test_get_of_an_unknown_id_raises_request_not_found(store: Store) -> None:
    request_id = new_request_id()
    with pytest.raises(RequestNotFound) as caught:
        store.get(request_id)
    assert caught.value.request_id == request_id
    assert request_id in str(caught.value)


@pytest.mark.parametrize("bad_id", ["", "abc", "0123456789ABCDEF", "0123456789abcdef\n", 42])
def test_get_of_a_malformed_id_raises_validation_error(store: Store, bad_id: object) -> None:
    with pytest.raises(ValidationError):
        store.get(bad_id)  # type: ignore[arg-type]


# -- update ----------------------------------------------------------------------------------


def test_approve_is_stored_with_approver_and_comment(store: Store) -> None:
    created = store.create(new_request())
    approved = store.update(created.approve("bob", "go ahead"))
    stored = store.get(created.id)
    assert stored == approved
    assert (stored.status, stored.approver, stored.approver_comment) == (
        RequestStatus.APPROVED,
        "bob",
        "go ahead",
    )


@pytest.mark.parametrize(
    ("move", "status"),
    [
        (lambda r: r.deny("bob", "use read-only"), RequestStatus.DENIED),
        (lambda r: r.cancel(), RequestStatus.CANCELLED),
        (lambda r: r.expire(), RequestStatus.EXPIRED),
    ],
    ids=["deny", "cancel", "expire"],
)
def test_every_transition_from_pending_is_stored(store: Store, move, status) -> None:  # type: ignore[no-untyped-def]
    created = store.create(new_request())
    assert store.update(move(created)).status is status
    assert store.get(created.id).status is status


def test_update_writes_a_strictly_later_updated_at(store: Store) -> None:
    created = store.create(new_request())
    updated = store.update(created.cancel())
    assert updated.updated_at > created.updated_at


def test_update_keeps_every_immutable_field(store: Store) -> None:
    created = store.create(new_request())
    updated = store.update(created.approve("bob"))
    for name in ("requester", "profile", "justification", "duration", "created_at", "expires_at"):
        assert getattr(updated, name) == getattr(created, name)


def test_second_approver_with_a_stale_read_gets_concurrent_modification(store: Store) -> None:
    created = store.create(new_request())
    first_read, second_read = store.get(created.id), store.get(created.id)
    store.update(first_read.approve("bob"))
    with pytest.raises(ConcurrentModification) as caught:
        store.update(second_read.deny("carol"))
    assert caught.value.request_id == created.id
    stored = store.get(created.id)
    assert (stored.status, stored.approver) == (RequestStatus.APPROVED, "bob")


def test_update_of_a_terminal_request_raises_invalid_state_transition(store: Store) -> None:
    approved = store.update(store.create(new_request()).approve("bob"))
    with pytest.raises(InvalidStateTransition) as caught:
        store.update(dataclasses.replace(approved, status=RequestStatus.CANCELLED))
    assert caught.value.request_id == approved.id
    assert store.get(approved.id) == approved


def test_pending_to_pending_raises_invalid_state_transition_and_writes_nothing(
    store: Store,
) -> None:
    created = store.create(new_request())
    with pytest.raises(InvalidStateTransition):
        store.update(created)
    assert store.get(created.id).updated_at == created.updated_at


def test_update_of_a_missing_request_raises_request_not_found(store: Store) -> None:
    with pytest.raises(RequestNotFound):
        store.update(new_request().approve("bob"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("requester", "mallory"),
        ("profile", "billing"),
        ("justification", "A different justification entirely"),
        ("duration", timedelta(hours=8)),
        ("created_at", datetime(2026, 1, 1, tzinfo=timezone.utc)),
        ("expires_at", datetime(2099, 1, 1, tzinfo=timezone.utc)),
    ],
)
def test_changing_an_immutable_field_raises_validation_error_naming_it(
    store: Store, field: str, value: object
) -> None:
    created = store.create(new_request())
    tampered = dataclasses.replace(created.approve("bob"), **{field: value})
    with pytest.raises(ValidationError) as caught:
        store.update(tampered)
    assert caught.value.field == field
    assert caught.value.request_id == created.id
    assert store.get(created.id) == created


def test_self_approval_is_refused_before_writing(store: Store) -> None:
    created = store.create(new_request())
    forged = dataclasses.replace(created, status=RequestStatus.APPROVED, approver="alice")
    with pytest.raises(ValidationError) as caught:
        store.update(forged)
    assert caught.value.field == "approver"
    assert store.get(created.id) == created


def test_not_found_is_reported_before_a_stale_token(store: Store) -> None:
    created = store.create(new_request())
    stale = created.approve("bob")
    store.update(created.cancel())
    store.delete(created.id)
    with pytest.raises(RequestNotFound):
        store.update(stale)


def test_a_stale_token_is_reported_before_a_terminal_status(store: Store) -> None:
    created = store.create(new_request())
    store.update(created.cancel())
    with pytest.raises(ConcurrentModification):
        store.update(created.approve("bob"))


def test_a_terminal_status_is_reported_before_a_changed_immutable_field(store: Store) -> None:
    denied = store.update(store.create(new_request()).deny("bob"))
    tampered = dataclasses.replace(denied, status=RequestStatus.APPROVED, profile="billing")
    with pytest.raises(InvalidStateTransition):
        store.update(tampered)


def test_a_stale_token_is_reported_before_pending_to_pending(store: Store) -> None:
    created = store.create(new_request())
    store.update(created.approve("bob"))
    with pytest.raises(ConcurrentModification):
        store.update(created)


# -- delete ----------------------------------------------------------------------------------


def test_delete_removes_the_request(store: Store) -> None:
    created = store.create(new_request())
    store.delete(created.id)
    with pytest.raises(RequestNotFound):
        store.get(created.id)


def test_delete_is_idempotent(store: Store) -> None:
    store.delete(new_request_id())
    created = store.create(new_request())
    store.delete(created.id)
    store.delete(created.id)


def test_delete_of_a_malformed_id_raises_validation_error(store: Store) -> None:
    with pytest.raises(ValidationError):
        store.delete("../etc/passwd")


# -- queries ---------------------------------------------------------------------------------


def _create_series(store: Store, count: int, **kwargs: object) -> list[str]:
    """Create ``count`` requests one second apart; return their ids, oldest first."""
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    ids = []
    for n in range(count):
        request = new_request(now=start + timedelta(seconds=n), **kwargs)  # type: ignore[arg-type]
        ids.append(store.create(request).id)
    return ids


def test_list_by_requester_returns_only_theirs_newest_first(store: Store) -> None:
    ids = _create_series(store, 5)
    _create_series(store, 2, requester="bob")
    assert [r.id for r in store.list_by_requester("alice")] == ids[::-1]


def test_list_by_status_returns_only_that_status_newest_first(store: Store) -> None:
    ids = _create_series(store, 4)
    store.update(store.get(ids[1]).approve("bob"))
    assert [r.id for r in store.list_by_status(RequestStatus.PENDING)] == [
        ids[3],
        ids[2],
        ids[0],
    ]
    assert [r.id for r in store.list_by_status(RequestStatus.APPROVED)] == [ids[1]]


def test_list_by_profile_returns_only_that_profile_newest_first(store: Store) -> None:
    ids = _create_series(store, 3, profile="staging")
    _create_series(store, 2, profile="production")
    assert [r.id for r in store.list_by_profile("staging")] == ids[::-1]


def test_list_by_status_accepts_the_status_value_string(store: Store) -> None:
    ids = _create_series(store, 1)
    assert [r.id for r in store.list_by_status("pending")] == ids  # type: ignore[arg-type]


def test_list_of_an_unknown_status_raises_validation_error(store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        store.list_by_status("revoked")  # type: ignore[arg-type]
    assert caught.value.field == "status"


def test_list_returns_at_most_limit_newest(store: Store) -> None:
    ids = _create_series(store, 7)
    assert [r.id for r in store.list_by_requester("alice", limit=3)] == ids[:3:-1]


def test_list_with_a_non_positive_limit_returns_the_default_number(store: Store) -> None:
    _create_series(store, DEFAULT_QUERY_LIMIT + 1)
    assert len(store.list_by_requester("alice", limit=0)) == DEFAULT_QUERY_LIMIT
    assert len(store.list_by_requester("alice", limit=-5)) == DEFAULT_QUERY_LIMIT


def test_list_of_nobody_is_empty(store: Store) -> None:
    assert store.list_by_requester("nobody") == []


def test_iterators_are_lazy_and_yield_every_match_newest_first(store: Store) -> None:
    ids = _create_series(store, 12)
    by_requester = store.iter_by_requester("alice")
    assert inspect.isgenerator(by_requester) or iter(by_requester) is by_requester
    assert [r.id for r in by_requester] == ids[::-1]
    assert [r.id for r in store.iter_by_status(RequestStatus.PENDING)] == ids[::-1]
    assert [r.id for r in store.iter_by_profile("production")] == ids[::-1]


# -- the access gate through a store ---------------------------------------------------------


def test_find_approved_request_returns_the_newest_granted_one(store: Store) -> None:
    ids = _create_series(store, 3)
    for request_id in ids[:2]:
        store.update(store.get(request_id).approve("bob"))
    found = find_approved_request(store, "alice", "production")
    assert found is not None
    assert found.id == ids[1]


def test_find_approved_request_ignores_pending_denied_and_other_profiles(store: Store) -> None:
    pending, denied, elsewhere = _create_series(store, 3)
    store.update(store.get(denied).deny("bob"))
    other = store.create(new_request(profile="billing"))
    store.update(other.approve("bob"))
    assert find_approved_request(store, "alice", "production") is None
    assert pending and elsewhere


def test_find_approved_request_ignores_access_whose_duration_has_run_out(store: Store) -> None:
    created = store.create(new_request(duration=timedelta(minutes=5)))
    store.update(created.approve("bob"))
    later = created.created_at + timedelta(minutes=5)
    assert find_approved_request(store, "alice", "production", now=later) is None
    just_before = later - timedelta(microseconds=1)
    assert find_approved_request(store, "alice", "production", now=just_before) is not None


def test_a_limit_above_the_maximum_is_capped(store: Store) -> None:
    assert effective_limit(MAX_QUERY_LIMIT + 1) == MAX_QUERY_LIMIT
    assert effective_limit(10**9) == MAX_QUERY_LIMIT
    if isinstance(store, MemoryStore):  # the DynamoDB backends check this in bulk elsewhere
        _create_series(store, MAX_QUERY_LIMIT + 5)
        assert len(store.list_by_requester("alice", limit=MAX_QUERY_LIMIT + 5)) == MAX_QUERY_LIMIT


def test_iterators_start_at_until_inclusive(store: Store) -> None:
    ids = _create_series(store, 6)
    pivot = store.get(ids[3]).created_at
    assert [r.id for r in store.iter_by_requester("alice", until=pivot)] == ids[3::-1]
    assert [r.id for r in store.iter_by_status(RequestStatus.PENDING, until=pivot)] == ids[3::-1]
    assert [r.id for r in store.iter_by_profile("production", until=pivot)] == ids[3::-1]


# -- input every store refuses before reading ------------------------------------------------

EMPTY_KEYS = {
    "list_by_requester": ("requester", lambda s: s.list_by_requester("")),
    "list_by_profile": ("profile", lambda s: s.list_by_profile("")),
    "iter_by_requester": ("requester", lambda s: s.iter_by_requester("")),
    "iter_by_profile": ("profile", lambda s: s.iter_by_profile("")),
    "list_by_requester-none": ("requester", lambda s: s.list_by_requester(None)),
}


@pytest.mark.parametrize(("field", "call"), EMPTY_KEYS.values(), ids=EMPTY_KEYS.keys())
def test_a_query_with_an_empty_key_raises_validation_error_naming_it(
    store: Store, field: str, call: Callable[[Store], object]
) -> None:
    with pytest.raises(ValidationError) as caught:
        call(store)
    assert caught.value.field == field


NAIVE = datetime(2026, 11, 28, 12, 0)
NAIVE_UNTIL = {
    "iter_by_requester": lambda s: s.iter_by_requester("alice", until=NAIVE),
    "iter_by_status": lambda s: s.iter_by_status(RequestStatus.PENDING, until=NAIVE),
    "iter_by_profile": lambda s: s.iter_by_profile("production", until=NAIVE),
}


@pytest.mark.parametrize("call", NAIVE_UNTIL.values(), ids=NAIVE_UNTIL.keys())
def test_a_naive_until_raises_validation_error_when_the_iterator_is_made(
    store: Store, call: Callable[[Store], object]
) -> None:
    store.create(new_request())
    with pytest.raises(ValidationError) as caught:
        call(store)
    assert caught.value.field == "until"


def test_a_limit_that_is_not_an_integer_raises_validation_error(store: Store) -> None:
    with pytest.raises(ValidationError) as caught:
        store.list_by_requester("alice", limit="10")  # type: ignore[arg-type]
    assert caught.value.field == "limit"


@pytest.mark.parametrize("method", ["create", "update"])
def test_writing_something_that_is_no_request_raises_validation_error(
    store: Store, method: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        getattr(store, method)({"id": new_request_id()})
    assert caught.value.field == "request"
