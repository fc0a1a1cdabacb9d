"""The approval policy file: the Go service's format read strictly, as Go's YAML library reads it.

Every malformed input is refused with a ValidationError naming the rule and the dotted key; the
fuzz tests hold the loader to that: nothing but ValidationError, ever. The decisions are in
test_policy_decisions.py, the sources (SSM) and the comparison with Go in test_policy_sources.py.
"""

from __future__ import annotations

import textwrap
from datetime import time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings, strategies as st

from approvals import ApprovalPolicy, ApprovalRule, ValidationError
from approvals.policy import AutoApprove, TimeWindow
from tests.helpers import new_request
from tests.policy_support import EXAMPLE, policy, utc

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_ONLY = frozenset({"monday", "tuesday", "wednesday", "thursday", "friday"})


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


@pytest.mark.parametrize("zone", ["~", "''"])
def test_null_lists_are_empty_and_a_null_cap_or_a_null_or_empty_zone_is_absent(zone: str) -> None:
    loaded = policy(
        f"""
        version: "1"
        rules:
          - name: r
            profiles: ~
            approvers: [bob]
            auto_approve:
              users:
              max_duration: null
              time: {{days: [Monday], timezone: {zone}}}
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
# Each table: (id, text, .field, words the message must also contain).

GOOD_RULE = "{name: r, approvers: [bob]}"


def document(rules: str = f"[{GOOD_RULE}]", head: str = "version: '1'\n") -> str:
    return f"{head}rules: {rules}"


# fmt: off
REFUSED_DOCUMENTS = [
    ("empty text", "", None, "empty"),
    ("only a comment", "# only a comment\n", None, "empty"),
    ("malformed YAML", "version: [", None, "not valid YAML"),
    ("malformed mapping", "a: b: c", None, "not valid YAML"),
    ("not a mapping", "- version\n- rules", None, "mapping"),
    ("a string document", "just text", None, "mapping"),
    ("two documents", document() + "\n---\nversion: '1'", None, "not valid YAML"),
    ("no version", document(head=""), "version", "missing"),
    ("null version", document(head="version: ~\n"), "version", "missing"),
    ("version 2", document(head="version: '2'\n"), "version", "'2'"),
    ("version 1.0", document(head="version: 1.0\n"), "version", "'1.0'"),
    ("version a list", document(head="version: [1]\n"), "version", "string"),
    ("no rules key", "version: '1'", "rules", "at least one rule"),
    ("empty rules", document("[]"), "rules", "at least one rule"),
    ("null rules", document(""), "rules", "at least one rule"),
    ("rules a mapping", document("{name: r}"), "rules", "list"),
    ("unknown top-level key", document() + "\nextra: 1", "extra", "unknown key 'extra'"),
    ("repeated key", document(head="version: '1'\nversion: '1'\n"), "version", "twice"),
    ("python tag on a value", document("[]", "version: !!python/name:os.system '1'\n"),
     "version", "tag", "plain data"),
    ("python tag on the document", "!!python/object/apply:os.getcwd []", None, "plain data"),
    ("deep nesting", document(" [" * 40 + "]" * 40), None, "deeper"),
]

REFUSED_RULES = [  # the text of the second rule; the first is GOOD_RULE
    ("a string", "r2", None, "rule #2", "mapping"),
    ("no name", "{approvers: [bob]}", "name", "rule #2"),
    ("empty name", "{name: '', approvers: [bob]}", "name", "rule #2"),
    ("name a list", "{name: [x], approvers: [bob]}", "name", "rule #2", "string"),
    ("no approvers", "{name: s}", "approvers", "rule 's'", "at least one approver"),
    ("empty approvers", "{name: s, approvers: []}", "approvers", "rule 's'"),
    ("approvers a string", "{name: s, approvers: bob}", "approvers", "list"),
    ("null approver", "{name: s, approvers: [bob, ~]}", "approvers[1]", "non-empty"),
    ("a list approver", "{name: s, approvers: [bob, [x]]}", "approvers[1]", "string"),
    ("empty profile", "{name: s, profiles: [''], approvers: [bob]}", "profiles[0]", "non-empty"),
    ("unknown key", "{name: s, approvers: [bob], approver: [x]}", "approver",
     "rule 's'", "unknown key 'approver'"),
    ("repeated name", GOOD_RULE, "name", "rule 'r'", "rule #2", "rule #1", "unique"),
    ("merge key", "{name: s, approvers: [bob], <<: {profiles: [p]}}", "<<", "unknown key '<<'"),
    ("a list as a key", "{? [a, b] : c, name: s, approvers: [bob]}", None, "not a string"),
    ("a set", "{name: s, approvers: !!set {bob}}", "approvers", "tag"),
    ("binary", "{name: s, approvers: [!!binary aGk=]}", "approvers[0]", "tag"),
]

REFUSED_AUTO_APPROVE = [  # auto_approve of rule 'prod-oncall'; .field is under auto_approve
    ("empty", "{}", "", "at least one condition"),
    ("null", "~", "", "empty"),
    ("only empty users", "{users: []}", "", "at least one condition"),
    ("only a zero cap", "{max_duration: 0}", "", "at least one condition"),
    ("a list", "[users]", "", "mapping"),
    ("unknown key", "{user: [alice]}", ".user", "unknown key 'user'"),
    ("users a string", "{users: alice}", ".users", "list"),
    ("cap over 8h", "{max_duration: 9h}", ".max_duration", "8h"),
    ("cap just over 8h", "{max_duration: 8h0m0.000001s}", ".max_duration", "8h"),
    ("negative cap", "{max_duration: -1h}", ".max_duration", "-1:00:00"),
    ("cap without unit", "{max_duration: 90}", ".max_duration", "missing unit"),
    ("cap with a space", "{max_duration: 1 h}", ".max_duration", "unknown unit"),
    ("cap in days", "{max_duration: 1d}", ".max_duration", "unknown unit 'd'"),
    ("cap a list", "{max_duration: [1h]}", ".max_duration", "string"),
    ("cap an empty string", "{max_duration: ''}", ".max_duration", "empty"),
    ("empty time", "{time: {}}", ".time", "days or hours"),
    ("null time", "{time: ~}", ".time", "empty"),
    ("time with only a zone", "{time: {timezone: UTC}}", ".time", "days or hours"),
    ("unknown time key", "{time: {day: [monday]}}", ".time.day", "unknown key 'day'"),
    ("unknown weekday", "{time: {days: [monday, funday]}}", ".time.days", "'funday'"),
    ("abbreviated weekday", "{time: {days: [mon]}}", ".time.days", "'mon'"),
    ("days a string", "{time: {days: monday}}", ".time.days", "list"),
    ("hour out of range", "{time: {hours: {start: 25:00, end: 26:00}}}", ".time.hours.start",
     "'25:00'"),
    ("end 24:00", "{time: {hours: {start: 09:00, end: 24:00}}}", ".time.hours.end", "'24:00'"),
    ("minute out of range", "{time: {hours: {start: 09:60, end: 17:00}}}", ".time.hours.start",
     "'09:60'"),
    ("not HH:MM", "{time: {hours: {start: 9am, end: 17:00}}}", ".time.hours.start", "'9am'"),
    ("no colon", "{time: {hours: {start: 0900, end: 17:00}}}", ".time.hours.start", "'0900'"),
    ("seconds", "{time: {hours: {start: '09:00:00', end: 17:00}}}", ".time.hours.start",
     "'09:00:00'"),
    ("start after end", "{time: {hours: {start: 17:00, end: 09:00}}}", ".time.hours.end",
     "after start"),
    ("start equals end", "{time: {hours: {start: 09:00, end: 09:00}}}", ".time.hours.end",
     "after start"),
    ("no end", "{time: {hours: {start: 09:00}}}", ".time.hours.end", "both start and end"),
    ("no start", "{time: {hours: {end: 09:00}}}", ".time.hours.start", "both start and end"),
    ("unknown hours key", "{time: {hours: {start: 09:00, end: 10:00, tz: UTC}}}",
     ".time.hours.tz", "unknown key 'tz'"),
    ("unknown time zone", "{time: {days: [monday], timezone: Mars/Olympus}}", ".time.timezone",
     "'Mars/Olympus'"),
    ("zone in the wrong case", "{time: {days: [monday], timezone: europe/berlin}}",
     ".time.timezone", "IANA"),
    ("zone as a path", "{time: {days: [monday], timezone: ../../etc/passwd}}", ".time.timezone",
     "IANA"),
    ("Go's Local zone", "{time: {days: [monday], timezone: Local}}", ".time.timezone", "IANA"),
]
# fmt: on

MALFORMED = [
    *(
        pytest.param(text, field, words, id=f"document: {name}")
        for name, text, field, *words in REFUSED_DOCUMENTS
    ),
    *(
        pytest.param(document(f"[{GOOD_RULE}, {text}]"), field, words, id=f"rule: {name}")
        for name, text, field, *words in REFUSED_RULES
    ),
    *(
        pytest.param(
            document(f"[{{name: prod-oncall, approvers: [bob], auto_approve: {text}}}]"),
            f"auto_approve{field}",
            ["rule 'prod-oncall'", *words],
            id=f"auto_approve: {name}",
        )
        for name, text, field, *words in REFUSED_AUTO_APPROVE
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
    request = new_request("alice", "production", now=utc("2026-11-30T11:00"))
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
