"""The README's Python examples run as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"


def _python_block_after(heading: str) -> str:
    section = README.read_text().split(f"## {heading}\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None, f"no python block under {heading!r}"
    return match.group(1)


@pytest.mark.usefixtures("moto")
def test_the_quickstart_runs(capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(_python_block_after("Quickstart"), "README.md", "exec"), {})
    printed = capsys.readouterr().out
    assert "someone else acted first" not in printed
    assert printed == ""  # the only pending request was approved
