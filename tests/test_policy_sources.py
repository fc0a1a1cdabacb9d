"""Where a policy comes from: an SSM parameter (on moto), and what Go's own YAML library reads.

The comparison with Go builds tests/fixtures/go/policyyaml.go against Debian's
golang-gopkg-yaml.v3-dev and is skipped where Go or that package is missing.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from approvals import ApprovalPolicy, StoreError, StoreUnavailable, ValidationError
from approvals.policy import AutoApprove, TimeWindow
from tests.gobuild import go_build
from tests.helpers import FIXTURES, REGION
from tests.policy_support import EXAMPLE

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


# -- The values Go's YAML library reads ------------------------------------------------------

YAML_V3 = {"gopkg.in/yaml.v3": "golang-gopkg-yaml.v3-dev"}


@pytest.fixture(scope="module")
def go_decoder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/fixtures/go/policyyaml.go: the Go service's policy types decoded by yaml.v3."""
    output = tmp_path_factory.mktemp("go") / "policyyaml"
    return go_build(FIXTURES / "go" / "policyyaml.go", output, packages=YAML_V3)


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
