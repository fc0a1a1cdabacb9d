"""The command line as a real process: a newcomer's first run, and a SIGKILLed import on the
embedded default that resumes with nothing lost (the embedded server journals each write before
acknowledging it, and the checkpoint only records acknowledged writes)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from approvals import DynamoDBStore
from approvals.embedded import EmbeddedDynamoDB
from approvals.migrate import encode_item
from tests.migrate_support import stored_raw, synthetic_item

ROOT = Path(__file__).resolve().parent.parent
ITEMS = 1000
KILL_AFTER = 200
_PROGRESS = re.compile(r"progress: import: (\d+) scanned")


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user with no AWS configuration at all."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "APPROVALS_"))
    }
    env["APPROVALS_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    return env


def approvals(*args: str) -> list[str]:
    return [sys.executable, "-m", "approvals.cli", *args]


def test_the_demo_runs_on_the_embedded_default_from_scratch(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = subprocess.run(
        approvals("demo"), env=cli_env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "using the embedded DynamoDB" in result.stderr
    assert "refused" in result.stdout and "is now expired" in result.stdout


def test_a_killed_import_on_the_embedded_default_resumes_exactly(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    items = [synthetic_item(n) for n in range(ITEMS)]
    data, checkpoint = tmp_path / "in.jsonl", tmp_path / "import.ckpt"
    data.write_text("".join(map(encode_item, items)), encoding="utf-8")
    command = approvals("import", str(data), "--checkpoint", str(checkpoint), "--progress")

    with subprocess.Popen(
        [*command, "--rate-limit", "250"], env=cli_env, stderr=subprocess.PIPE, text=True
    ) as child:
        assert child.stderr is not None
        for line in child.stderr:
            done = _PROGRESS.search(line)
            if done and int(done.group(1)) >= KILL_AFTER:
                child.send_signal(signal.SIGKILL)
                break
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert '"complete": false' in checkpoint.read_text(encoding="utf-8")

    rerun = subprocess.run(command, env=cli_env, capture_output=True, text=True, timeout=120)

    assert rerun.returncode == 0, rerun.stderr
    with EmbeddedDynamoDB(tmp_path / "data") as server:
        store = DynamoDBStore("sentinel-requests", region=server.region, host=server.endpoint_url)
        assert stored_raw(store) == {item["id"]["S"]: item for item in items}


def test_export_to_a_pipe_succeeds(cli_env: dict[str, str], tmp_path: Path) -> None:
    data = tmp_path / "in.jsonl"
    data.write_text("".join(map(encode_item, map(synthetic_item, range(3)))), encoding="utf-8")
    subprocess.run(approvals("import", str(data)), env=cli_env, check=True, capture_output=True)

    exported = subprocess.run(approvals("export"), env=cli_env, capture_output=True, text=True)

    assert exported.returncode == 0, exported.stderr  # a pipe cannot be fsynced: not an error
    assert len(exported.stdout.splitlines()) == 3
