"""Security properties of the gate, held for every generated input and on every backend."""

from __future__ import annotations

import dataclasses
import unicodedata
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from approvals import (
    MAX_DURATION,
    InvalidStateTransition,
    Request,
    RequestStatus,
    Store,
    ValidationError,
    same_identity,
)
from tests.helpers import NOW, new_request

TERMINAL = [s for s in RequestStatus if s.is_terminal]
identities = st.text(
    alphabet=st.characters(categories=["L", "N", "P", "S", "Zs"]), min_size=1, max_size=30
)
offsets = st.timedeltas(min_value=timedelta(days=-2), max_value=timedelta(days=2))
durations = st.timedeltas(min_value=timedelta(microseconds=1), max_value=MAX_DURATION)
ttls = st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=2))


def _request(status: RequestStatus, duration: timedelta, ttl: timedelta) -> Request:
    base = new_request(now=NOW, duration=duration, ttl=ttl)
    return dataclasses.replace(base, status=status, approver="bob")


@given(status=st.sampled_from(list(RequestStatus)), duration=durations, ttl=ttls, at=offsets)
def test_the_gate_grants_only_approved_requests_inside_both_windows(
    status: RequestStatus, duration: timedelta, ttl: timedelta, at: timedelta
) -> None:
    request = _request(status, duration, ttl)
    now = NOW + at
    granted = request.is_access_granted(now)
    if (
        status is not RequestStatus.APPROVED
        or now >= request.expires_at
        or now >= request.created_at + duration
    ):
        assert not granted
    else:
        assert granted


@given(duration=durations, ttl=ttls)
def test_the_gate_is_closed_at_the_exact_end_of_either_window(
    duration: timedelta, ttl: timedelta
) -> None:
    request = _request(RequestStatus.APPROVED, duration, ttl)
    assert not request.is_access_granted(request.expires_at)
    assert not request.is_access_granted(request.created_at + duration)


@given(requester=identities)
def test_nobody_can_approve_or_deny_their_own_request(requester: str) -> None:
    request = new_request(requester, now=NOW)
    for decide in (request.approve, request.deny):
        with pytest.raises(ValidationError):
            decide(requester, now=NOW)


@given(requester=identities)
def test_an_approver_in_any_case_or_compatibility_form_of_the_requester_is_refused(
    requester: str,
) -> None:
    request = new_request(requester, now=NOW)
    for variant in {
        requester.swapcase(),
        requester.upper(),
        unicodedata.normalize("NFKD", requester),
    }:
        if same_identity(variant, requester):
            with pytest.raises(ValidationError):
                request.approve(variant, now=NOW)


def test_a_stored_self_approval_is_refused_by_every_store(store: Store) -> None:
    created = store.create(new_request("alice"))
    with pytest.raises(ValidationError):
        store.update(dataclasses.replace(created, status=RequestStatus.APPROVED, approver="alice"))
    assert store.get(created.id).status is RequestStatus.PENDING


@pytest.mark.parametrize("terminal", TERMINAL)
@pytest.mark.parametrize("target", list(RequestStatus))
def test_terminal_requests_are_immutable_in_every_store(
    store: Store, terminal: RequestStatus, target: RequestStatus
) -> None:
    created = store.create(new_request())
    moved = store.update(dataclasses.replace(created, status=terminal, approver="bob"))
    attempt = dataclasses.replace(moved, status=target, approver="carol", approver_comment="x")
    with pytest.raises(InvalidStateTransition):
        store.update(attempt)
    assert store.get(created.id) == moved


def test_a_naive_now_is_refused_by_the_gate() -> None:
    approved = new_request(now=NOW).approve("bob", now=NOW)
    with pytest.raises(ValidationError):
        approved.is_access_granted(datetime(2026, 11, 28, 12, 0))
    assert approved.is_access_granted(NOW.astimezone(timezone(timedelta(hours=-5))))
