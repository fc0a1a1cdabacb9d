"""The bulk management commands: approvals_export, approvals_import, approvals_sweep_expired.

They call approvals.migrate (tested on its own); these tests check the wiring: the settings'
store, the CLI's options, the report, and failures as CommandError.
"""

from __future__ import annotations

import io
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from approvals import MemoryStore, RequestStatus
from tests.contrib.api_spec import pending_request
from tests.contrib.djangotests.conftest import UseStore
from tests.helpers import REGION, make_dynamodb_store


def _run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_export_then_import_copies_every_request(use_store: UseStore, tmp_path: Path) -> None:
    source, target = MemoryStore(), MemoryStore()
    originals = [pending_request(source) for _ in range(3)]
    use_store(source)
    out, _ = _run("approvals_export", str(tmp_path / "requests.jsonl"))
    assert "3 written" in out
    use_store(target)
    out, _ = _run("approvals_import", str(tmp_path / "requests.jsonl"))
    assert "3 written" in out
    assert {target.get(r.id).justification for r in originals} == {"Rotate the deploy keys"}


def test_export_to_stdout_writes_lines_and_reports_on_stderr(use_store: UseStore) -> None:
    store = MemoryStore()
    request = pending_request(store)
    use_store(store)
    out, err = _run("approvals_export")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [request.id]
    assert "1 written" in err


def test_export_filters_by_status(use_store: UseStore) -> None:
    store = MemoryStore()
    kept = pending_request(store)
    store.update(store.get(pending_request(store).id).approve("bob"))
    use_store(store)
    out, _ = _run("approvals_export", "--status", "pending")
    assert [json.loads(line)["id"] for line in out.splitlines()] == [kept.id]


def test_export_to_stdout_cannot_take_a_checkpoint(use_store: UseStore, tmp_path: Path) -> None:
    use_store(MemoryStore())
    with pytest.raises(CommandError, match="checkpoint"):
        _run("approvals_export", "--checkpoint", str(tmp_path / "export.ckpt"))


def test_a_finished_checkpoint_makes_a_rerun_write_nothing(
    use_store: UseStore, tmp_path: Path
) -> None:
    store = MemoryStore()
    pending_request(store)
    use_store(store)
    target, checkpoint = str(tmp_path / "out.jsonl"), str(tmp_path / "export.ckpt")
    _run("approvals_export", target, "--checkpoint", checkpoint)
    pending_request(store)
    out, _ = _run("approvals_export", target, "--checkpoint", checkpoint, "--json")
    assert json.loads(out)["resumed"] is True
    assert len(Path(target).read_text().splitlines()) == 1


def test_import_of_a_conflicting_line_fails_and_overwrites_nothing(
    use_store: UseStore, tmp_path: Path
) -> None:
    store = MemoryStore()
    request = pending_request(store)
    use_store(store)
    _run("approvals_export", str(tmp_path / "requests.jsonl"))
    store.update(store.get(request.id).approve("bob"))
    with pytest.raises(CommandError, match="differ"):
        _run("approvals_import", str(tmp_path / "requests.jsonl"))
    assert store.get(request.id).status is RequestStatus.APPROVED


def test_import_of_an_invalid_line_is_a_command_error(use_store: UseStore, tmp_path: Path) -> None:
    use_store(MemoryStore())
    (tmp_path / "bad.jsonl").write_text('{"id": "nope"}\n')
    with pytest.raises(CommandError):
        _run("approvals_import", str(tmp_path / "bad.jsonl"))


def test_sweep_expires_pending_requests_past_expires_at(use_store: UseStore) -> None:
    store = MemoryStore()
    old = pending_request(store, now=datetime.now(timezone.utc) - timedelta(days=2))
    fresh = pending_request(store)
    use_store(store)
    out, _ = _run("approvals_sweep_expired", "--json")
    assert json.loads(out)["written"] == 1
    assert store.get(old.id).status is RequestStatus.EXPIRED
    assert store.get(fresh.id).status is RequestStatus.PENDING


def test_a_dry_run_sweep_writes_nothing(use_store: UseStore) -> None:
    store = MemoryStore()
    old = pending_request(store, now=datetime.now(timezone.utc) - timedelta(days=2))
    use_store(store)
    out, _ = _run("approvals_sweep_expired", "--dry-run")
    assert "1 to write" in out
    assert store.get(old.id).status is RequestStatus.PENDING


def test_sweep_takes_the_cut_off_time(use_store: UseStore) -> None:
    store = MemoryStore()
    request = pending_request(store)
    use_store(store)
    later = (datetime.now(timezone.utc) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    _run("approvals_sweep_expired", "--now", later)
    assert store.get(request.id).status is RequestStatus.EXPIRED


@pytest.mark.parametrize(
    "args",
    [
        ("approvals_sweep_expired", "--now", "yesterday"),
        ("approvals_sweep_expired", "--rate-limit", "0"),
        ("approvals_export", "--segments", "0"),
    ],
)
def test_bad_options_are_command_errors(use_store: UseStore, args: tuple[str, ...]) -> None:
    use_store(MemoryStore())
    with pytest.raises(CommandError):
        _run(*args)


def test_the_commands_use_the_dynamodb_table_of_the_settings(
    use_store: UseStore, moto: None
) -> None:
    table = make_dynamodb_store()
    use_store(None, TABLE=table.table_name, REGION=REGION)
    request = pending_request(table, now=datetime.now(timezone.utc) - timedelta(days=2))
    _run("approvals_sweep_expired")
    out, _ = _run("approvals_export")
    assert [(json.loads(line)["id"], json.loads(line)["status"]) for line in out.splitlines()] == [
        (request.id, "expired")
    ]
