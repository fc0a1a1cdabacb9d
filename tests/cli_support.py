"""Running the command line in-process for the CLI tests, and reading what it printed."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from click.testing import CliRunner, Result

from approvals.cli import cli

STORE_LINE_PREFIX = "approvals: using "


def invoke(
    args: Sequence[str], *, input: str | None = None, env: dict[str, Any] | None = None
) -> Result:
    """Run ``approvals ARGS`` in-process; no traceback may reach stderr."""
    result = CliRunner().invoke(cli, list(args), input=input, env=env, catch_exceptions=False)
    assert "Traceback" not in result.stderr
    return result


def store_line(result: Result) -> str:
    """The one stderr line naming the store (it is never printed on stdout)."""
    lines = [line for line in result.stderr.splitlines() if line.startswith(STORE_LINE_PREFIX)]
    assert len(lines) == 1, result.stderr
    assert STORE_LINE_PREFIX not in result.stdout
    return lines[0]


def one_line_error(result: Result, *, after_store_line: bool = False) -> str:
    """The error message: the only stderr line besides the store line (when one is expected)."""
    lines = result.stderr.strip().splitlines()
    if after_store_line:
        assert lines and lines[0].startswith(STORE_LINE_PREFIX), result.stderr
        lines = lines[1:]
    assert len(lines) == 1 and lines[0].startswith("approvals: error: "), result.stderr
    return lines[0]
