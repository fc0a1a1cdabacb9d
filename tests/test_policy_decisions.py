"""Policy decisions, as the Go service makes them: rule_for, may_approve, auto_approve.

Each table row is one decision; the rows with "go:" in their id are the examples of the Go
service's documentation (first match, wildcard profiles, [start, end), days in the rule's time
zone, the max_duration cap).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

from approvals import AUTO_APPROVED_COMMENT, MemoryStore, RequestStatus
from tests.helpers import REGION, make_dynamodb_store, new_request
from tests.policy_support import policy, utc

# -- rule_for --------------------------------------------------------------------------------

ROUTING = """
    version: "1"
    rules:
      - {name: prod-oncall, profiles: [production, billing], approvers: [bob, carol]}
      - {name: prod-shadow, profiles: [production], approvers: [mallory]}
      - {name: staging, profiles: [staging], approvers: [dave]}
      - {name: everything-else, approvers: [security-team]}
      - {name: unreachable, profiles: [sandbox], approvers: [erin]}
    """


@pytest.mark.parametrize(
    ("profile", "rule"),
    [
        pytest.param("production", "prod-oncall", id="go: first match"),
        pytest.param("billing", "prod-oncall", id="go: any listed profile"),
        pytest.param("staging", "staging", id="a later rule"),
        pytest.param("development", "everything-else", id="go: wildcard profiles"),
        pytest.param("sandbox", "everything-else", id="go: a wildcard before a listed rule"),
        pytest.param("Production", "everything-else", id="profiles compare exactly"),
    ],
)
def test_rule_for_is_the_first_rule_listing_the_profile_or_listing_none(
    profile: str, rule: str
) -> None:
    found = policy(ROUTING).rule_for(profile)

    assert found is not None and found.name == rule


def test_rule_for_without_a_wildcard_rule_finds_none_for_other_profiles() -> None:
    routing = policy("version: '1'\nrules: [{name: r, profiles: [production], approvers: [bob]}]")

    assert routing.rule_for("staging") is None


# -- may_approve -----------------------------------------------------------------------------

APPROVERS = """
    version: "1"
    rules:
      - {name: prod-oncall, profiles: [production], approvers: [bob, Carol, alice]}
    """


@pytest.mark.parametrize(
    ("requester", "profile", "approver", "allowed"),
    [
        pytest.param("alice", "production", "bob", True, id="go: a listed approver"),
        pytest.param("alice", "production", "carol", True, id="listed as Carol"),
        pytest.param("alice", "production", "BOB", True, id="another case"),
        pytest.param("alice", "production", "\uff42\uff4f\uff42", True, id="NFKC fullwidth bob"),
        pytest.param("alice", "production", "mallory", False, id="go: not listed"),
        pytest.param("alice", "production", "", False, id="no approver"),
        pytest.param("alice", "production", "alice", False, id="listed requester"),
        pytest.param("Alice", "production", "alice", False, id="listed requester, other case"),
        pytest.param("bob", "production", "BOB", False, id="the requester in another case"),
        pytest.param("alice", "staging", "mallory", True, id="go: no rule is pass-through"),
        pytest.param("alice", "staging", "ALICE", False, id="no rule, still no self-approval"),
    ],
)
def test_may_approve_is_membership_in_the_rules_approvers_and_never_the_requester(
    requester: str, profile: str, approver: str, allowed: bool
) -> None:
    request = new_request(requester, profile)

    assert policy(APPROVERS).may_approve(request, approver) is allowed


@pytest.mark.parametrize(
    ("profile", "approver", "allowed"),
    [("staging", "mallory", False), ("production", "bob", True), ("production", "dave", False)],
)
def test_require_rule_lets_nobody_approve_a_profile_no_rule_covers(
    profile: str, approver: str, allowed: bool
) -> None:
    strict = policy(APPROVERS, require_rule=True)

    assert strict.require_rule is True
    assert strict.may_approve(new_request("alice", profile), approver) is allowed


# -- auto_approve ----------------------------------------------------------------------------

OFFICE_HOURS = """
    version: "1"
    rules:
      - name: prod-oncall
        profiles: [production]
        approvers: [bob]
        auto_approve:
          users: [alice, Erin]
          max_duration: 1h
          time:
            days: [monday, tuesday, wednesday, thursday, friday]
            hours: {start: 09:00, end: 17:00}
            timezone: Europe/Berlin
      - name: weekend-berlin
        profiles: [weekend-berlin]
        approvers: [bob]
        auto_approve: {time: {days: [Saturday, SUNDAY], timezone: Europe/Berlin}}
      - name: friday-la
        profiles: [friday-la]
        approvers: [bob]
        auto_approve: {time: {days: [friday], timezone: America/Los_Angeles}}
      - name: weekend-request-zone
        profiles: [weekend-request-zone]
        approvers: [bob]
        auto_approve: {time: {days: [saturday, sunday]}}
      - name: office-request-zone
        profiles: [office-request-zone]
        approvers: [bob]
        auto_approve: {time: {hours: {start: 09:00, end: 17:00}}}
      - name: short-for-anyone
        profiles: [short]
        approvers: [bob]
        auto_approve: {users: [], max_duration: 30m}
      - name: manual
        profiles: [manual]
        approvers: [bob]
    """

MONDAY_NOON_BERLIN = "2026-11-30T11:00"  # CET is UTC+1 in November
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(
    ("requester", "profile", "created_at", "duration", "approved"),
    [
        pytest.param("alice", "production", MONDAY_NOON_BERLIN, HOUR, True, id="all conditions"),
        pytest.param("ALICE", "production", MONDAY_NOON_BERLIN, HOUR, True, id="user, other case"),
        pytest.param(
            "erin", "production", MONDAY_NOON_BERLIN, HOUR, True, id="user listed as Erin"
        ),
        pytest.param("mallory", "production", MONDAY_NOON_BERLIN, HOUR, False, id="not a user"),
        pytest.param(
            "alice",
            "production",
            "2026-11-30T08:00",
            HOUR,
            True,
            id="go: 09:00 Berlin, start is inside",
        ),
        pytest.param(
            "alice",
            "production",
            "2026-11-30T07:59:59.999999",
            HOUR,
            False,
            id="go: just before start",
        ),
        pytest.param(
            "alice",
            "production",
            "2026-11-30T15:59:59.999999",
            HOUR,
            True,
            id="go: just before end",
        ),
        pytest.param(
            "alice",
            "production",
            "2026-11-30T16:00",
            HOUR,
            False,
            id="go: 17:00 Berlin, end is outside",
        ),
        pytest.param(
            "alice",
            "production",
            "2026-07-06T07:00",
            HOUR,
            True,
            id="09:00 Berlin in summer time (UTC+2)",
        ),
        pytest.param(
            "alice", "production", "2026-07-06T15:00", HOUR, False, id="17:00 Berlin in summer time"
        ),
        pytest.param("alice", "production", "2026-11-28T11:00", HOUR, False, id="a Saturday"),
        pytest.param(
            "alice",
            "production",
            MONDAY_NOON_BERLIN,
            HOUR + timedelta(microseconds=1),
            False,
            id="go: max_duration cap exceeded",
        ),
        pytest.param(
            "alice",
            "production",
            MONDAY_NOON_BERLIN,
            timedelta(minutes=5),
            True,
            id="under the cap",
        ),
        pytest.param(
            "anyone",
            "weekend-berlin",
            "2026-12-04T23:30",
            HOUR,
            True,
            id="go: Friday 23:30 UTC is Saturday in Berlin",
        ),
        pytest.param(
            "anyone",
            "weekend-berlin",
            "2026-12-06T23:30",
            HOUR,
            False,
            id="go: Sunday 23:30 UTC is Monday in Berlin",
        ),
        pytest.param(
            "anyone",
            "friday-la",
            "2026-12-05T03:00",
            HOUR,
            True,
            id="go: Saturday 03:00 UTC is Friday in Los Angeles",
        ),
        pytest.param(
            "anyone",
            "friday-la",
            "2026-12-04T07:59",
            HOUR,
            False,
            id="go: Friday 07:59 UTC is Thursday in Los Angeles",
        ),
        pytest.param(
            "anyone",
            "weekend-request-zone",
            "2026-12-04T23:30",
            HOUR,
            False,
            id="no zone: Friday in the request's UTC",
        ),
        pytest.param(
            "anyone",
            "weekend-request-zone",
            "2026-12-05T00:00",
            HOUR,
            True,
            id="no zone: Saturday starts at 00:00 UTC",
        ),
        pytest.param(
            "anyone", "office-request-zone", "2026-11-30T09:00", HOUR, True, id="no zone: 09:00 UTC"
        ),
        pytest.param(
            "anyone",
            "office-request-zone",
            "2026-11-30T17:00",
            HOUR,
            False,
            id="no zone: 17:00 UTC",
        ),
        pytest.param(
            "anyone",
            "short",
            "2026-11-28T03:00",
            timedelta(minutes=30),
            True,
            id="go: users empty is anyone",
        ),
        pytest.param(
            "anyone",
            "short",
            "2026-11-28T03:00",
            timedelta(minutes=31),
            False,
            id="anyone, over the cap",
        ),
        pytest.param("alice", "manual", MONDAY_NOON_BERLIN, HOUR, False, id="no auto_approve"),
        pytest.param("alice", "unlisted", MONDAY_NOON_BERLIN, HOUR, False, id="no rule"),
    ],
)
def test_auto_approve_holds_when_every_condition_of_the_rule_holds(
    requester: str, profile: str, created_at: str, duration: timedelta, approved: bool
) -> None:
    request = new_request(requester, profile, now=utc(created_at), duration=duration)

    decided = policy(OFFICE_HOURS).auto_approve(request)

    assert (decided.status is RequestStatus.APPROVED) is approved
    if not approved:
        assert decided is request


def test_without_a_zone_the_window_reads_created_at_in_utc_whatever_zone_it_was_given_in() -> None:
    # 09:30 in UTC+05:00 is 04:30 UTC: Request keeps created_at in UTC, outside 09:00-17:00.
    created = datetime(2026, 11, 30, 9, 30, tzinfo=timezone(timedelta(hours=5)))
    request = new_request("anyone", "office-request-zone", now=created)

    assert request.created_at.tzinfo is timezone.utc
    assert policy(OFFICE_HOURS).auto_approve(request) is request


def test_an_auto_approved_request_is_stored_as_the_go_service_writes_it() -> None:
    request = new_request("Alice", "production", now=utc(MONDAY_NOON_BERLIN))

    decided = policy(OFFICE_HOURS).auto_approve(request)

    assert decided == dataclasses.replace(
        request,
        status=RequestStatus.APPROVED,
        approver="Alice",
        approver_comment=AUTO_APPROVED_COMMENT,
    )
    assert AUTO_APPROVED_COMMENT == "auto-approved by policy"
    assert decided.updated_at == request.updated_at
    assert request.status is RequestStatus.PENDING  # the original is unchanged
    assert decided.is_auto_approved
    decided.validate()


@pytest.mark.parametrize("status", [s for s in RequestStatus if s is not RequestStatus.PENDING])
def test_only_a_pending_request_is_auto_approved(status: RequestStatus) -> None:
    pending = new_request("alice", "production", now=utc(MONDAY_NOON_BERLIN))
    decided = {
        RequestStatus.APPROVED: lambda: pending.approve("bob", now=pending.created_at),
        RequestStatus.DENIED: lambda: pending.deny("bob", now=pending.created_at),
        RequestStatus.CANCELLED: lambda: pending.cancel(now=pending.created_at),
        RequestStatus.EXPIRED: lambda: pending.expire(now=pending.created_at),
    }[status]()

    assert policy(OFFICE_HOURS).auto_approve(decided) is decided


@pytest.fixture(params=["memory", "moto"])
def policy_store(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return MemoryStore()
    request.getfixturevalue("moto")
    return make_dynamodb_store()


def test_an_auto_approved_request_round_trips_through_a_store(policy_store: Any) -> None:
    request = new_request("Alice", "production", now=utc(MONDAY_NOON_BERLIN))
    decided = policy(OFFICE_HOURS).auto_approve(request)

    policy_store.create(decided)
    stored = policy_store.get(decided.id)

    assert (stored.status, stored.approver, stored.approver_comment) == (
        RequestStatus.APPROVED,
        "Alice",
        "auto-approved by policy",
    )
    assert stored.is_auto_approved


def test_dynamodb_holds_an_auto_approved_request_as_the_go_service_writes_it(moto: None) -> None:
    store = make_dynamodb_store()
    decided = policy(OFFICE_HOURS).auto_approve(
        new_request("Alice", "production", now=utc(MONDAY_NOON_BERLIN))
    )
    store.create(decided)

    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=store.table_name, Key={"id": {"S": decided.id}}
    )["Item"]

    assert (item["status"], item["requester"], item["approver"], item["approver_comment"]) == (
        {"S": "approved"},
        {"S": "Alice"},
        {"S": "Alice"},
        {"S": "auto-approved by policy"},
    )
