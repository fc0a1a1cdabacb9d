"""Crash-resume on the local store: an import into a SQLiteStore SIGKILLed mid-way, twice, in a
subprocess, keeps every line it had acknowledged, and a rerun with the same checkpoint ends with
the table equal to the input, nothing lost or written twice.

Plus the round trip between the stores: what export_jsonl writes from a DynamoDB table imports
into a SQLiteStore and exports from it byte for byte, and back.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from approvals import DynamoDBStore, SQLiteStore
from approvals.migrate import encode_item, export_jsonl, import_jsonl
from tests.helpers import go_written_items, kill_once_it_reports, make_dynamodb_store
from tests.migrate_support import put_raw, synthetic_item
from tests.sqlite_support import as_row, integrity, stored_rows

ITEMS = 12_000
KILLS_AFTER = (1_000, 6_000)  # lines reported done before each kill (the count survives a resume)

WORKER = """
import sys
from approvals import SQLiteStore
from approvals.migrate import Checkpoint, import_jsonl

path, data, checkpoint = sys.argv[1:]
with SQLiteStore(path) as store, open(data, encoding="utf-8") as fp:
    import_jsonl(
        store,
        fp,
        checkpoint=Checkpoint(checkpoint, interval=0),
        progress=lambda report: print(report.scanned, flush=True),
    )
"""


def import_and_kill(path: Path, data: Path, checkpoint: Path, after: int) -> int:
    """Run the import in a subprocess, SIGKILL it once it reports ``after`` lines done, and
    return how many lines its checkpoint had acknowledged."""
    kill_once_it_reports(WORKER, [str(path), str(data), str(checkpoint)], after)
    saved = json.loads(checkpoint.read_text(encoding="utf-8"))
    assert not saved["report"]["complete"]
    acknowledged: int = saved["state"]["line"]
    return acknowledged


def test_a_killed_import_keeps_what_it_acknowledged_and_reruns_to_every_line_once(
    tmp_path: Path,
) -> None:
    items = [synthetic_item(n) for n in range(ITEMS)]
    path, data, checkpoint = tmp_path / "requests.sqlite3", tmp_path / "in.jsonl", tmp_path / "ckpt"
    data.write_text("".join(encode_item(item) for item in items), encoding="utf-8")

    for after in KILLS_AFTER:
        acknowledged = import_and_kill(path, data, checkpoint, after)
        assert 0 < acknowledged < ITEMS
        rows = stored_rows(path)
        for item in items[:acknowledged]:
            assert rows.get(item["id"]["S"]) == as_row(item)

    with SQLiteStore(path) as store, data.open(encoding="utf-8") as fp:
        report = import_jsonl(store, fp, checkpoint=checkpoint)

    assert report.complete and report.resumed
    assert report.written + report.already_present == ITEMS and report.conflicts == 0
    assert stored_rows(path) == {item["id"]["S"]: as_row(item) for item in items}
    assert integrity(path) == "ok"


@pytest.fixture
def dynamodb(moto: None) -> DynamoDBStore:
    return make_dynamodb_store()


def export(store: Any) -> str:
    out = io.StringIO()
    export_jsonl(store, out)
    return "".join(sorted(out.getvalue().splitlines(keepends=True)))


def test_an_export_moves_between_dynamodb_and_sqlite_byte_for_byte(
    dynamodb: DynamoDBStore, tmp_path: Path
) -> None:
    # Go's older form without approver attributes is left out: through the Store protocol it
    # comes back with them empty ("" and absent mean the same to both services).
    go_items = [item for item in go_written_items() if "approver" in item]
    put_raw(dynamodb, [*go_items, *(synthetic_item(n) for n in range(50))])
    from_dynamodb = export(dynamodb)

    with SQLiteStore(tmp_path / "requests.sqlite3") as local:
        import_jsonl(local, io.StringIO(from_dynamodb))
        from_sqlite = export(local)
    back = make_dynamodb_store()
    import_jsonl(back, io.StringIO(from_sqlite))

    assert from_sqlite == from_dynamodb
    assert export(back) == from_dynamodb
