"""approvals.contrib.approver: what an approver page shows and what its forms do."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from functools import partial

import pytest

from approvals import MemoryStore, RequestStatus
from approvals.contrib.approver import (
    JUSTIFICATION_HINT,
    PAGE_SIZE,
    approver_page,
    decide,
    form_body,
    relative_time,
    row_for,
    submit,
)
from approvals.contrib.enforcement import Enforcement
from approvals.contrib.http import entity_tag
from approvals.duration_text import format_duration
from approvals.policy import ApprovalPolicy
from tests.contrib.api_spec import NEW_REQUEST, ONCALL_POLICY, pending_request

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=timezone.utc)
ONCALL = Enforcement(ApprovalPolicy.from_yaml(ONCALL_POLICY))
_pending = partial(pending_request, now=NOW)


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (3600, "1h"),
        (28800, "8h"),
        (5400, "90m"),
        (1800, "30m"),
        (45, "45s"),
        (90, "1m30s"),
        (3605, "1h0m5s"),
        (1.5, "1.5s"),
    ],
)
def test_durations_read_as_go_writes_them(seconds: float, text: str) -> None:
    assert format_duration(timedelta(seconds=seconds)) == text


@pytest.mark.parametrize(
    ("offset", "text"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(seconds=-20), "just now"),
        (timedelta(minutes=-5, seconds=-59), "5 minutes ago"),
        (timedelta(minutes=-1), "1 minute ago"),
        (timedelta(hours=23, minutes=59), "in 23 hours"),
        (timedelta(days=2, hours=3), "in 2 days"),
    ],
)
def test_times_read_relative_to_now(offset: timedelta, text: str) -> None:
    assert relative_time(NOW + offset, NOW) == text


def test_a_row_shows_the_short_id_the_etag_and_exact_times() -> None:
    store = MemoryStore()
    request = _pending(store)
    row = row_for(request, "bob", ONCALL, NOW + timedelta(minutes=5))
    assert request.id.startswith(row.short_id) and len(row.short_id) == 8
    assert row.etag == entity_tag(request)
    assert (row.duration, row.created.relative, row.expires.relative) == (
        "1h",
        "5 minutes ago",
        "in 23 hours",
    )
    assert row.created.exact == "2026-12-01 12:00:00 UTC"
    assert row.expires.iso == "2026-12-02T12:00:00Z"
    assert (row.expired, row.can_decide, row.can_cancel) == (False, True, False)


def test_an_expired_pending_request_offers_no_decision_and_no_cancel() -> None:
    request = _pending(MemoryStore())
    for user in ("bob", "alice"):
        row = row_for(request, user, ONCALL, request.expires_at)
        assert (row.expired, row.can_decide, row.can_cancel) == (True, False, False)


def test_the_requester_may_cancel_in_any_spelling_but_not_decide() -> None:
    row = row_for(_pending(MemoryStore()), "Alice", ONCALL, NOW)
    assert (row.can_decide, row.can_cancel) == (False, True)


def test_the_page_lists_only_requests_the_user_may_decide() -> None:
    store = MemoryStore()
    production = _pending(store, profile="production")
    staging = _pending(store, profile="staging")  # no rule: anyone but the requester
    assert [r.request.id for r in approver_page(store, "dave", ONCALL, now=NOW).decide] == [
        staging.id
    ]
    bob = approver_page(store, "bob", ONCALL, now=NOW).decide
    assert {r.request.id for r in bob} == {production.id, staging.id}
    assert approver_page(store, "ALICE", ONCALL, now=NOW).decide == []


def test_the_page_lists_expired_requests_marked_expired() -> None:
    store = MemoryStore()
    old = _pending(store, now=NOW - timedelta(days=2))
    (row,) = approver_page(store, "bob", ONCALL, now=NOW).decide
    assert (row.request.id, row.expired, row.can_decide) == (old.id, True, False)


def test_pages_walk_every_decidable_request_once_however_many_are_hidden() -> None:
    store = MemoryStore()
    visible = []
    for i in range(2 * PAGE_SIZE + 10):
        now = NOW - timedelta(seconds=i)
        visible.append(_pending(store, profile="production", now=now))
        _pending(store, profile="production", requester="bob", now=now)  # bob's own: hidden
    seen, cursor, sizes = [], None, []
    while True:
        page = approver_page(store, "bob", ONCALL, cursor=cursor, now=NOW)
        seen += [r.request.id for r in page.decide]
        sizes.append(len(page.decide))
        cursor = page.next_cursor
        if cursor is None:
            break
    assert sizes == [PAGE_SIZE, PAGE_SIZE, 10]
    assert seen == [r.id for r in visible]


def test_the_page_shows_the_users_own_requests() -> None:
    store = MemoryStore()
    mine = _pending(store, requester="alice")
    _pending(store, requester="carol")
    assert [r.request.id for r in approver_page(store, "alice", ONCALL, now=NOW).mine] == [mine.id]


def test_submitting_what_the_policy_auto_approves_says_so() -> None:
    store = MemoryStore()
    body = {**NEW_REQUEST, "profile": "sandbox", "duration_seconds": 1800}
    outcome = submit(store, "alice", ONCALL, body)
    assert outcome.category == "success"
    assert "was auto-approved by policy" in outcome.message
    (stored,) = store.list_by_requester("alice")
    assert stored.is_auto_approved


def test_a_refused_submission_is_an_error_naming_the_field() -> None:
    outcome = submit(MemoryStore(), "alice", ONCALL, {**NEW_REQUEST, "justification": "short"})
    assert (outcome.category, "justification" in outcome.message) == ("error", True)


def test_deciding_without_the_policys_say_so_is_an_error_naming_the_rule() -> None:
    store = MemoryStore()
    request = _pending(store, now=datetime.now(timezone.utc))
    outcome = decide(store, "dave", ONCALL, request.id, "approve", etag=entity_tag(request))
    assert outcome.category == "error"
    assert "prod-oncall" in outcome.message
    assert store.get(request.id).status is RequestStatus.PENDING


def test_a_stale_decision_is_a_conflict_naming_who_acted_first() -> None:
    store = MemoryStore()
    request = _pending(store, now=datetime.now(timezone.utc))
    store.update(request.deny("Carol"))
    outcome = decide(store, "bob", ONCALL, request.id, "approve", etag=entity_tag(request))
    assert outcome.category == "conflict"
    assert "Someone else acted first" in outcome.message
    assert "already denied by Carol" in outcome.message
    mine = decide(store, "carol", ONCALL, request.id, "approve", etag=entity_tag(request))
    assert "You decided this in another tab or window" in mine.message


def test_the_submit_form_becomes_the_apis_create_body() -> None:
    form = {"profile": " billing ", "justification": " Rotate the keys ", "duration": "2 hours"}
    assert form_body(form) == {
        "profile": "billing",
        "justification": "Rotate the keys",
        "duration_seconds": 7200,
    }
    assert form_body({})["duration_seconds"] == 0  # no choice: refused by submit


def test_an_unknown_duration_label_is_not_submitted() -> None:
    form = {"profile": "billing", "justification": "Rotate the keys", "duration": "a week"}
    outcome = submit(MemoryStore(), "alice", Enforcement(), form_body(form))
    assert outcome.category == "error"


def test_the_justification_hint_states_the_limits_requests_apply() -> None:
    assert JUSTIFICATION_HINT == "10 to 500 bytes of UTF-8 text"
