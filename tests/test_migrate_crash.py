"""Crash-resume: an import and an export SIGKILLed mid-way in a subprocess, then rerun with the
same checkpoint, end exact: the table holds every input line once, the file every item once.

The subprocess talks to moto's server in this process over HTTP, so the table outlives it. A
rate limit keeps each run several seconds long, so the kill lands mid-way on any machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from approvals import DynamoDBStore
from approvals.migrate import encode_item, export_jsonl, import_jsonl
from tests.helpers import kill_once_it_reports, make_dynamodb_store
from tests.migrate_support import put_raw, stored_raw, synthetic_item

ITEMS = 1500
KILL_AFTER = 300  # items reported done before the kill

WORKER = """
import sys
from approvals import DynamoDBStore
from approvals.migrate import Checkpoint, export_jsonl, import_jsonl

operation, endpoint, table, data, checkpoint, rate = sys.argv[1:]
store = DynamoDBStore(table, region="us-east-1", host=endpoint)
options = dict(
    checkpoint=Checkpoint(checkpoint, interval=0),
    rate_limit=float(rate),
    progress=lambda report: print(report.scanned, flush=True),
)
if operation == "import":
    with open(data, encoding="utf-8") as fp:
        import_jsonl(store, fp, **options)
else:
    with open(data, "a", encoding="utf-8") as fp:
        export_jsonl(store, fp, segments=2, page_size=20, **options)
"""


def run_and_kill(
    operation: str, store: DynamoDBStore, data: Path, checkpoint: Path, rate: float
) -> None:
    """Run the operation in a subprocess and SIGKILL it once it has done KILL_AFTER items."""
    args = [operation, str(store.host), store.table_name, str(data), str(checkpoint), str(rate)]
    kill_once_it_reports(WORKER, args, KILL_AFTER)
    saved = json.loads(checkpoint.read_text(encoding="utf-8"))
    assert not saved["report"]["complete"]


@pytest.fixture
def server_table(moto_server_endpoint: str) -> DynamoDBStore:
    return make_dynamodb_store(moto_server_endpoint)


def test_a_killed_import_reruns_to_every_line_exactly_once(
    server_table: DynamoDBStore, tmp_path: Path
) -> None:
    items = [synthetic_item(n) for n in range(ITEMS)]
    data, checkpoint = tmp_path / "in.jsonl", tmp_path / "import.ckpt"
    data.write_text("".join(encode_item(item) for item in items), encoding="utf-8")

    run_and_kill("import", server_table, data, checkpoint, rate=300)
    with data.open(encoding="utf-8") as fp:
        report = import_jsonl(server_table, fp, checkpoint=checkpoint)

    assert stored_raw(server_table) == {item["id"]["S"]: item for item in items}
    assert report.complete and report.resumed
    assert report.written + report.already_present == ITEMS and report.conflicts == 0


def test_a_killed_export_reruns_to_every_item_exactly_once(
    server_table: DynamoDBStore, tmp_path: Path
) -> None:
    items = [synthetic_item(n) for n in range(ITEMS)]
    put_raw(server_table, items)
    data, checkpoint = tmp_path / "out.jsonl", tmp_path / "export.ckpt"

    run_and_kill("export", server_table, data, checkpoint, rate=40)
    with data.open("a", encoding="utf-8") as fp:
        report = export_jsonl(server_table, fp, segments=2, page_size=20, checkpoint=checkpoint)

    lines = data.read_text(encoding="utf-8").splitlines(keepends=True)
    assert sorted(lines) == sorted(encode_item(item) for item in items)
    assert report.complete and report.resumed and report.written == ITEMS
