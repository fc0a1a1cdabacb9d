"""The approvals command line, in-process with CliRunner, on moto's server (one table per test)
and on the embedded default. Every command and every exit code is exercised here; the tests
that need a real process (SIGKILL, a first run from scratch) are in test_cli_process.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from approvals import DynamoDBStore, Request, RequestStatus
from approvals.cli import cli
from approvals.embedded import EmbeddedDynamoDB
from approvals.migrate import encode_item
from tests.helpers import go_written_items, make_dynamodb_store
from tests.migrate_support import put_raw, request_data, stored_raw
from tests.servers.plugin import unique_table_name

GO_ITEMS = go_written_items()


class Cli:
    """Runs ``approvals`` against one table on moto's server."""

    def __init__(self, store: DynamoDBStore) -> None:
        self.store = store

    def __call__(self, *args: str, input: str | None = None, table: str | None = None) -> Result:
        options = [
            "--endpoint-url",
            str(self.store.host),
            "--table",
            table or self.store.table_name,
        ]
        return invoke([*options, *args], input=input)


def invoke(
    args: Sequence[str], *, input: str | None = None, env: dict[str, Any] | None = None
) -> Result:
    result = CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return result


def one_line_error(result: Result) -> str:
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("approvals: error: "), result.stderr
    return lines[0]


@pytest.fixture
def run(moto_server_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Cli:
    monkeypatch.setenv("USER", "alice")
    for variable in ("AWS_REGION", "APPROVALS_TABLE", "APPROVALS_ENDPOINT_URL"):
        monkeypatch.delenv(variable, raising=False)
    return Cli(make_dynamodb_store(moto_server_endpoint))


def submitted(run: Cli, **overrides: Any) -> Request:
    return run.store.create(Request.new(**request_data(**overrides)))


# -- submit, get, list --------------------------------------------------------------------


def test_submit_prints_the_new_pending_request(run: Cli) -> None:
    result = run("submit", "--profile", "production", "--justification", "Deploy hotfix INC-4821")
    assert result.exit_code == 0
    fields = dict(line.split(": ", 1) for line in result.stdout.splitlines())
    assert (fields["status"], fields["requester"], fields["duration"]) == ("pending", "alice", "1h")
    assert run.store.get(fields["id"]).profile == "production"


def test_submit_json_is_the_request_object(run: Cli) -> None:
    result = run(
        "submit",
        "--requester",
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


def test_an_invalid_request_exits_1_with_one_line_naming_the_field(run: Cli) -> None:
    result = run("submit", "--profile", "production", "--justification", "too short")
    assert result.exit_code == 1
    assert "justification" in one_line_error(result)


def test_a_malformed_duration_is_a_usage_error(run: Cli) -> None:
    result = run(
        "submit", "--profile", "p", "--justification", "Long enough text", "--duration", "5"
    )
    assert result.exit_code == 2
    assert "not a duration" in result.stderr


def test_get_shows_the_request(run: Cli) -> None:
    request = submitted(run)
    result = run("get", request.id)
    assert result.exit_code == 0
    assert f"id: {request.id}" in result.stdout.splitlines()


def test_get_of_an_unknown_id_exits_1(run: Cli) -> None:
    result = run("get", "0123456789abcdef")
    assert result.exit_code == 1
    assert "0123456789abcdef" in one_line_error(result)


def test_list_without_filters_shows_pending_requests_newest_first(run: Cli) -> None:
    older = submitted(run)
    newer = submitted(run)
    run.store.update(submitted(run).approve("bob"))

    lines = run("list").stdout.splitlines()

    assert lines[0].split("\t")[:3] == ["id", "status", "requester"]
    assert [line.split("\t")[0] for line in lines[1:]] == [newer.id, older.id]


def test_list_filters_combine(run: Cli) -> None:
    wanted = submitted(run, requester="carol", profile="staging")
    submitted(run, requester="carol", profile="production")
    submitted(run, requester="dave", profile="staging")

    result = run("list", "--requester", "carol", "--profile", "staging", "--json")

    assert [r["id"] for r in json.loads(result.stdout)] == [wanted.id]


def test_list_by_status_and_limit(run: Cli) -> None:
    for _ in range(3):
        run.store.update(submitted(run).approve("bob"))
    result = run("list", "--status", "approved", "--limit", "2", "--json")
    assert [r["status"] for r in json.loads(result.stdout)] == ["approved", "approved"]


# -- approve, deny, cancel ------------------------------------------------------------------


def test_approve_records_the_acting_identity(run: Cli) -> None:
    request = submitted(run)
    result = run("approve", request.id, "--as", "bob", "--comment", "go ahead", "--json")
    assert result.exit_code == 0
    decided = json.loads(result.stdout)
    assert (decided["status"], decided["approver"], decided["access_granted"]) == (
        "approved",
        "bob",
        True,
    )


def test_approve_defaults_to_the_user_and_refuses_self_approval(run: Cli) -> None:
    request = submitted(run, requester="alice")  # $USER is alice in these tests
    result = run("approve", request.id)
    assert result.exit_code == 1
    assert "approver" in one_line_error(result)
    assert run.store.get(request.id).status is RequestStatus.PENDING


def test_deciding_a_decided_request_exits_1(run: Cli) -> None:
    request = run.store.update(submitted(run).deny("bob"))
    result = run("approve", request.id, "--as", "erin")
    assert result.exit_code == 1
    assert "denied" in one_line_error(result)


def test_deny_records_the_comment(run: Cli) -> None:
    request = submitted(run)
    run("deny", request.id, "--as", "bob", "--comment", "use the read-only role")
    stored = run.store.get(request.id)
    assert (stored.status, stored.approver_comment) == (
        RequestStatus.DENIED,
        "use the read-only role",
    )


def test_cancel_moves_a_pending_request_to_cancelled(run: Cli) -> None:
    request = submitted(run)
    assert run("cancel", request.id).exit_code == 0
    assert run.store.get(request.id).status is RequestStatus.CANCELLED


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
    assert "ttl" in one_line_error(result)


def test_check_of_a_missing_table_exits_1(run: Cli) -> None:
    result = run("check", table=unique_table_name("missing"))
    assert result.exit_code == 1
    assert "missing" in result.stdout


# -- backend failures and usage -------------------------------------------------------------


def test_a_missing_table_exits_3(run: Cli) -> None:
    result = run("get", "0123456789abcdef", table=unique_table_name("missing"))
    assert result.exit_code == 3
    assert "create-table" in one_line_error(result)


def test_an_unreachable_endpoint_exits_3(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APPROVALS_MAX_RETRIES", "0")
    result = invoke(["--endpoint-url", "http://127.0.0.1:9", "get", "0123456789abcdef"])
    assert result.exit_code == 3
    assert "could not reach" in one_line_error(result)


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
    assert json.loads(first.stdout)["written"] == 6
    assert json.loads(again.stdout)["resumed"] is True
    assert len(out.read_text(encoding="utf-8").splitlines()) == 6


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
    assert "nothing was overwritten" in one_line_error(result)
    assert stored_raw(run.store)[GO_ITEMS[0]["id"]["S"]] == GO_ITEMS[0]


def test_an_invalid_import_line_exits_1_naming_it(run: Cli, tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text(encode_item(GO_ITEMS[0]) + '{"id": 1}\n', encoding="utf-8")
    result = run("import", str(data))
    assert result.exit_code == 1
    assert "line 2" in one_line_error(result)


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


# -- the embedded default -------------------------------------------------------------------


@pytest.fixture
def embedded_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for variable in ("AWS_REGION", "APPROVALS_ENDPOINT_URL", "APPROVALS_TABLE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("APPROVALS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("USER", "alice")
    return tmp_path / "data"


def test_the_embedded_default_is_announced_and_keeps_data_between_runs(embedded_env: Path) -> None:
    submit = invoke(
        ["submit", "--profile", "prod", "--justification", "Deploy the hotfix", "--json"]
    )
    request_id = json.loads(submit.stdout)["id"]

    shown = invoke(["get", request_id])

    assert shown.exit_code == 0
    for result in (submit, shown):
        assert "embedded DynamoDB" in result.stderr and str(embedded_env) in result.stderr


def test_a_data_dir_in_use_by_another_server_exits_3(embedded_env: Path) -> None:
    with EmbeddedDynamoDB(embedded_env):
        result = invoke(["list"])
    assert result.exit_code == 3
    assert "embedded DynamoDB" in one_line_error(result)


def test_the_demo_refuses_a_remote_table_without_yes(run: Cli) -> None:
    result = run("demo")
    assert result.exit_code == 2
    assert "--yes" in result.stderr


def test_the_demo_shows_the_lifecycle(embedded_env: Path) -> None:
    result = invoke(["demo"])
    assert result.exit_code == 0
    for step in ("approved by bob", "refused", "is now expired", "requests written"):
        assert step in result.stdout
    assert (embedded_env / "demo-export.jsonl").exists()
