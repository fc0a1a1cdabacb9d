"""The command line as a real process: a first run with no configuration, Ctrl-C, a reader that
closes the pipe, and an error printed exactly once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from approvals import Request, SQLiteStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    """The environment of a user with no AWS configuration at all."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "APPROVALS_"))
    }
    env["HOME"] = str(tmp_path)
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env["APPROVALS_DATA_DIR"] = str(tmp_path / "data")
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])
    env["USER"] = "alice"
    return env


def approvals(*args: str) -> list[str]:
    return [sys.executable, "-m", "approvals", *args]


def test_the_demo_runs_from_scratch_and_leaves_no_store_behind(
    cli_env: dict[str, str], tmp_path: Path
) -> None:
    result = subprocess.run(
        approvals("demo"), env=cli_env, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith("approvals: using a throwaway local store ")
    assert "refused" in result.stdout and "is now expired" in result.stdout
    assert not (tmp_path / "data").exists()


def test_ctrl_c_exits_130_quietly(cli_env: dict[str, str], tmp_path: Path) -> None:
    process = subprocess.Popen(
        approvals("import", "-"),  # waits for stdin, which stays open
        env=cli_env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    first = process.stderr.readline()  # the store is open: the command is running
    process.send_signal(signal.SIGINT)
    stdout, rest = process.communicate(timeout=60)
    assert process.returncode == 130
    assert first.startswith("approvals: using local store")
    assert (stdout, rest.strip()) == ("", "")


def test_a_closed_pipe_exits_quietly(cli_env: dict[str, str], tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "data" / "requests.sqlite3") as store:
        for _ in range(400):  # far more than a pipe buffer holds
            store.create(
                Request.new(
                    requester="alice",
                    profile="production",
                    justification="Enough lines to fill the pipe " * 4,
                    duration=timedelta(hours=1),
                )
            )
    result = subprocess.run(
        ["/bin/bash", "-o", "pipefail", "-c", f"{' '.join(approvals('export'))} | head -1"],
        env=cli_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 141  # 128 + SIGPIPE, as for a process killed by it
    assert result.stdout.startswith('{"id":') and result.stdout.count("\n") == 1
    assert result.stderr.splitlines() == [
        f"approvals: using local store {tmp_path / 'data' / 'requests.sqlite3'}"
    ]


def test_an_error_is_printed_once(cli_env: dict[str, str]) -> None:
    env = {**cli_env, "APPROVALS_MAX_RETRIES": "0"}
    result = subprocess.run(
        approvals("--endpoint-url", "http://127.0.0.1:9", "get", "0123456789abcdef"),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3
    lines = result.stderr.splitlines()
    assert lines[0] == "approvals: using table sentinel-requests at http://127.0.0.1:9"
    assert len(lines) == 2 and lines[1].startswith("approvals: error: ")
    assert result.stdout == ""
