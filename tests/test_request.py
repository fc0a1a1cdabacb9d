"""The domain: Request values, validation, the state machine and the access gate."""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime, timedelta, timezone

import pytest

from approvals import (
    AUTO_APPROVED_COMMENT,
    DEFAULT_REQUEST_TTL,
    MAX_APPROVER_COMMENT_LENGTH,
    MAX_DURATION,
    MAX_JUSTIFICATION_LENGTH,
    MIN_JUSTIFICATION_LENGTH,
    InvalidStateTransition,
    MemoryStore,
    Request,
    RequestStatus,
    ValidationError,
    find_approved_request,
    identity_key,
    is_valid_request_id,
    new_request_id,
    same_identity,
)
from tests.helpers import NOW, new_request

TERMINAL = [s for s in RequestStatus if s is not RequestStatus.PENDING]


# -- RequestStatus ---------------------------------------------------------------------------


def test_status_values_are_the_go_services_strings() -> None:
    assert [s.value for s in RequestStatus] == [
        "pending",
        "approved",
        "denied",
        "expired",
        "cancelled",
    ]


def test_only_pending_is_not_terminal() -> None:
    assert not RequestStatus.PENDING.is_terminal
    assert all(status.is_terminal for status in TERMINAL)


@pytest.mark.parametrize("old", list(RequestStatus))
@pytest.mark.parametrize("new", list(RequestStatus))
def test_status_transitions_same_or_pending_to_terminal(
    old: RequestStatus, new: RequestStatus
) -> None:
    expected = old is new or (old is RequestStatus.PENDING and new.is_terminal)
    assert old.can_transition_to(new) is expected


# -- ids -------------------------------------------------------------------------------------


def test_new_request_ids_are_16_lowercase_hex_and_unique() -> None:
    ids = {new_request_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{16}", i) for i in ids)


@pytest.mark.parametrize(
    "value",
    ["0123456789abcdef\n", "0123456789ABCDEF", "0123456789abcde", "0123456789abcdef0", "", None],
)
def test_malformed_ids_are_invalid(value: object) -> None:
    assert not is_valid_request_id(value)


def test_a_well_formed_id_is_valid() -> None:
    assert is_valid_request_id("0123456789abcdef")


# -- Request.new and validate ----------------------------------------------------------------


def test_new_request_is_pending_and_expires_after_the_ttl() -> None:
    request = new_request(now=NOW)
    assert request.status is RequestStatus.PENDING
    assert request.created_at == request.updated_at == NOW
    assert request.expires_at == NOW + DEFAULT_REQUEST_TTL
    assert (request.approver, request.approver_comment) == ("", "")


def test_new_request_honours_a_custom_ttl() -> None:
    assert new_request(now=NOW, ttl=timedelta(hours=2)).expires_at == NOW + timedelta(hours=2)


def test_new_request_normalises_times_to_utc() -> None:
    paris = timezone(timedelta(hours=1))
    request = new_request(now=NOW.astimezone(paris))
    assert request.created_at.tzinfo is timezone.utc
    assert request.created_at == NOW


def test_request_fields_are_in_the_contract_order() -> None:
    assert [f.name for f in dataclasses.fields(Request)] == [
        "id",
        "requester",
        "profile",
        "justification",
        "duration",
        "status",
        "created_at",
        "updated_at",
        "expires_at",
        "approver",
        "approver_comment",
    ]


def _invalid(**changes: object) -> Request:
    return dataclasses.replace(new_request(now=NOW), **changes)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("id", "XYZ"),
        ("requester", ""),
        ("requester", "ali\x00ce"),
        ("requester", "a" * 1025),
        ("requester", "é" * 513),
        ("profile", ""),
        ("profile", "prod\nuction"),
        ("justification", "x" * (MIN_JUSTIFICATION_LENGTH - 1)),
        ("justification", "x" * (MAX_JUSTIFICATION_LENGTH + 1)),
        ("justification", "bad \ud800 surrogate"),
        ("status", "bogus"),
        ("duration", timedelta(0)),
        ("duration", -timedelta(seconds=1)),
        ("duration", MAX_DURATION + timedelta(microseconds=1)),
        ("duration", 3600),
        ("created_at", datetime(2026, 1, 1)),
        ("updated_at", None),
        ("expires_at", "2026-01-01T00:00:00Z"),
        ("approver_comment", "x" * (MAX_APPROVER_COMMENT_LENGTH + 1)),
    ],
)
def test_validate_names_the_invalid_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        _invalid(**{field: value}).validate()
    assert caught.value.field == field
    assert field in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("requester", "a" * 1024),
        ("justification", "x" * MIN_JUSTIFICATION_LENGTH),
        ("justification", "x" * MAX_JUSTIFICATION_LENGTH),
        ("duration", MAX_DURATION),
        ("approver_comment", "x" * MAX_APPROVER_COMMENT_LENGTH),
    ],
)
def test_validate_accepts_the_limits_inclusive(field: str, value: object) -> None:
    _invalid(**{field: value}).validate()


@pytest.mark.parametrize("status", [RequestStatus.APPROVED, RequestStatus.DENIED])
def test_a_decided_request_needs_an_approver(status: RequestStatus) -> None:
    with pytest.raises(ValidationError) as caught:
        _invalid(status=status).validate()
    assert caught.value.field == "approver"


@pytest.mark.parametrize("status", [RequestStatus.APPROVED, RequestStatus.DENIED])
def test_a_decided_request_cannot_be_decided_by_its_requester(status: RequestStatus) -> None:
    with pytest.raises(ValidationError) as caught:
        _invalid(status=status, approver="alice").validate()
    assert caught.value.field == "approver"


@pytest.mark.parametrize("approver", ["Alice", "ALICE", "ａｌｉｃｅ"])
def test_an_approver_who_is_the_requester_in_another_spelling_is_refused(approver: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _invalid(status=RequestStatus.APPROVED, approver=approver).validate()
    assert caught.value.field == "approver"


def test_approve_refuses_a_case_variant_of_the_requester() -> None:
    pending = _invalid()
    with pytest.raises(ValidationError, match="self-approval"):
        pending.approve("ALICE", now=NOW)


def test_stored_identities_keep_their_spelling() -> None:
    approved = _invalid().approve("Bob", now=NOW)
    assert approved.approver == "Bob"
    assert same_identity("Bob", "bob") and identity_key("Ｂob") == identity_key("bob")


def test_an_auto_approved_request_is_the_one_valid_self_approval() -> None:
    auto = _invalid(status=RequestStatus.APPROVED, approver="alice")
    auto.approver_comment = AUTO_APPROVED_COMMENT
    auto.validate()
    assert auto.is_auto_approved


@pytest.mark.parametrize(
    ("approver", "comment"),
    [("alice", "auto-approved by policy "), ("Alice", AUTO_APPROVED_COMMENT), ("alice", "")],
)
def test_self_approval_without_the_exact_auto_approval_form_is_refused(
    approver: str, comment: str
) -> None:
    request = _invalid(status=RequestStatus.APPROVED, approver=approver)
    request.approver_comment = comment
    with pytest.raises(ValidationError):
        request.validate()


def test_approve_never_makes_an_auto_approval_even_with_its_comment() -> None:
    with pytest.raises(ValidationError, match="self-approval"):
        _invalid().approve("alice", AUTO_APPROVED_COMMENT, now=NOW)


@pytest.mark.parametrize(
    ("justification", "valid"),
    [
        ("修复生产故障", True),  # 6 characters, 18 bytes: the Go service accepts it
        ("故障" * 83, True),  # 166 characters, 498 bytes
        ("故障修" * 56, False),  # 168 characters, 504 bytes: over Go's 500
        ("ééééé", True),  # 5 characters, 10 bytes
        ("éééé", False),  # 4 characters, 8 bytes
    ],
)
def test_justification_length_counts_utf8_bytes_as_go_does(justification: str, valid: bool) -> None:
    request = _invalid()
    request.justification = justification
    if valid:
        request.validate()
    else:
        with pytest.raises(ValidationError, match="UTF-8 bytes") as caught:
            request.validate()
        assert caught.value.field == "justification"


def test_new_request_raises_validation_error_for_bad_input() -> None:
    with pytest.raises(ValidationError) as caught:
        Request.new(
            requester="alice", profile="prod", justification="too short", duration=timedelta(1)
        )
    assert caught.value.field == "justification"


def test_new_request_refuses_a_naive_now() -> None:
    with pytest.raises(ValidationError) as caught:
        new_request(now=datetime(2026, 11, 28, 12, 0))
    assert caught.value.field == "now"


def test_a_status_string_is_coerced_to_the_enum() -> None:
    request = _invalid(status="approved", approver="bob")
    assert request.status is RequestStatus.APPROVED


# -- transitions -----------------------------------------------------------------------------


def test_approve_returns_a_new_approved_request_and_leaves_the_original() -> None:
    pending = new_request(now=NOW)
    approved = pending.approve("bob", "ok", now=NOW)
    assert (approved.status, approved.approver, approved.approver_comment) == (
        RequestStatus.APPROVED,
        "bob",
        "ok",
    )
    assert pending.status is RequestStatus.PENDING
    assert pending.approver == ""


def test_transitions_keep_updated_at_as_read() -> None:
    pending = new_request(now=NOW)
    later = NOW + timedelta(minutes=5)
    for moved in (
        pending.approve("bob", now=later),
        pending.deny("bob", now=later),
        pending.cancel(now=later),
        pending.expire(now=later),
    ):
        assert moved.updated_at == pending.updated_at


def test_deny_cancel_and_expire_set_their_status() -> None:
    pending = new_request(now=NOW)
    assert pending.deny("bob", "no", now=NOW).status is RequestStatus.DENIED
    assert pending.cancel().status is RequestStatus.CANCELLED
    assert pending.expire().status is RequestStatus.EXPIRED


@pytest.mark.parametrize("status", TERMINAL)
def test_a_terminal_request_cannot_move(status: RequestStatus) -> None:
    terminal = _invalid(status=status, approver="bob")
    for move in (
        lambda: terminal.approve("carol", now=NOW),
        lambda: terminal.deny("carol", now=NOW),
        terminal.cancel,
        terminal.expire,
    ):
        with pytest.raises(InvalidStateTransition) as caught:
            move()
        assert caught.value.request_id == terminal.id


@pytest.mark.parametrize("decide", ["approve", "deny"])
def test_an_expired_request_cannot_be_decided(decide: str) -> None:
    pending = new_request(now=NOW)
    with pytest.raises(InvalidStateTransition):
        getattr(pending, decide)("bob", now=pending.expires_at)


@pytest.mark.parametrize("decide", ["approve", "deny"])
@pytest.mark.parametrize("approver", ["", "alice"])
def test_decisions_need_an_approver_other_than_the_requester(decide: str, approver: str) -> None:
    with pytest.raises(ValidationError) as caught:
        getattr(new_request(now=NOW), decide)(approver, now=NOW)
    assert caught.value.field == "approver"


def test_can_transition_to_allows_only_pending_to_a_non_pending_status() -> None:
    pending = new_request(now=NOW)
    assert not pending.can_transition_to(RequestStatus.PENDING)
    assert all(pending.can_transition_to(s) for s in TERMINAL)
    approved = pending.approve("bob", now=NOW)
    assert not any(approved.can_transition_to(s) for s in RequestStatus)


# -- the access gate -------------------------------------------------------------------------


def test_access_is_granted_while_approved_and_within_duration() -> None:
    approved = new_request(now=NOW).approve("bob", now=NOW)
    assert approved.is_access_granted(NOW)
    assert approved.is_access_granted(NOW + timedelta(minutes=59))


def test_access_ends_at_created_at_plus_duration() -> None:
    approved = new_request(now=NOW).approve("bob", now=NOW)
    assert not approved.is_access_granted(NOW + timedelta(hours=1))


def test_access_ends_at_expires_at() -> None:
    approved = new_request(now=NOW, duration=MAX_DURATION, ttl=timedelta(minutes=30)).approve(
        "bob", now=NOW
    )
    assert approved.is_access_granted(NOW + timedelta(minutes=29))
    assert not approved.is_access_granted(approved.expires_at)


@pytest.mark.parametrize("status", [s for s in RequestStatus if s is not RequestStatus.APPROVED])
def test_access_is_never_granted_unless_approved(status: RequestStatus) -> None:
    assert not _invalid(status=status, approver="bob").is_access_granted(NOW)


def test_find_approved_request_reads_past_a_thousand_requests() -> None:
    store = MemoryStore()
    granted = store.create(new_request(now=NOW - timedelta(minutes=30)))
    store.update(granted.approve("bob", now=NOW))
    for n in range(1200):
        store.create(new_request(now=NOW - timedelta(minutes=10, microseconds=n)))
    found = find_approved_request(store, "alice", "production", now=NOW)
    assert found is not None
    assert found.id == granted.id


def test_the_contract_constants() -> None:
    import approvals

    assert timedelta(hours=24) == approvals.DEFAULT_REQUEST_TTL
    assert approvals.MIN_JUSTIFICATION_LENGTH == 10
    assert approvals.MAX_JUSTIFICATION_LENGTH == 500
    assert timedelta(hours=8) == approvals.MAX_DURATION
    assert approvals.REQUEST_ID_LENGTH == 16
    assert approvals.DEFAULT_QUERY_LIMIT == 100
    assert approvals.MAX_QUERY_LIMIT == 1000
    assert approvals.MAX_APPROVER_COMMENT_LENGTH == 1000
    assert approvals.IMMUTABLE_FIELDS == (
        "requester",
        "profile",
        "justification",
        "duration",
        "created_at",
        "expires_at",
    )
