"""Every ```python block of the README runs as written.

Each block runs on its own, in a fresh temporary directory, with ``__name__ == "readme"``. A block
that needs more says so in an HTML comment on the line before it (invisible on GitHub):

* ``<!-- readme-test: aws -->``: AWS is moto in-process (``moto.mock_aws``) with dummy
  credentials, and the table ``sentinel-requests`` exists in ``eu-west-1`` as in production.
* ``<!-- readme-test: env NAME ... -->``: the block reads these environment variables, as a
  reader would set them; the test sets each (a URL for ``*_URL``, a made-up secret otherwise).

Options combine: ``<!-- readme-test: aws env SLACK_WEBHOOK_URL -->``. The README's first two sh
lines (the newcomer's demo, the test command) are run as written by ``.ci/run``.
"""

from __future__ import annotations

import re
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

import pytest

README = Path(__file__).parent.parent / "README.md"
CI_RUN = Path(__file__).parent.parent / ".ci" / "run"
_BLOCK = re.compile(
    r"(?:^<!-- readme-test: (?P<options>[^>]*?) -->\n)?^```python\n(?P<code>.*?)^```$",
    re.S | re.M,
)
_OPTION_WORDS = {"aws", "env"}


@dataclass(frozen=True)
class Block:
    """One ```python block of the README and what it needs to run."""

    line: int
    code: str
    aws: bool
    env: tuple[str, ...]


def _parse(options: str, line: int) -> tuple[bool, tuple[str, ...]]:
    words = options.split()
    if words and words[0] not in _OPTION_WORDS:
        raise AssertionError(f"README.md:{line}: unknown readme-test option {words[0]!r}")
    aws = "aws" in words
    env = tuple(words[words.index("env") + 1 :]) if "env" in words else ()
    return aws, env


def readme_blocks(text: str) -> list[Block]:
    """The python blocks of ``text`` with their options (AssertionError for an unknown one)."""
    blocks = []
    for match in _BLOCK.finditer(text):
        line = text.count("\n", 0, match.start("code"))
        aws, env = _parse(match.group("options") or "", line)
        blocks.append(Block(line, match.group("code"), aws, env))
    return blocks


BLOCKS = readme_blocks(README.read_text(encoding="utf-8"))


def _aws() -> AbstractContextManager[object]:
    from moto import mock_aws

    return mock_aws()


@pytest.mark.parametrize("block", BLOCKS, ids=[f"README.md:{b.line}" for b in BLOCKS])
def test_the_block_runs_as_written(
    block: Block, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("APPROVALS_DATA_DIR", str(tmp_path / "data"))
    for name in block.env:
        value = "http://127.0.0.1:9/readme" if name.endswith("_URL") else f"readme-test-{name}"
        monkeypatch.setenv(name, value)
    with _aws() if block.aws else nullcontext():
        if block.aws:
            from approvals import DynamoDBStore

            DynamoDBStore("sentinel-requests", region="eu-west-1").create_table()
        exec(compile(block.code, f"README.md:{block.line}", "exec"), {"__name__": "readme"})


def test_the_quickstart_approves_its_only_pending_request(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    quickstart = README.read_text(encoding="utf-8").split("## Quickstart\n", 1)[1]
    (block,) = readme_blocks(quickstart)[:1]
    monkeypatch.chdir(tmp_path)
    exec(compile(block.code, "README.md", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out == ""  # approved, so nothing pending is printed
    assert (tmp_path / "requests.sqlite3").is_file()


def test_the_options_are_read_and_unknown_ones_refused() -> None:
    text = "<!-- readme-test: aws env A_URL B -->\n```python\nx = 1\n```\n```python\ny = 2\n```\n"
    assert readme_blocks(text) == [
        Block(2, "x = 1\n", True, ("A_URL", "B")),
        Block(5, "y = 2\n", False, ()),
    ]
    with pytest.raises(AssertionError, match="unknown readme-test option 'moto'"):
        readme_blocks("<!-- readme-test: moto -->\n```python\nx = 1\n```\n")


def test_ci_runs_the_first_two_readme_lines() -> None:
    first_sh = README.read_text(encoding="utf-8").split("```sh\n", 1)[1].split("```", 1)[0]
    newcomer, tests = first_sh.splitlines()
    assert "python3 -m venv .venv" in newcomer and newcomer.endswith("approvals demo")
    assert tests.endswith("nox -s lint typecheck tests")
    ci = CI_RUN.read_text(encoding="utf-8")
    assert 'bash -euo pipefail -c "${readme_lines[0]}"' in ci
    assert 'bash -euo pipefail -c "${readme_lines[1]}"' in ci
