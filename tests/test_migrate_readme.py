"""The README's migration script runs as written, and a rerun of it is harmless."""

from __future__ import annotations

import re
from pathlib import Path

import boto3
import pytest

from approvals import DynamoDBStore, Request, RequestStatus
from tests.helpers import go_written_items
from tests.migrate_support import request_data

README = Path(__file__).parent.parent / "README.md"


def script() -> str:
    section = README.read_text(encoding="utf-8").split("## Writing a migration script\n", 1)[1]
    match = re.search(r"```python\n(.*?)```", section, re.S)
    assert match is not None
    return match.group(1)


@pytest.mark.usefixtures("moto")
def test_the_migration_script_copies_normalizes_sweeps_and_renames(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    source = DynamoDBStore("sentinel-requests", region="eu-west-1")
    source.create_table()
    client = boto3.client("dynamodb", region_name="eu-west-1")
    for item in go_written_items():
        client.put_item(TableName="sentinel-requests", Item=item)
    renamed = source.create(Request.new(**request_data(profile="prod")))

    for _ in range(2):  # the second run resumes finished checkpoints: nothing changes
        exec(compile(script(), "README.md", "exec"), {"__name__": "__main__"})

    target = DynamoDBStore("sentinel-requests", region="eu-central-1")
    copied = {r.id: r for r in target.iter_by_status(RequestStatus.EXPIRED)}
    assert {"3f9a1c0d5e7b2a41", "feedfacefeedface", "1234567890abcdef"} <= set(copied)
    assert target.get(renamed.id).profile == "production"
    assert getattr(target.get("feedfacefeedface").created_at, "wire", None) == (
        "2026-11-20T09:00:00.000000001Z"
    )
