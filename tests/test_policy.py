"""The approval policy: the Go service's file format, read strictly, and the Go service's decisions.

Each table row is one decision or one refusal; the rows with "go:" in their id are the examples of
the Go service's documentation (first match, wildcard profiles, [start, end), days in the rule's
time zone, the max_duration cap).
"""

from __future__ import annotations

import dataclasses
import json
import random
import subprocess
import sys
import textwrap
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import boto3
import pytest
import yaml
from botocore.config import Config
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from approvals import (
    AUTO_APPROVED_COMMENT,
    ApprovalPolicy,
    ApprovalRule,
    MemoryStore,
    RequestStatus,
    StoreError,
    StoreUnavailable,
    ValidationError,
)
from approvals.policy import AutoApprove, TimeWindow
from tests.gobuild import go_program
from tests.helpers import FIXTURES, REGION, make_dynamodb_store, new_request

EXAMPLE = FIXTURES / "policies" / "sentinel-example.yaml"
BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_ONLY = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday"})


def utc(text: str) -> datetime:
    """An instant written as ISO 8601 in UTC (``2026-11-30T08:00``)."""
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


def policy(text: str, **options: Any) -> ApprovalPolicy:
    return ApprovalPolicy.from_yaml(textwrap.dedent(text), **options)


def refusal(text: str) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        ApprovalPolicy.from_yaml(textwrap.dedent(text))
    return caught.value


# -- Loading ---------------------------------------------------------------------------------


def test_the_go_services_example_file_loads_into_rules_in_file_order() -> None:
    loaded = ApprovalPolicy.from_file(EXAMPLE)

    assert loaded.rules == (
        ApprovalRule(
            name="prod-oncall",
            profiles=("production", "billing"),
            approvers=("bob", "carol"),
            auto_approve=AutoApprove(
                users=("alice",),
                max_duration=timedelta(hours=1),
                time=TimeWindow(
                    days=WEEKDAYS_ONLY, start=time(9, 0), end=time(17, 0), timezone=BERLIN
                ),
            ),
        ),
        ApprovalRule(
            name="staging",
            profiles=("staging",),
            approvers=("dave",),
            auto_approve=AutoApprove(max_duration=timedelta(minutes=90)),
        ),
        ApprovalRule(name="everything-else", approvers=("security-team",)),
    )
    assert loaded.require_rule is False


def test_from_file_and_from_yaml_read_the_same_policy() -> None:
    assert ApprovalPolicy.from_file(str(EXAMPLE)) == ApprovalPolicy.from_yaml(EXAMPLE.read_text())


def test_unquoted_times_and_yaml_1_1_booleans_are_strings_as_in_go() -> None:
    # PyYAML's own safe_load reads YAML 1.1: 9:00 and 17:00 are base-60 integers, `no` is False.
    assert yaml.safe_load("start: 9:00\nend: 17:00\nname: no") == {
        "start": 540,
        "end": 1020,
        "name": False,
    }

    loaded = policy(
        """
        version: 1
        rules:
          - name: no
            profiles: [on, off, yes, y, n, NO, 0x1F, 1_000, 2026-11-30, 1e3, 007, true, .inf]
            approvers: [on]
            auto_approve:
              time: {hours: {start: 9:00, end: 17:30}}
        """
    )

    (rule,) = loaded.rules
    assert rule.name == "no"
    # A scalar where Go's struct wants a string is its text, exactly as written.
    assert rule.profiles == (
        "on", "off", "yes", "y", "n", "NO", "0x1F", "1_000", "2026-11-30", "1e3", "007", "true",
        ".inf",
    )  # fmt: skip
    assert rule.approvers == ("on",)
    assert rule.auto_approve is not None and rule.auto_approve.time is not None
    assert (rule.auto_approve.time.start, rule.auto_approve.time.end) == (time(9), time(17, 30))
    assert loaded.rule_for("on") is rule


def test_an_unquoted_version_1_is_the_string_1() -> None:
    assert policy("version: 1\nrules: [{name: r, approvers: [bob]}]").rules[0].name == "r"


def test_null_lists_are_empty_and_a_null_cap_or_zone_is_absent() -> None:
    loaded = policy(
        """
        version: "1"
        rules:
          - name: r
            profiles: ~
            approvers: [bob]
            auto_approve:
              users:
              max_duration: null
              time: {days: [Monday], timezone: ~}
        """
    )

    assert loaded.rules[0] == ApprovalRule(
        name="r",
        approvers=("bob",),
        auto_approve=AutoApprove(time=TimeWindow(days=frozenset({"monday"}))),
    )


@pytest.mark.parametrize(
    ("written", "cap"),
    [
        ("0", None),
        ('"0s"', None),
        ("8h", timedelta(hours=8)),
        ("1h30m", timedelta(minutes=90)),
        ("90m", timedelta(minutes=90)),
        ("1.5h", timedelta(minutes=90)),
        ("45s", timedelta(seconds=45)),
        ("7h59m59.999999999s", timedelta(hours=8) - timedelta(microseconds=1)),
        ("+2h", timedelta(hours=2)),
    ],
)
def test_max_duration_is_a_go_duration_string_and_zero_means_no_cap(
    written: str, cap: timedelta | None
) -> None:
    loaded = policy(
        f"""
        version: "1"
        rules:
          - {{name: r, approvers: [bob], auto_approve: {{users: [alice], max_duration: {written}}}}}
        """
    )

    assert loaded.rules[0].auto_approve == AutoApprove(users=("alice",), max_duration=cap)


def test_yaml_anchors_and_aliases_are_plain_data() -> None:
    loaded = policy(
        """
        version: "1"
        rules:
          - {name: a, profiles: [p1], approvers: &oncall [bob, carol]}
          - {name: b, profiles: [p2], approvers: *oncall}
        """
    )

    assert [rule.approvers for rule in loaded.rules] == [("bob", "carol"), ("bob", "carol")]


# -- What is refused -------------------------------------------------------------------------

GOOD_RULE = "{name: r, approvers: [bob]}"


def in_rule(auto_approve: str) -> str:
    """A one-rule policy whose rule 'prod-oncall' has the given auto_approve flow mapping."""
    return f"""
        version: "1"
        rules:
          - name: prod-oncall
            approvers: [bob]
            auto_approve: {auto_approve}
        """


MALFORMED = [
    # (policy text, .field, words the message must contain)
    pytest.param("", None, ["empty"], id="empty text"),
    pytest.param("# only a comment\n", None, ["empty"], id="only a comment"),
    pytest.param("version: [", None, ["not valid YAML"], id="malformed YAML"),
    pytest.param("a: b: c", None, ["not valid YAML"], id="malformed mapping"),
    pytest.param("- version\n- rules", None, ["mapping"], id="not a mapping"),
    pytest.param("just text", None, ["mapping"], id="a string document"),
    pytest.param(
        f"version: '1'\nrules: [{GOOD_RULE}]\n---\nversion: '1'",
        None,
        ["not valid YAML"],
        id="two documents",
    ),
    pytest.param(f"rules: [{GOOD_RULE}]", "version", ["missing"], id="no version"),
    pytest.param(f"version: ~\nrules: [{GOOD_RULE}]", "version", ["missing"], id="null version"),
    pytest.param(f"version: '2'\nrules: [{GOOD_RULE}]", "version", ["'2'"], id="version 2"),
    pytest.param(f"version: 1.0\nrules: [{GOOD_RULE}]", "version", ["'1.0'"], id="version 1.0"),
    pytest.param(f"version: [1]\nrules: [{GOOD_RULE}]", "version", ["string"], id="version list"),
    pytest.param("version: '1'", "rules", ["at least one rule"], id="no rules key"),
    pytest.param("version: '1'\nrules: []", "rules", ["at least one rule"], id="empty rules"),
    pytest.param("version: '1'\nrules:", "rules", ["at least one rule"], id="null rules"),
    pytest.param("version: '1'\nrules: {name: r}", "rules", ["list"], id="rules a mapping"),
    pytest.param(
        f"version: '1'\nrules: [{GOOD_RULE}]\nextra: 1",
        "extra",
        ["unknown key 'extra'"],
        id="unknown top-level key",
    ),
    pytest.param(
        f"version: '1'\nversion: '1'\nrules: [{GOOD_RULE}]", "version", ["twice"], id="repeated key"
    ),
    pytest.param("version: '1'\nrules: [r]", None, ["rule #1", "mapping"], id="rule a string"),
    pytest.param(
        "version: '1'\nrules: [{approvers: [bob]}]",
        "name",
        ["rule #1", "name"],
        id="rule without a name",
    ),
    pytest.param(
        "version: '1'\nrules: [{name: '', approvers: [bob]}]", "name", ["rule #1"], id="empty name"
    ),
    pytest.param(
        "version: '1'\nrules: [{name: [x], approvers: [bob]}]",
        "name",
        ["rule #1", "string"],
        id="name a list",
    ),
    pytest.param(
        "version: '1'\nrules: [{name: r}]", "approvers", ["rule 'r'", "approver"], id="no approvers"
    ),
    pytest.param(
        "version: '1'\nrules: [{name: r, approvers: []}]",
        "approvers",
        ["rule 'r'"],
        id="empty approvers",
    ),
    pytest.param(
        "version: '1'\nrules: [{name: r, approvers: bob}]",
        "approvers",
        ["list"],
        id="approvers a string",
    ),
    pytest.param(
        "version: '1'\nrules: [{name: r, approvers: [bob, ~]}]",
        "approvers[1]",
        ["non-empty"],
        id="null approver",
    ),
    pytest.param(
        "version: '1'\nrules: [{name: r, approvers: [bob, [x]]}]",
        "approvers[1]",
        ["string"],
        id="nested list approver",
    ),
    pytest.param(
        "version: '1'\nrules: [{name: r, profiles: [''], approvers: [bob]}]",
        "profiles[0]",
        ["non-empty"],
        id="empty profile",
    ),
    pytest.param(
        "version: '1'\nrules: [{name: r, approvers: [bob], approver: [x]}]",
        "approver",
        ["rule 'r'", "unknown key 'approver'"],
        id="unknown rule key",
    ),
    pytest.param(
        f"version: '1'\nrules: [{GOOD_RULE}, {{name: s, approvers: [x]}}, {GOOD_RULE}]",
        "name",
        ["rule 'r'", "rule #3", "rule #1", "unique"],
        id="duplicate names",
    ),
    pytest.param(
        in_rule("{}"),
        "auto_approve",
        ["rule 'prod-oncall'", "at least one condition"],
        id="empty auto_approve",
    ),
    pytest.param(
        in_rule("~"), "auto_approve", ["rule 'prod-oncall'", "empty"], id="null auto_approve"
    ),
    pytest.param(
        in_rule("{users: []}"),
        "auto_approve",
        ["at least one condition"],
        id="auto_approve with only empty users",
    ),
    pytest.param(
        in_rule("{max_duration: 0}"),
        "auto_approve",
        ["at least one condition"],
        id="auto_approve with only a zero cap",
    ),
    pytest.param(in_rule("[users]"), "auto_approve", ["mapping"], id="auto_approve a list"),
    pytest.param(
        in_rule("{user: [alice]}"),
        "auto_approve.user",
        ["unknown key 'user'"],
        id="unknown auto_approve key",
    ),
    pytest.param(in_rule("{users: alice}"), "auto_approve.users", ["list"], id="users a string"),
    pytest.param(
        in_rule("{max_duration: 9h}"),
        "auto_approve.max_duration",
        ["rule 'prod-oncall'", "8h"],
        id="max_duration over 8h",
    ),
    pytest.param(
        in_rule("{max_duration: 8h0m0.000001s}"),
        "auto_approve.max_duration",
        ["8h"],
        id="max_duration just over 8h",
    ),
    pytest.param(
        in_rule("{max_duration: -1h}"),
        "auto_approve.max_duration",
        ["-1:00:00"],
        id="negative max_duration",
    ),
    pytest.param(
        in_rule("{max_duration: 90}"),
        "auto_approve.max_duration",
        ["missing unit"],
        id="max_duration without unit",
    ),
    pytest.param(
        in_rule("{max_duration: 1 h}"),
        "auto_approve.max_duration",
        ["unknown unit"],
        id="max_duration with a space",
    ),
    pytest.param(
        in_rule("{max_duration: 1d}"),
        "auto_approve.max_duration",
        ["unknown unit 'd'"],
        id="max_duration in days",
    ),
    pytest.param(
        in_rule("{max_duration: [1h]}"),
        "auto_approve.max_duration",
        ["string"],
        id="max_duration a list",
    ),
    pytest.param(in_rule("{time: {}}"), "auto_approve.time", ["days or hours"], id="empty time"),
    pytest.param(in_rule("{time: ~}"), "auto_approve.time", ["empty"], id="null time"),
    pytest.param(
        in_rule("{time: {timezone: UTC}}"),
        "auto_approve.time",
        ["days or hours"],
        id="time with only a zone",
    ),
    pytest.param(
        in_rule("{time: {day: [monday]}}"),
        "auto_approve.time.day",
        ["unknown key 'day'"],
        id="unknown time key",
    ),
    pytest.param(
        in_rule("{time: {days: [monday, funday]}}"),
        "auto_approve.time.days",
        ["rule 'prod-oncall'", "'funday'"],
        id="unknown weekday",
    ),
    pytest.param(
        in_rule("{time: {days: [mon]}}"),
        "auto_approve.time.days",
        ["'mon'"],
        id="abbreviated weekday",
    ),
    pytest.param(
        in_rule("{time: {days: monday}}"), "auto_approve.time.days", ["list"], id="days a string"
    ),
    pytest.param(
        in_rule("{time: {hours: {start: 25:00, end: 26:00}}}"),
        "auto_approve.time.hours.start",
        ["rule 'prod-oncall'", "'25:00'"],
        id="hour out of range",
    ),
    pytest.param(
        in_rule("{time: {hours: {start: 09:00, end: 24:00}}}"),
        "auto_approve.time.hours.end",
        ["'24:00'"],
        id="end 24:00",
    ),
    pytest.param(
        in_rule("{time: {hours: {start: 09:60, end: 17:00}}}"),
        "auto_approve.time.hours.start",
        ["'09:60'"],
        id="minute out of range",
    ),
    pytest.param(
        in_rule("{time: {hours: {start: 9am, end: 17:00}}}"),
        "auto_approve.time.hours.start",
        ["'9am'"],
        id="not HH:MM",
    ),
    pytest.param(
        in_rule("{time: {hours: {start: 0900, end: 17:00}}}"),
        "auto_approve.time.hours.start",
        ["'0900'"],
        id="no colon",
    ),
    pytest.param(
        in_rule("{time: {hours: {start: '09:00:00', end: 17:00}}}"),
        "auto_approve.time.hours.start",
        ["'09:00:00'"],
        id="seconds",
    ),
    pytest.param(
        in_rule("{time: {hours: {start: 17:00, end: 09:00}}}"),
        "auto_approve.time.hours.end",
        ["after start"],
        id="start after end",
    ),
    pytest.param(
        in_rule("{time: {hours: {start: 09:00, end: 09:00}}}"),
        "auto_approve.time.hours.end",
        ["after start"],
        id="start equals end",
    ),
    pytest.param(
        in_rule("{time: {hours: {start: 09:00}}}"),
        "auto_approve.time.hours.end",
        ["both start and end"],
        id="hours without end",
    ),
    pytest.param(
        in_rule("{time: {hours: {end: 09:00}}}"),
        "auto_approve.time.hours.start",
        ["both start and end"],
        id="hours without start",
    ),
    pytest.param(
        in_rule("{time: {hours: {start: 09:00, end: 10:00, tz: UTC}}}"),
        "auto_approve.time.hours.tz",
        ["unknown key 'tz'"],
        id="unknown hours key",
    ),
    pytest.param(
        in_rule("{time: {days: [monday], timezone: Mars/Olympus}}"),
        "auto_approve.time.timezone",
        ["rule 'prod-oncall'", "'Mars/Olympus'"],
        id="unknown time zone",
    ),
    pytest.param(
        in_rule("{time: {days: [monday], timezone: europe/berlin}}"),
        "auto_approve.time.timezone",
        ["IANA"],
        id="time zone in the wrong case",
    ),
    pytest.param(
        in_rule("{time: {days: [monday], timezone: ../../etc/passwd}}"),
        "auto_approve.time.timezone",
        ["IANA"],
        id="time zone as a path",
    ),
    pytest.param(
        in_rule("{time: {days: [monday], timezone: Local}}"),
        "auto_approve.time.timezone",
        ["IANA"],
        id="Go's Local zone",
    ),
    pytest.param(
        "version: '1'\nrules: [{name: r, approvers: [bob], <<: {profiles: [p]}}]",
        "<<",
        ["unknown key '<<'"],
        id="merge key",
    ),
    pytest.param(
        "version: '1'\nrules: [{? [a, b] : c, name: r, approvers: [bob]}]",
        None,
        ["not a string"],
        id="a list as a key",
    ),
    pytest.param(
        "version: '1'\nrules: [{name: r, approvers: !!set {bob}}]", "approvers", ["tag"], id="a set"
    ),
    pytest.param(
        "version: '1'\nrules: [{name: r, approvers: [!!binary aGk=]}]",
        "approvers[0]",
        ["tag"],
        id="binary",
    ),
    pytest.param(
        "version: !!python/name:os.system '1'\nrules: []",
        "version",
        ["tag", "plain data"],
        id="python tag on a value",
    ),
    pytest.param(
        "!!python/object/apply:os.getcwd []",
        None,
        ["tag", "plain data"],
        id="python tag on the document",
    ),
    pytest.param(
        "version: '1'\nrules:" + " [" * 40 + "]" * 40, None, ["deeper"], id="deep nesting"
    ),
]


@pytest.mark.parametrize(("text", "field", "words"), MALFORMED)
def test_a_malformed_policy_is_refused_naming_the_rule_and_the_key(
    text: str, field: str | None, words: list[str]
) -> None:
    error = refusal(text)

    assert error.field == field
    message = str(error)
    if field is not None:
        assert f"{field}: " in message
    for word in words:
        assert word in message


def test_the_message_names_the_rule_the_dotted_key_and_the_line() -> None:
    error = refusal(
        """
        version: "1"
        rules:
          - name: staging
            approvers: [dave]
          - name: prod-oncall
            approvers: [bob]
            auto_approve:
              time:
                hours: {start: "7:75", end: "17:00"}
        """
    )

    assert error.field == "auto_approve.time.hours.start"
    assert str(error) == (
        "rule 'prod-oncall': auto_approve.time.hours.start: '7:75' is not a time of day "
        "(HH:MM, 00:00 to 23:59) (line 10)"
    )


def test_a_file_error_starts_with_the_path(tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text("version: '1'\nrules: [{name: r}]\n")

    with pytest.raises(ValidationError, match=r"^.*policy\.yaml: rule 'r': approvers: ") as caught:
        ApprovalPolicy.from_file(path)

    assert caught.value.field == "approvers"


@pytest.mark.parametrize(
    ("content", "words"),
    [(None, "cannot read"), (b"\xff\xfeversion", "not UTF-8")],
    ids=["missing file", "not UTF-8"],
)
def test_an_unreadable_file_is_a_validation_error_on_the_path(
    tmp_path: Path, content: bytes | None, words: str
) -> None:
    path = tmp_path / "policy.yaml"
    if content is not None:
        path.write_bytes(content)

    with pytest.raises(ValidationError, match=words) as caught:
        ApprovalPolicy.from_file(path)

    assert caught.value.field == "path"


def test_no_object_is_ever_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "constructed"
    payload = f"!!python/object/apply:os.mkdir ['{marker}']"
    texts = [
        payload,
        f"version: '1'\nrules: {payload}",
        f"version: {payload}\nrules: [{GOOD_RULE}]",
        f"version: '1'\nrules: [{{name: r, approvers: [bob], auto_approve: {payload}}}]",
        f"version: '1'\nrules: [{{name: r, approvers: [{payload}]}}]",
    ]

    for text in texts:
        with pytest.raises(ValidationError, match="plain data"):
            ApprovalPolicy.from_yaml(text)
    assert not marker.exists()
    # The same text does construct with an unsafe loader: the refusal above is the loader's doing.
    yaml.unsafe_load(payload)
    assert marker.exists()


def test_alias_fan_out_is_bounded() -> None:
    # Every rule lists the same 2,000 approvers through an alias: 200 rules read 400,000 names.
    approvers = "[" + ", ".join(f"a{i}" for i in range(2000)) + "]"
    rules = "\n".join(f"  - {{name: r{i}, approvers: *all}}" for i in range(1, 200))
    text = f"version: '1'\nrules:\n  - {{name: r0, approvers: &all {approvers}}}\n{rules}\n"

    with pytest.raises(ValidationError, match="more than 100000 values"):
        ApprovalPolicy.from_yaml(text)


# -- Constructed in code ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: ApprovalRule(name="", approvers=("bob",)), "name"),
        (lambda: ApprovalRule(name="r", approvers=()), "approvers"),
        (lambda: ApprovalRule(name="r", approvers="bob"), "approvers"),
        (lambda: AutoApprove(), None),
        (lambda: AutoApprove(max_duration=timedelta(hours=9)), "max_duration"),
        (lambda: TimeWindow(), None),
        (lambda: TimeWindow(days=frozenset({"Funday"})), "days"),
        (lambda: TimeWindow(start=time(10), end=time(9)), "hours.end"),
        (lambda: TimeWindow(start=time(10)), "hours.end"),
        (lambda: ApprovalPolicy(()), "rules"),
        (
            lambda: ApprovalPolicy(
                (ApprovalRule(name="r", approvers=("a",)), ApprovalRule(name="r", approvers=("b",)))
            ),
            "name",
        ),
    ],
    ids=[
        "rule without name",
        "rule without approvers",
        "approvers a string",
        "empty auto-approve",
        "cap over 8h",
        "empty time window",
        "unknown weekday",
        "start after end",
        "start without end",
        "policy without rules",
        "duplicate rule names",
    ],
)
def test_values_built_in_code_are_checked_as_the_loader_checks_them(
    build: Any, field: str | None
) -> None:
    with pytest.raises(ValidationError) as caught:
        build()

    assert caught.value.field == field


def test_values_built_in_code_are_normalised_like_loaded_ones() -> None:
    window = TimeWindow(days=frozenset({"Monday", "FRIDAY"}))
    rule = ApprovalRule(name="r", profiles=["p"], approvers=["bob"])  # type: ignore[arg-type]

    assert window.days == frozenset({"monday", "friday"})
    assert (rule.profiles, rule.approvers) == (("p",), ("bob",))
    assert AutoApprove(users=("a",), max_duration=timedelta(0)).max_duration is None


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


# -- SSM -------------------------------------------------------------------------------------

PARAMETER = "/sentinel/approval-policy"


@pytest.fixture
def ssm(moto: None) -> Any:
    """moto's SSM, holding the example policy as a SecureString."""
    client = boto3.client("ssm", region_name=REGION)
    client.put_parameter(Name=PARAMETER, Value=EXAMPLE.read_text(), Type="SecureString")
    return client


def test_from_ssm_reads_the_decrypted_parameter(ssm: Any) -> None:
    assert ApprovalPolicy.from_ssm(PARAMETER, region=REGION) == ApprovalPolicy.from_file(EXAMPLE)


def test_from_ssm_uses_the_given_client_and_options(ssm: Any) -> None:
    loaded = ApprovalPolicy.from_ssm(PARAMETER, client=ssm, require_rule=True)

    assert loaded.require_rule is True
    assert [rule.name for rule in loaded.rules] == ["prod-oncall", "staging", "everything-else"]


def test_a_missing_parameter_is_a_validation_error_on_the_name(ssm: Any) -> None:
    with pytest.raises(ValidationError, match="'/sentinel/nothing' does not exist") as caught:
        ApprovalPolicy.from_ssm("/sentinel/nothing", client=ssm)

    assert caught.value.field == "name"


def test_a_malformed_parameter_names_the_parameter_the_rule_and_the_key(ssm: Any) -> None:
    ssm.put_parameter(Name="/sentinel/bad", Value="version: '1'\nrules: [{name: r}]", Type="String")

    with pytest.raises(ValidationError) as caught:
        ApprovalPolicy.from_ssm("/sentinel/bad", client=ssm)

    assert str(caught.value).startswith("SSM parameter '/sentinel/bad': rule 'r': approvers: ")
    assert caught.value.field == "approvers"


@pytest.mark.parametrize("name", ["", "   ", None])
def test_an_empty_parameter_name_is_refused_before_any_call(name: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        ApprovalPolicy.from_ssm(name, client=object())

    assert caught.value.field == "name"


def test_the_policy_needs_no_boto3_until_it_reads_ssm() -> None:
    script = textwrap.dedent(
        """
        import sys
        sys.modules["boto3"] = None  # as if boto3 were not installed
        from approvals import ApprovalPolicy
        ApprovalPolicy.from_yaml("version: '1'\\nrules: [{name: r, approvers: [bob]}]")
        try:
            ApprovalPolicy.from_ssm("/sentinel/approval-policy")
        except ImportError as exc:
            print(exc)
        """
    )

    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )

    assert result.stdout.strip() == (
        "ApprovalPolicy.from_ssm needs boto3: pip install 'sentinel-approvals[ssm]'"
    )


def test_an_unreachable_ssm_endpoint_is_a_retryable_store_error() -> None:
    client = boto3.client(
        "ssm",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",  # discard port: nothing listens
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )

    with pytest.raises(StoreUnavailable) as caught:
        ApprovalPolicy.from_ssm(PARAMETER, client=client)

    assert caught.value.retryable
    assert isinstance(caught.value, StoreError)
    assert f"could not reach SSM for SSM parameter '{PARAMETER}'" in str(caught.value)


# -- Fuzzing: nothing but ValidationError, ever ----------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.sampled_from(["09:00", "17:00", "25:99", "1h", "9h", "-1h", "monday", "Europe/Berlin"]),
)
plain_data = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.text(max_size=12) | st.sampled_from(["name", "rules"]), children, max_size=4
        )
    ),
    max_leaves=20,
)


def shaped(keys: dict[str, st.SearchStrategy[Any]]) -> st.SearchStrategy[dict[str, Any]]:
    """Mappings with some of ``keys`` (each value from its strategy) and sometimes a stray key."""
    return st.fixed_dictionaries({}, optional={**keys, "stray": plain_data})


hours = shaped({"start": scalars, "end": scalars})
windows = shaped(
    {"days": st.lists(scalars) | scalars, "hours": hours | scalars, "timezone": scalars}
)
auto = shaped({"users": st.lists(scalars) | scalars, "max_duration": scalars, "time": windows})
rules = shaped(
    {
        "name": scalars,
        "profiles": st.lists(scalars, max_size=3) | scalars,
        "approvers": st.lists(scalars, max_size=3) | scalars,
        "auto_approve": auto | scalars,
    }
)
documents = shaped({"version": st.sampled_from(["1", 1, "2"]) | scalars, "rules": st.lists(rules)})


def loads_or_refuses(text: str) -> None:
    try:
        loaded = ApprovalPolicy.from_yaml(text)
    except ValidationError:
        return
    request = new_request("alice", "production", now=utc(MONDAY_NOON_BERLIN))
    loaded.may_approve(request, "bob")
    loaded.auto_approve(request)


@settings(max_examples=300, deadline=None)
@given(st.text())
@example("version: '1'\nrules: [{name: r, approvers: [b]}]")
@example("\ufeffversion: '1'")
@example("\x00")
@example("\ud800")
@example("&a [*a]")
@example("key: !!python/object:os.system {}")
def test_fuzz_any_text_loads_or_is_a_validation_error(text: str) -> None:
    loads_or_refuses(text)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plain_data | documents)
def test_fuzz_any_plain_data_dumped_to_yaml_loads_or_is_a_validation_error(data: Any) -> None:
    loads_or_refuses(yaml.safe_dump(data))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(documents, st.booleans())
def test_fuzz_policy_shaped_documents_load_or_are_a_validation_error(data: Any, flow: bool) -> None:
    loads_or_refuses(yaml.safe_dump(data, default_flow_style=flow))


# -- The values Go's YAML library reads ------------------------------------------------------

YAML_V3 = {"gopkg.in/yaml.v3": "golang-gopkg-yaml.v3-dev"}


@pytest.fixture(scope="module")
def go_decoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/fixtures/go/policyyaml.go: the Go service's policy types decoded by yaml.v3."""
    return go_program("policyyaml", tmp_path_factory.mktemp("go"), packages=YAML_V3)


def go_decode(decoder: Path, documents: list[str]) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(decoder)],
        input=json.dumps(documents),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    decoded: list[dict[str, Any]] = json.loads(result.stdout)
    return decoded


def go_values(document: dict[str, Any]) -> tuple[Any, ...]:
    """What Go decoded, in the shape of :func:`python_values` (nil lists are empty)."""

    def window(time_: dict[str, Any] | None) -> Any:
        if time_ is None:
            return None
        hours = time_["hours"] or {}
        clock = [
            None if value is None else "{:02d}:{:02d}".format(*map(int, value.split(":")))
            for value in (hours.get("start"), hours.get("end"))
        ]
        days = frozenset(day.lower() for day in time_["days"] or ())
        return days, *clock, time_["timezone"] or None

    def auto(value: dict[str, Any] | None) -> Any:
        if value is None:
            return None
        return tuple(value["users"] or ()), value["max_duration"] or None, window(value["time"])

    rules = tuple(
        (
            rule["name"],
            tuple(rule["profiles"] or ()),
            tuple(rule["approvers"] or ()),
            auto(rule["auto_approve"]),
        )
        for rule in document["rules"]
    )
    return document["version"], rules


def python_values(loaded: ApprovalPolicy) -> tuple[Any, ...]:
    def window(time_: TimeWindow | None) -> Any:
        if time_ is None:
            return None
        clock = [None if value is None else f"{value:%H:%M}" for value in (time_.start, time_.end)]
        zone = str(time_.timezone) if time_.timezone is not None else None
        return time_.days, *clock, zone

    def auto(value: AutoApprove | None) -> Any:
        if value is None:
            return None
        cap = value.max_duration
        nanoseconds = None if cap is None else cap // timedelta(microseconds=1) * 1000
        return value.users, nanoseconds, window(value.time)

    rules = tuple(
        (rule.name, rule.profiles, rule.approvers, auto(rule.auto_approve)) for rule in loaded.rules
    )
    return "1", rules


TRICKY_SCALARS = [
    "on", "off", "yes", "no", "y", "N", "NO", "0x1F", "0o17", "1_000", "007", "1e3", ".inf",
    "-.INF", ".NaN", "true", "False", "2026-11-30", "2026-11-30T10:00:00Z", "12:30", "1:2:3",
    "'quoted'", '"double"', "!!str 12", "plain text", "prod/eu-west-1", "Alice", "\u00e9t\u00e9",
]  # fmt: skip


VERSIONS = ["1", '"1"', "!!str 1", "1 # the only version"]
DURATIONS = ["1h", "90m", "1h30m", '"45m"', "8h", "0s", "1.5h"]
DAYS = ["monday", "Friday", "SUNDAY", "wednesday"]
STARTS, ENDS = ["09:00", "9:00", "00:00"], ["17:30", "23:59", "12:00"]
ZONES = ["Europe/Berlin", "UTC", '""', "~", "America/New_York"]


def generated_documents(count: int) -> list[str]:
    """Policies whose values are drawn from scalars YAML 1.1 and 1.2 read differently; each line
    after the rule's name is left out now and then. The same documents on every run."""
    chooser = random.Random(20261202)

    def items(options: list[str]) -> str:
        return "[" + ", ".join(chooser.sample(options, chooser.randint(1, 3))) + "]"

    documents = []
    for _ in range(count):
        hours = f"{{start: {chooser.choice(STARTS)}, end: {chooser.choice(ENDS)}}}"
        required = [
            f"version: {chooser.choice(VERSIONS)}",
            "rules:",
            f"  - name: {chooser.choice(TRICKY_SCALARS)}",
        ]
        rule = [
            f"    approvers: {items(TRICKY_SCALARS)}",
            f"    profiles: {items(TRICKY_SCALARS)}",
            "    auto_approve:",
            f"      users: {items(TRICKY_SCALARS)}",
            f"      max_duration: {chooser.choice(DURATIONS)}",
            "      time:",
            f"        days: {items(DAYS)}",
            f"        hours: {hours}",
            f"        timezone: {chooser.choice(ZONES)}",
        ]
        kept = [line for line in rule if chooser.random() < 0.85]
        documents.append("\n".join(required + kept) + "\n")
    return documents


def test_go_reads_the_same_values_from_every_policy_this_library_accepts(
    go_decoder: Path,
) -> None:
    documents = [
        EXAMPLE.read_text(),
        "version: 1\nrules:\n  - {name: no, profiles: [on, 0x1F, 2026-11-30], approvers: [yes]}",
        *generated_documents(400),
    ]
    accepted = {}
    for index, document in enumerate(documents):
        try:
            accepted[index] = ApprovalPolicy.from_yaml(document)
        except ValidationError:
            continue

    decoded = go_decode(go_decoder, documents)

    assert len(accepted) >= 200  # the comparison below is not vacuous
    differences = [
        (documents[index], decoded[index])
        for index, loaded in accepted.items()
        if "policy" not in decoded[index]
        or go_values(decoded[index]["policy"]) != python_values(loaded)
    ]
    assert differences == []
