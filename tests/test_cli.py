"""The approvals command line, in-process with CliRunner: the everyday commands on the local
SQLite store, the table and bulk commands on moto's server (one table per test). Every command and
every exit code is exercised here; store selection and identity are in test_cli_store.py, the tests
that need a real process (Ctrl-C, a closed pipe, a first run) in test_cli_process.py."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result

from approvals import DynamoDBStore, Request, RequestStatus, SQLiteStore
from approvals.migrate import encode_item
from tests.cli_support import invoke, one_line_error
from tests.contrib.api_spec import ONCALL_POLICY
from tests.helpers import go_written_items, make_dynamodb_store
from tests.migrate_support import put_raw, request_data, stored_raw
from tests.servers.plugin import unique_table_name

GO_ITEMS = go_written_items()


class Cli:
    """Runs ``approvals`` on one store: ``store`` is what the tests read and write directly."""

    def __init__(self, store: Any, options: list[str]) -> None:
        self.store = store
        self.options = options

    def __call__(self, *args: str, input: str | None = None, table: str | None = None) -> Result:
        options = list(self.options)
        if table is not None:
            options += ["--table", table]
        return invoke([*options, *args], input=input)


@pytest.fixture
def local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """The local store of a user called alice."""
    monkeypatch.setenv("USER", "alice")
    monkeypatch.setenv("APPROVALS_DATA_DIR", str(tmp_path / "data"))
    for variable in ("APPROVALS_TABLE", "APPROVALS_ENDPOINT_URL", "APPROVALS_POLICY"):
        monkeypatch.delenv(variable, raising=False)
    return Cli(SQLiteStore(tmp_path / "data" / "requests.sqlite3"), ["--local"])


@pytest.fixture
def run(moto_server_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    """A table on moto's server."""
    for variable in ("AWS_REGION", "APPROVALS_TABLE", "APPROVALS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    store: DynamoDBStore = make_dynamodb_store(moto_server_endpoint)
    return Cli(store, ["--endpoint-url", moto_server_endpoint, "--table", store.table_name])


def submitted(run: Cli, **overrides: Any) -> Request:
    return run.store.create(Request.new(**request_data(**overrides)))  # type: ignore[no-any-return]


# -- submit, get, list --------------------------------------------------------------------


def test_submit_prints_the_new_pending_request(local: Cli) -> None:
    result = local("submit", "--profile", "production", "--justification", "Deploy hotfix INC-4821")
    assert result.exit_code == 0
    fields = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert (fields["status"], fields["requester"], fields["duration"]) == ("pending", "alice", "1h")
    assert local.store.get(fields["id"]).profile == "production"


def test_submit_json_is_the_request_object_with_whole_seconds(local: Cli) -> None:
    result = local(
        "submit",
        "--as",
        "carol",
        "--profile",
        "staging",
        "--duration",
        "1h30m",
        "--justification",
        "Rotate the staging credentials",
        "--json",
    )
    request = json.loads(result.stdout)
    assert (request["requester"], request["duration_seconds"], request["status"]) == (
        "carol",
        5400,
        "pending",
    )
    assert isinstance(request["duration_seconds"], int)


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("--justification", "too short"),
        ("--duration", "9h"),
        ("--duration", "-1h"),
        ("--ttl", "0s"),
    ],
)
def test_a_refused_value_exits_2_naming_the_option_and_no_id(
    local: Cli, option: str, value: str
) -> None:
    args = {"--profile": "production", "--justification": "Deploy the hotfix", option: value}
    result = local("submit", *[part for pair in args.items() for part in pair])
    assert result.exit_code == 2
    assert f"'{option}'" in result.stderr
    assert "request " not in result.stderr  # no id of a request that was never created
    assert result.stdout == ""
    assert local.store.list_by_requester("alice") == []


def test_a_malformed_duration_is_a_usage_error(local: Cli) -> None:
    result = local(
        "submit", "--profile", "p", "--justification", "Long enough text", "--duration", "5"
    )
    assert result.exit_code == 2
    assert "'--duration'" in result.stderr and "not a duration" in result.stderr


def test_an_empty_identity_is_an_error_not_a_fallback(
    local: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = local("submit", "--as", "", "--profile", "p", "--justification", "Long enough")
    monkeypatch.delenv("USER")
    monkeypatch.delenv("USERNAME", raising=False)
    unset = local("submit", "--profile", "p", "--justification", "Long enough")
    for result in (given, unset):
        assert result.exit_code == 2
        assert "--as needs a name" in result.stderr


def test_get_shows_the_request(local: Cli) -> None:
    request = submitted(local)
    result = local("get", request.id)
    assert result.exit_code == 0
    assert f"id: {request.id}" in result.stdout.splitlines()
    assert "duration: 1h" in result.stdout.splitlines()


def test_get_of_an_unknown_id_exits_1(local: Cli) -> None:
    result = local("get", "0123456789abcdef")
    assert result.exit_code == 1
    assert "0123456789abcdef" in one_line_error(result, after_store_line=True)


def test_a_malformed_id_is_a_usage_error(local: Cli) -> None:
    result = local("approve", "not-an-id", "--as", "bob")
    assert result.exit_code == 2
    assert "'ID'" in result.stderr and "not a request id" in result.stderr


def test_list_without_filters_shows_pending_requests_newest_first(local: Cli) -> None:
    older = submitted(local)
    newer = submitted(local)
    local.store.update(submitted(local).approve("bob"))

    lines = local("list").stdout.splitlines()

    assert lines[0].split("\t")[:3] == ["id", "status", "requester"]
    assert [line.split("\t")[0] for line in lines[1:]] == [newer.id, older.id]


def test_list_filters_combine(local: Cli) -> None:
    wanted = submitted(local, requester="carol", profile="staging")
    submitted(local, requester="carol", profile="production")
    submitted(local, requester="dave", profile="staging")

    result = local("list", "--requester", "carol", "--profile", "staging", "--json")

    assert [r["id"] for r in json.loads(result.stdout)] == [wanted.id]


def test_list_by_status_and_limit(local: Cli) -> None:
    for _ in range(3):
        local.store.update(submitted(local).approve("bob"))
    result = local("list", "--status", "approved", "--limit", "2", "--json")
    assert [r["status"] for r in json.loads(result.stdout)] == ["approved", "approved"]


# -- approve, deny, cancel ------------------------------------------------------------------


def test_approve_records_the_acting_identity(local: Cli) -> None:
    request = submitted(local)
    result = local("approve", request.id, "--as", "bob", "--comment", "go ahead", "--json")
    assert result.exit_code == 0
    decided = json.loads(result.stdout)
    assert (decided["status"], decided["approver"], decided["access_granted"]) == (
        "approved",
        "bob",
        True,
    )


@pytest.mark.parametrize("acting", [[], ["--as", "Alice"]])
def test_approve_defaults_to_the_user_and_refuses_self_approval(
    local: Cli, acting: list[str]
) -> None:
    request = submitted(local, requester="alice")  # $USER is alice in these tests
    result = local("approve", request.id, *acting)
    assert result.exit_code == 1
    assert "approver" in one_line_error(result, after_store_line=True)
    assert local.store.get(request.id).status is RequestStatus.PENDING


def test_deciding_a_decided_request_exits_1(local: Cli) -> None:
    request = local.store.update(submitted(local).deny("bob"))
    result = local("approve", request.id, "--as", "erin")
    assert result.exit_code == 1
    assert "denied" in one_line_error(result, after_store_line=True)


def test_deny_records_the_comment(local: Cli) -> None:
    request = submitted(local)
    local("deny", request.id, "--as", "bob", "--comment", "use the read-only role")
    stored = local.store.get(request.id)
    assert (stored.status, stored.approver_comment) == (
        RequestStatus.DENIED,
        "use the read-only role",
    )


def test_a_comment_too_long_exits_2_naming_the_option(local: Cli) -> None:
    request = submitted(local)
    result = local("deny", request.id, "--as", "bob", "--comment", "x" * 1001)
    assert result.exit_code == 2
    assert "'--comment'" in result.stderr
    assert local.store.get(request.id).status is RequestStatus.PENDING


def test_the_requester_cancels_a_pending_request(local: Cli) -> None:
    request = submitted(local, requester="Alice")
    assert local("cancel", request.id).exit_code == 0  # $USER alice is Alice
    assert local.store.get(request.id).status is RequestStatus.CANCELLED


def test_nobody_else_may_cancel(local: Cli) -> None:
    request = submitted(local, requester="carol")
    result = local("cancel", request.id)
    assert result.exit_code == 1
    assert "only its requester carol may cancel it" in one_line_error(result, after_store_line=True)
    assert local.store.get(request.id).status is RequestStatus.PENDING


# -- create-table, check --------------------------------------------------------------------


def test_create_table_makes_a_table_check_accepts(run: Cli) -> None:
    name = unique_table_name("cli")
    created = run("create-table", table=name)
    again = run("create-table", table=name)
    checked = run("check", table=name)
    assert (created.exit_code, again.exit_code, checked.exit_code) == (0, 0, 0)
    assert all(line.startswith("ok\t") for line in checked.stdout.splitlines())


def test_check_reports_ttl_drift_and_exits_1(run: Cli) -> None:
    result = run("check", "--json")  # the Terraform-made test table has no TTL enabled
    assert result.exit_code == 1
    findings = {c["name"]: c["result"] for c in json.loads(result.stdout)["checks"]}
    assert findings["ttl"] == "drift" and findings["index gsi-status"] == "ok"
    assert "ttl" in one_line_error(result, after_store_line=True)


def test_check_of_a_missing_table_exits_1(run: Cli) -> None:
    result = run("check", table=unique_table_name("missing"))
    assert result.exit_code == 1
    assert "missing" in result.stdout


# -- backend failures and usage -------------------------------------------------------------


def test_a_missing_table_exits_3(run: Cli) -> None:
    result = run("get", "0123456789abcdef", table=unique_table_name("missing"))
    assert result.exit_code == 3
    assert "create-table" in one_line_error(result, after_store_line=True)


def test_an_unreachable_endpoint_exits_3_with_nothing_on_stdout(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("APPROVALS_MAX_RETRIES", "0")
    for command in (["get", "0123456789abcdef"], ["list"], ["export"]):
        result = invoke(["--endpoint-url", "http://127.0.0.1:9", *command])
        assert result.exit_code == 3
        assert "could not reach" in one_line_error(result, after_store_line=True)
        assert result.stdout == ""


def test_an_unknown_command_exits_2() -> None:
    assert invoke(["frobnicate"]).exit_code == 2


def test_help_documents_the_exit_codes() -> None:
    assert "backend is unavailable" in invoke(["--help"]).stdout


# -- export, import, sweep-expired, normalize -----------------------------------------------


def test_export_writes_json_lines_to_stdout_and_the_report_to_stderr(run: Cli) -> None:
    put_raw(run.store, GO_ITEMS)
    result = run("export")
    assert sorted(result.stdout.splitlines(keepends=True)) == sorted(map(encode_item, GO_ITEMS))
    assert "export: 6 scanned, 6 written" in result.stderr


def test_export_to_a_file_with_a_checkpoint_and_a_rerun(run: Cli, tmp_path: Path) -> None:
    put_raw(run.store, GO_ITEMS)
    out, checkpoint = tmp_path / "out.jsonl", tmp_path / "export.ckpt"
    first = run("export", str(out), "--checkpoint", str(checkpoint), "--json")
    again = run("export", str(out), "--checkpoint", str(checkpoint), "--json")
    assert (json.loads(first.stdout)["written"], json.loads(first.stdout)["already_complete"]) == (
        6,
        False,
    )
    assert json.loads(again.stdout)["already_complete"] is True
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6


def test_a_finished_checkpoint_says_already_complete(run: Cli, tmp_path: Path) -> None:
    put_raw(run.store, GO_ITEMS)
    checkpoint = str(tmp_path / "normalize.ckpt")
    first = run("normalize", "--checkpoint", checkpoint)
    again = run("normalize", "--checkpoint", checkpoint)
    assert "normalize: 6 scanned, 5 written" in first.stdout
    assert again.stdout.startswith("normalize: already complete")
    assert "scanned" not in again.stdout


def test_a_dry_run_with_a_finished_checkpoint_plans_everything(run: Cli, tmp_path: Path) -> None:
    put_raw(run.store, GO_ITEMS)
    checkpoint = str(tmp_path / "normalize.ckpt")
    run("normalize", "--checkpoint", checkpoint)
    dry = run("normalize", "--checkpoint", checkpoint, "--dry-run")
    assert "already complete" not in dry.stdout
    assert dry.stdout.startswith("normalize (dry run): 6 scanned")


def test_a_checkpointed_export_to_stdout_is_a_usage_error(run: Cli, tmp_path: Path) -> None:
    result = run("export", "-", "--checkpoint", str(tmp_path / "c"))
    assert result.exit_code == 2


def test_import_from_a_file_then_again(run: Cli, tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text("".join(map(encode_item, GO_ITEMS)), encoding="utf-8")
    first = run("import", str(data))
    again = run("import", str(data), "--json")
    assert (first.exit_code, again.exit_code) == (0, 0)
    assert json.loads(again.stdout)["already_present"] == 6
    assert stored_raw(run.store) == {item["id"]["S"]: item for item in GO_ITEMS}


def test_import_from_stdin(run: Cli) -> None:
    result = run("import", "-", input=encode_item(GO_ITEMS[1]))
    assert result.exit_code == 0
    assert run.store.get(GO_ITEMS[1]["id"]["S"]).approver == "bob"


def test_an_import_conflict_exits_1_and_keeps_the_stored_item(run: Cli, tmp_path: Path) -> None:
    put_raw(run.store, [GO_ITEMS[0]])
    data = tmp_path / "in.jsonl"
    data.write_text(encode_item({**GO_ITEMS[0], "profile": {"S": "staging"}}), encoding="utf-8")
    result = run("import", str(data))
    assert result.exit_code == 1
    assert GO_ITEMS[0]["id"]["S"] in result.stdout  # the report lists it
    assert "nothing was overwritten" in one_line_error(result, after_store_line=True)
    assert stored_raw(run.store)[GO_ITEMS[0]["id"]["S"]] == GO_ITEMS[0]


def test_an_invalid_import_line_exits_1_naming_it(run: Cli, tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(encode_item(GO_ITEMS[0]) + '{"id": 1}\n', encoding="utf-8")
    result = run("import", str(data))
    assert result.exit_code == 1
    assert "line 2" in one_line_error(result, after_store_line=True)


def test_sweep_expired_expires_pending_requests_past_now(run: Cli) -> None:
    request = submitted(run)
    later = (request.expires_at + timedelta(seconds=1)).isoformat()
    result = run("sweep-expired", "--now", later, "--json")
    assert json.loads(result.stdout)["written"] == 1
    assert run.store.get(request.id).status is RequestStatus.EXPIRED


def test_normalize_dry_run_counts_and_writes_nothing(run: Cli) -> None:
    put_raw(run.store, GO_ITEMS)
    result = run("normalize", "--dry-run")
    assert "normalize (dry run): 6 scanned, 5 to write, 1 unchanged" in result.stdout
    assert stored_raw(run.store) == {item["id"]["S"]: item for item in GO_ITEMS}


def test_progress_lines_on_request_when_not_a_terminal(run: Cli) -> None:
    put_raw(run.store, GO_ITEMS)
    result = run("normalize", "--progress")
    assert "progress: normalize: 6 scanned" in result.stderr


# -- the local store, the demo ------------------------------------------------------------


def test_create_table_on_the_local_store_has_nothing_to_do(local: Cli) -> None:
    result = local("create-table")
    assert result.exit_code == 0
    assert result.stdout == f"local store {local.store.path}: ready\n"


def test_check_on_the_local_store_exits_1(local: Cli) -> None:
    result = local("check")
    assert result.exit_code == 1
    assert "works on a DynamoDB table" in one_line_error(result)


def test_the_demo_shows_the_lifecycle_and_leaves_the_default_store_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("APPROVALS_DATA_DIR", str(tmp_path / "data"))
    result = invoke(["demo"])
    assert result.exit_code == 0
    for step in ("approved by bob", "refused", "is now expired", "requests written"):
        assert step in result.stdout
    assert "throwaway local store" in result.stderr
    assert not (tmp_path / "data").exists()


# -- the approval policy ---------------------------------------------------------------------


@pytest.fixture
def policy(tmp_path: Path) -> str:
    path = tmp_path / "policy.yaml"
    path.write_text(ONCALL_POLICY, encoding="utf-8")  # the web API's security cases use it too
    return str(path)


@pytest.mark.parametrize("command", ["approve", "deny"])
def test_the_policy_refuses_an_approver_it_does_not_name(
    local: Cli, policy: str, command: str
) -> None:
    request = submitted(local, profile="production")
    result = local("--policy", policy, command, request.id, "--as", "erin")
    assert result.exit_code == 1
    assert "policy rule 'prod-oncall'" in one_line_error(result, after_store_line=True)
    assert local.store.get(request.id).status is RequestStatus.PENDING


def test_the_policy_lets_a_named_approver_decide(
    local: Cli, policy: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    request = submitted(local, profile="production")
    monkeypatch.setenv("APPROVALS_POLICY", policy)
    result = local("approve", request.id, "--as", "Carol")
    assert result.exit_code == 0
    assert local.store.get(request.id).approver == "Carol"


def test_the_policy_auto_approves_on_submit(local: Cli, policy: str) -> None:
    args = ["submit", "--profile", "sandbox", "--justification", "Reproduce the bug", "--json"]
    auto = json.loads(local("--policy", policy, *args).stdout)
    longer = json.loads(local("--policy", policy, *args, "--duration", "2h").stdout)
    assert (auto["status"], auto["approver"], auto["approver_comment"]) == (
        "approved",
        "alice",
        "auto-approved by policy",
    )
    assert longer["status"] == "pending"


def test_a_malformed_policy_is_a_usage_error_naming_the_option(local: Cli, tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text('version: "1"\nrules: []\n', encoding="utf-8")
    request = submitted(local)
    result = local("--policy", str(path), "approve", request.id, "--as", "bob")
    assert result.exit_code == 2
    assert "'--policy'" in result.stderr
