"""Which store the command line runs on, who it acts as there, and how configuration errors end.

DynamoDB whenever a region is configured (option, environment, or the profile's config) or an
endpoint is given; the local SQLite store only when nothing is, or with --local. One line on
stderr names the store. On DynamoDB the acting identity is the STS caller (moto's STS here).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import boto3
import pytest
from click.testing import Result

from approvals import DynamoDBStore, Request, RequestStatus, SQLiteStore
from tests.cli_support import invoke, one_line_error, store_line
from tests.helpers import make_dynamodb_store
from tests.migrate_support import request_data
from tests.servers.plugin import unique_table_name

CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
AWS_VARIABLES = (
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_PROFILE",
    "AWS_ENDPOINT_URL",
    "APPROVALS_ENDPOINT_URL",
    "APPROVALS_TABLE",
    "APPROVALS_POLICY",
)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A user with no AWS configuration: no region, no profile, an empty ~/.aws (the tests'
    dummy credentials stay in the environment unless a test removes them)."""
    for name in AWS_VARIABLES:
        monkeypatch.setenv(name, "")  # recorded, so whatever a command sets is undone
        monkeypatch.delenv(name)
    (tmp_path / ".aws").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("APPROVALS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("USER", "alice")
    return tmp_path


@pytest.fixture
def table(moto_server_endpoint: str) -> DynamoDBStore:
    """A table on moto's server, written to directly by the tests."""
    return make_dynamodb_store(moto_server_endpoint)


def _iam_user(endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """Create an IAM user on moto's server and act as it (its access key in the environment)."""
    name = unique_table_name("user").replace("-", "")[:20]
    iam = boto3.client(
        "iam",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
    return name


def _listed_ids(result: Result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [r["id"] for r in json.loads(result.stdout)]


# -- the choice of store ----------------------------------------------------------------


def test_with_nothing_configured_the_local_store_is_used_and_named(home: Path) -> None:
    submitted = invoke(["submit", "--profile", "p", "--justification", "Long enough", "--json"])
    listed = invoke(["list", "--json"])

    path = home / "data" / "requests.sqlite3"
    assert store_line(submitted) == store_line(listed) == f"approvals: using local store {path}"
    assert _listed_ids(listed) == [json.loads(submitted.stdout)["id"]]
    with SQLiteStore(path) as local:
        assert local.get(json.loads(submitted.stdout)["id"]).requester == "alice"


def test_a_default_region_in_the_environment_targets_dynamodb(
    home: Path, table: DynamoDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = table.create(Request.new(**request_data()))
    monkeypatch.setenv("AWS_DEFAULT_REGION", str(table.region))
    monkeypatch.setenv("AWS_ENDPOINT_URL", str(table.host))  # botocore's own setting

    result = invoke(["--table", table.table_name, "list", "--json"])

    assert _listed_ids(result) == [stored.id]  # moto's table answered the query
    assert store_line(result) == f"approvals: using table {table.table_name} in {table.region}"
    assert not (home / "data").exists()


def test_a_profile_with_a_region_in_the_aws_config_targets_dynamodb(
    home: Path, table: DynamoDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = table.create(Request.new(**request_data()))
    (home / ".aws" / "config").write_text(
        f"[profile prod]\nregion = {table.region}\nendpoint_url = {table.host}\n",
        encoding="utf-8",
    )
    (home / ".aws" / "credentials").write_text(
        "[prod]\naws_access_key_id = testing\naws_secret_access_key = testing\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("AWS_PROFILE", "prod")
    by_variable = invoke(["--table", table.table_name, "list", "--json"])
    monkeypatch.delenv("AWS_PROFILE")
    by_option = invoke(["--profile", "prod", "--table", table.table_name, "list", "--json"])

    for result in (by_variable, by_option):
        assert _listed_ids(result) == [stored.id]
        assert store_line(result) == f"approvals: using table {table.table_name} in {table.region}"
    assert not (home / "data").exists()


def test_local_wins_over_a_configured_region(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    result = invoke(["--local", "list"])
    assert result.exit_code == 0
    assert store_line(result).startswith("approvals: using local store ")


@pytest.mark.parametrize("option", [["--region", "eu-west-1"], ["--endpoint-url", "http://x"]])
def test_local_with_a_region_or_endpoint_option_is_a_usage_error(
    home: Path, option: list[str]
) -> None:
    result = invoke(["--local", *option, "list"])
    assert result.exit_code == 2
    assert f"--local cannot be combined with {option[0]}" in result.stderr
    assert result.stdout == ""


def test_a_missing_profile_is_one_line_and_exit_2(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_PROFILE", "prod")
    result = invoke(["list"])
    assert result.exit_code == 2
    assert "The config profile (prod) could not be found" in result.stderr
    assert (result.stdout, len(result.stderr.strip().splitlines())) == ("", 1)


def test_a_malformed_aws_config_is_one_line_and_exit_2(home: Path) -> None:
    (home / ".aws" / "config").write_text("[default\nregion = eu-west-1\n", encoding="utf-8")
    result = invoke(["list"])
    assert result.exit_code == 2
    assert (result.stdout, len(result.stderr.strip().splitlines())) == ("", 1)


@pytest.mark.parametrize(
    ("option", "named"),
    [
        (["--region", "eu west"], "region_name 'eu west'"),
        (["--endpoint-url", "localhost:8000"], "--endpoint-url 'localhost:8000'"),
    ],
)
def test_a_malformed_region_or_endpoint_is_exit_2_before_any_call(
    home: Path, option: list[str], named: str
) -> None:
    result = invoke([*option, "list"])
    assert result.exit_code == 2
    assert named in one_line_error(result)
    assert result.stdout == ""


def test_a_loopback_endpoint_needs_no_credentials(
    home: Path, table: DynamoDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored = table.create(Request.new(**request_data()))
    for name in CREDENTIALS:
        monkeypatch.delenv(name)
    result = invoke(
        ["--endpoint-url", str(table.host), "--table", table.table_name, "list", "--json"]
    )
    assert _listed_ids(result) == [stored.id]
    assert store_line(result) == f"approvals: using table {table.table_name} at {table.host}"


def test_another_endpoint_gets_no_dummy_credentials(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in CREDENTIALS:
        monkeypatch.delenv(name)
    monkeypatch.setenv("APPROVALS_MAX_RETRIES", "0")
    monkeypatch.setenv("APPROVALS_CONNECT_TIMEOUT", "1")
    result = invoke(["--endpoint-url", "http://192.0.2.1:9", "get", "0123456789abcdef"])
    assert result.exit_code == 3
    assert "credentials" in one_line_error(result, after_store_line=True).lower()
    assert "AWS_ACCESS_KEY_ID" not in os.environ


# -- identity ---------------------------------------------------------------------------


def test_on_dynamodb_the_cli_acts_as_the_sts_caller(
    home: Path, table: DynamoDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    endpoint = ["--endpoint-url", str(table.host), "--table", table.table_name]
    requester = _iam_user(str(table.host), monkeypatch)
    submit = invoke([*endpoint, "submit", "--profile", "p", "--justification", "Long enough"])
    request_id = dict(line.split(": ", 1) for line in submit.stdout.splitlines())["id"]
    approver = _iam_user(str(table.host), monkeypatch)

    approved = invoke([*endpoint, "approve", request_id, "--json"])

    assert json.loads(approved.stdout)["approver"] == approver
    assert table.get(request_id).requester == requester


def test_on_dynamodb_as_is_refused(home: Path, table: DynamoDBStore) -> None:
    stored = table.create(Request.new(**request_data()))
    endpoint = ["--endpoint-url", str(table.host), "--table", table.table_name]
    for command in (["approve", stored.id], ["cancel", stored.id]):
        result = invoke([*endpoint, *command, "--as", "bob"])
        assert result.exit_code == 2
        assert "--as is refused on DynamoDB" in result.stderr
    assert table.get(stored.id).status is RequestStatus.PENDING


def test_an_sts_caller_without_a_user_name_is_refused(home: Path, table: DynamoDBStore) -> None:
    # With dummy credentials moto names the caller arn:aws:sts::123456789012:user/moto, which the
    # Go service does not accept either.
    stored = table.create(Request.new(**request_data()))
    result = invoke(
        ["--endpoint-url", str(table.host), "--table", table.table_name, "approve", stored.id]
    )
    assert result.exit_code == 1
    assert "no user name can be derived" in one_line_error(result, after_store_line=True)
    assert table.get(stored.id).status is RequestStatus.PENDING
