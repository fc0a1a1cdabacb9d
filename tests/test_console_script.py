"""The console script entry point, with and without the cli extra."""

from __future__ import annotations

import subprocess
import sys

BLOCK_CLICK = "import sys; sys.modules['click'] = None; "


def test_without_the_cli_extra_the_script_says_what_to_install() -> None:
    result = subprocess.run(
        [sys.executable, "-c", BLOCK_CLICK + "from approvals.__main__ import main; main()"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "pip install 'sentinel-approvals[cli]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_python_dash_m_approvals_runs_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "approvals", "--help"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0
    assert "sweep-expired" in result.stdout
