"""A job spread over processes: ``segment`` of ``total_segments`` for export and import.

Each share has its own checkpoint, and the shares together are exactly the whole job: four
processes exporting one segment each write, between them, the lines a single export writes.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from approvals import MemoryStore, Store, ValidationError
from approvals.migrate import BulkOptions, encode_item, export_jsonl, import_jsonl
from tests.helpers import REGION, go_written_items, make_dynamodb_store
from tests.migrate_support import new_requests, put_raw, stored_raw, synthetic_item

ROOT = Path(__file__).resolve().parent.parent
SHARES = 4


def export_lines(store: Store, **options: object) -> list[str]:
    out = io.StringIO()
    export_jsonl(store, out, **options)  # type: ignore[arg-type]
    return out.getvalue().splitlines()


def test_four_processes_export_between_them_exactly_what_one_export_writes(
    moto_server_endpoint: str, tmp_path: Path
) -> None:
    store = make_dynamodb_store(moto_server_endpoint)
    put_raw(store, [synthetic_item(n) for n in range(400)] + go_written_items())
    env = {**os.environ, "AWS_REGION": REGION, "PYTHONPATH": str(ROOT)}
    common = ["--endpoint-url", moto_server_endpoint, "--table", store.table_name]
    processes = [
        subprocess.Popen(
            [
                *(sys.executable, "-m", "approvals", *common, "export", tmp_path / f"{i}.jsonl"),
                *("--segment", str(i), "--total-segments", str(SHARES)),
                *("--checkpoint", tmp_path / f"{i}.ckpt"),
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in range(SHARES)
    ]
    for process in processes:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, stderr

    shares = [(tmp_path / f"{i}.jsonl").read_text("utf-8").splitlines() for i in range(SHARES)]
    union = Counter(line for share in shares for line in share)
    assert union == Counter(export_lines(store))
    assert max(union.values()) == 1
    assert all(shares)  # every process had a share of 400 items


def test_the_shares_of_a_memory_store_export_cover_it_exactly_once() -> None:
    store = MemoryStore()
    for request in new_requests(60):
        store.create(request)

    shares = [export_lines(store, segment=i, total_segments=3) for i in range(3)]

    assert Counter(line for share in shares for line in share) == Counter(export_lines(store))


def test_the_shares_of_an_import_write_every_line_once(moto: None) -> None:
    store = make_dynamodb_store()
    items = [synthetic_item(n) for n in range(300)]
    text = "".join(encode_item(item) for item in items)

    reports = [
        import_jsonl(store, io.StringIO(text), segment=i, total_segments=SHARES)
        for i in range(SHARES)
    ]

    assert sum(report.written for report in reports) == 300
    assert all(report.written for report in reports)
    assert stored_raw(store) == {item["id"]["S"]: item for item in items}


def test_a_share_resumes_only_from_its_own_checkpoint(moto: None, tmp_path: Path) -> None:
    store = make_dynamodb_store()
    put_raw(store, [synthetic_item(n) for n in range(20)])
    checkpoint = tmp_path / "share-0.ckpt"
    with (tmp_path / "share-0.jsonl").open("w") as out:
        export_jsonl(store, out, segment=0, total_segments=2, checkpoint=checkpoint)

    with (tmp_path / "share-1.jsonl").open("a") as out, pytest.raises(ValidationError) as raised:
        export_jsonl(store, out, segment=1, total_segments=2, checkpoint=checkpoint)
    assert raised.value.field == "checkpoint"


@pytest.mark.parametrize(
    ("options", "field"),
    [
        ({"segment": 0}, "total_segments"),
        ({"total_segments": 4}, "segment"),
        ({"segment": 4, "total_segments": 4}, "segment"),
        ({"segment": 0, "total_segments": 0}, "total_segments"),
        ({"segments": 0}, "segments"),
        ({"workers": 0}, "workers"),
        ({"page_size": True}, "page_size"),
    ],
)
def test_bulk_options_name_the_field_they_refuse(options: dict[str, int], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        BulkOptions(**options)  # type: ignore[arg-type]
    assert raised.value.field == field
