"""approvals.migrate JSON Lines: the documented format, exact round trips, import modes and
checkpoints (in-process; the SIGKILL tests are in test_migrate_crash.py)."""

from __future__ import annotations

import dataclasses
import io
import json
from pathlib import Path
from typing import Any

import pytest

from approvals import DynamoDBStore, MemoryStore, RequestStatus, Store, ValidationError
from approvals.migrate import (
    Checkpoint,
    MigrationReport,
    decode_line,
    encode_item,
    export_jsonl,
    import_jsonl,
)
from tests.helpers import go_written_items, make_dynamodb_store
from tests.migrate_support import new_requests, put_raw, stored_raw, synthetic_item

GO_ITEMS = go_written_items()


def jsonl(items: list[dict[str, Any]]) -> str:
    return "".join(encode_item(item) for item in items)


def export_text(store: Store, **options: Any) -> str:
    out = io.StringIO()
    export_jsonl(store, out, **options)
    return out.getvalue()


@pytest.fixture
def table(moto: None) -> DynamoDBStore:
    return make_dynamodb_store()


# -- the format ---------------------------------------------------------------------------


def test_a_line_is_compact_json_with_the_documented_keys_in_order() -> None:
    assert encode_item(GO_ITEMS[0]) == (
        '{"id":"3f9a1c0d5e7b2a41","requester":"alice","profile":"production",'
        '"justification":"Deploy hotfix for incident INC-4821","duration":3600000000000,'
        '"status":"pending","created_at":"2026-11-20T09:15:02.120783Z",'
        '"updated_at":"2026-11-20T09:15:02.120783Z","expires_at":"2026-11-21T09:15:02.120783Z",'
        '"ttl":1795252502,"approver":"","approver_comment":""}\n'
    )


def test_attributes_the_item_lacks_are_absent_from_its_line() -> None:
    line = json.loads(encode_item(GO_ITEMS[5]))  # the Unix-seconds item without approver
    assert "approver" not in line and "approver_comment" not in line
    assert line["created_at"] == "1795165200"


def test_non_ascii_text_is_written_as_itself() -> None:
    item = {**GO_ITEMS[0], "justification": {"S": "Déployer le correctif — INC-4821"}}
    assert "Déployer le correctif — INC-4821" in encode_item(item)


def test_every_go_written_item_decodes_to_itself() -> None:
    for item in GO_ITEMS:
        assert decode_line(encode_item(item)) == item


def test_unknown_attributes_travel_in_extra_as_dynamodb_json() -> None:
    item = {**GO_ITEMS[0], "region": {"S": "eu-west-1"}, "retries": {"N": "3"}}
    line = json.loads(encode_item(item))
    assert line["extra"] == {"region": {"S": "eu-west-1"}, "retries": {"N": "3"}}
    assert decode_line(encode_item(item)) == item


def test_blank_lines_decode_to_nothing() -> None:
    assert decode_line("  \n") is None


@pytest.mark.parametrize(
    ("line", "field"),
    [
        ("[1, 2]", "line"),
        ("{not json", "line"),
        (json.dumps({**json.loads(encode_item(GO_ITEMS[0])), "colour": "red"}), "colour"),
        (json.dumps({**json.loads(encode_item(GO_ITEMS[0])), "duration": "1h"}), "duration"),
        (json.dumps({**json.loads(encode_item(GO_ITEMS[0])), "duration": 1.5}), "duration"),
        (json.dumps({**json.loads(encode_item(GO_ITEMS[0])), "ttl": True}), "ttl"),
        (json.dumps({**json.loads(encode_item(GO_ITEMS[0])), "status": 3}), "status"),
        (
            json.dumps(
                {k: v for k, v in json.loads(encode_item(GO_ITEMS[0])).items() if k != "id"}
            ),
            "id",
        ),
        (
            json.dumps({**json.loads(encode_item(GO_ITEMS[0])), "extra": {"id": {"S": "x"}}}),
            "extra",
        ),
        (json.dumps({**json.loads(encode_item(GO_ITEMS[0])), "extra": {"a": "plain"}}), "extra"),
    ],
)
def test_a_line_out_of_format_is_a_validation_error_naming_line_and_field(
    line: str, field: str
) -> None:
    with pytest.raises(ValidationError, match="line 7") as raised:
        decode_line(line, 7)
    assert raised.value.field == field


# -- exact round trips --------------------------------------------------------------------


def test_go_written_items_round_trip_byte_for_byte(table: DynamoDBStore) -> None:
    put_raw(table, GO_ITEMS)
    exported = export_text(table)

    copy = make_dynamodb_store()
    import_jsonl(copy, io.StringIO(exported))

    assert stored_raw(copy) == {item["id"]["S"]: item for item in GO_ITEMS}
    assert sorted(export_text(copy).splitlines()) == sorted(exported.splitlines())


def test_export_writes_every_request_exactly_once(store: Store) -> None:
    requests = new_requests(30)
    for request in requests:
        store.create(request)

    lines = export_text(store, segments=3, page_size=7).splitlines()

    assert sorted(json.loads(line)["id"] for line in lines) == sorted(r.id for r in requests)


def test_import_then_export_keeps_every_request(store: Store) -> None:
    requests = new_requests(12)
    source = MemoryStore()
    for request in requests:
        source.create(request)

    report = import_jsonl(store, io.StringIO(export_text(source)))

    assert (report.scanned, report.written) == (12, 12)
    assert {r.id: r for r in (store.get(q.id) for q in requests)} == {r.id: r for r in requests}


def test_export_with_a_status_writes_only_that_status(table: DynamoDBStore) -> None:
    put_raw(table, GO_ITEMS)
    lines = export_text(table, status=RequestStatus.PENDING).splitlines()
    assert sorted(json.loads(line)["id"] for line in lines) == [
        "3f9a1c0d5e7b2a41",
        "feedfacefeedface",
    ]


def test_export_dry_run_counts_and_writes_nothing(table: DynamoDBStore) -> None:
    put_raw(table, GO_ITEMS)
    out = io.StringIO()
    report = export_jsonl(table, out, dry_run=True)
    assert (report.written, out.getvalue()) == (len(GO_ITEMS), "")


# -- import modes ---------------------------------------------------------------------------


def test_reimporting_the_same_lines_counts_them_as_already_present(store: Store) -> None:
    text = export_text(_memory_with(new_requests(5)))
    import_jsonl(store, io.StringIO(text))

    again = import_jsonl(store, io.StringIO(text))

    assert (again.written, again.already_present, again.conflicts) == (0, 5, 0)


def test_create_only_reports_a_differing_stored_item_and_keeps_it(table: DynamoDBStore) -> None:
    put_raw(table, [GO_ITEMS[0]])
    changed = {**GO_ITEMS[0], "justification": {"S": "A different justification text"}}

    report = import_jsonl(table, io.StringIO(jsonl([changed])))

    assert (report.conflicts, report.conflict_ids) == (1, ["3f9a1c0d5e7b2a41"])
    assert stored_raw(table)["3f9a1c0d5e7b2a41"] == GO_ITEMS[0]


def test_overwrite_replaces_the_stored_item(table: DynamoDBStore) -> None:
    put_raw(table, [GO_ITEMS[0]])
    changed = {**GO_ITEMS[0], "justification": {"S": "A different justification text"}}

    report = import_jsonl(table, io.StringIO(jsonl([changed])), mode="overwrite")

    assert report.written == 1
    assert stored_raw(table)["3f9a1c0d5e7b2a41"] == changed


def test_overwrite_with_an_id_twice_keeps_the_later_line(table: DynamoDBStore) -> None:
    first, later = GO_ITEMS[0], {**GO_ITEMS[0], "approver_comment": {"S": "second"}}
    import_jsonl(table, io.StringIO(jsonl([first, GO_ITEMS[1], later])), mode="overwrite")
    assert stored_raw(table)["3f9a1c0d5e7b2a41"] == later


def test_overwrite_writes_more_than_one_batch(table: DynamoDBStore) -> None:
    items = [synthetic_item(n) for n in range(60)]
    report = import_jsonl(table, io.StringIO(jsonl(items)), mode="overwrite")
    assert report.written == 60
    assert stored_raw(table) == {item["id"]["S"]: item for item in items}


def test_import_dry_run_reports_outcomes_and_writes_nothing(table: DynamoDBStore) -> None:
    put_raw(table, [GO_ITEMS[0], GO_ITEMS[1]])
    changed = {**GO_ITEMS[1], "approver_comment": {"S": "edited"}}

    report = import_jsonl(
        table, io.StringIO(jsonl([GO_ITEMS[0], changed, GO_ITEMS[2]])), dry_run=True
    )

    assert (report.written, report.already_present, report.conflicts) == (1, 1, 1)
    assert sorted(stored_raw(table)) == sorted([GO_ITEMS[0]["id"]["S"], GO_ITEMS[1]["id"]["S"]])


def test_an_unknown_mode_is_refused(table: DynamoDBStore) -> None:
    with pytest.raises(ValidationError, match="mode"):
        import_jsonl(table, io.StringIO(""), mode="merge")  # type: ignore[arg-type]


def test_an_invalid_request_line_stops_the_import_naming_the_line(table: DynamoDBStore) -> None:
    bad = {**GO_ITEMS[1], "justification": {"S": "short"}}
    with pytest.raises(ValidationError, match=r"line 2: .*justification") as raised:
        import_jsonl(table, io.StringIO(jsonl([GO_ITEMS[0], bad])))
    assert raised.value.field == "justification"


# -- checkpoints ----------------------------------------------------------------------------


class Crash(Exception):
    """Stands for the process dying at a progress report."""


def crash_after(calls: int) -> Any:
    seen = []

    def progress(report: MigrationReport) -> None:
        seen.append(report)
        if len(seen) == calls:
            raise Crash

    return progress


def test_a_fixed_line_resumes_the_import_after_the_lines_already_written(
    table: DynamoDBStore, tmp_path: Path
) -> None:
    # A create-only batch is one transaction: 100 lines.
    items = [synthetic_item(n) for n in range(140)]
    broken = [*items[:130], {**items[130], "status": {"S": "on-hold"}}, *items[131:]]
    checkpoint = Checkpoint(tmp_path / "import.ckpt", interval=0)
    with pytest.raises(ValidationError, match="line 131"):
        import_jsonl(table, io.StringIO(jsonl(broken)), checkpoint=checkpoint)
    assert len(stored_raw(table)) == 100  # the first full batch; the rest waited for line 131

    report = import_jsonl(table, io.StringIO(jsonl(items)), checkpoint=checkpoint)

    assert (report.resumed, report.complete, report.written, report.already_present) == (
        True,
        True,
        140,
        0,
    )
    assert stored_raw(table) == {item["id"]["S"]: item for item in items}


def test_a_rerun_on_another_input_is_refused(table: DynamoDBStore, tmp_path: Path) -> None:
    checkpoint = Checkpoint(tmp_path / "import.ckpt", interval=0)
    items = [synthetic_item(n) for n in range(250)]  # three batches
    with pytest.raises(Crash):
        import_jsonl(
            table, io.StringIO(jsonl(items)), checkpoint=checkpoint, progress=crash_after(2)
        )
    other = [synthetic_item(n + 1000) for n in range(250)]

    with pytest.raises(ValidationError, match="does not match the checkpoint"):
        import_jsonl(table, io.StringIO(jsonl(other)), checkpoint=checkpoint)


def test_an_interrupted_export_resumes_to_every_item_exactly_once(
    table: DynamoDBStore, tmp_path: Path
) -> None:
    items = [synthetic_item(n) for n in range(90)]
    put_raw(table, items)
    path, checkpoint = tmp_path / "out.jsonl", Checkpoint(tmp_path / "export.ckpt", interval=0)
    with path.open("w", encoding="utf-8") as out, pytest.raises(Crash):
        export_jsonl(
            table, out, segments=3, page_size=10, checkpoint=checkpoint, progress=crash_after(4)
        )
    with path.open("a", encoding="utf-8") as out:
        out.write('{"id":"half a line')  # what a process killed mid-write leaves

    with path.open("a", encoding="utf-8") as out:
        report = export_jsonl(table, out, segments=3, page_size=10, checkpoint=checkpoint)

    lines = path.read_text(encoding="utf-8").splitlines()
    assert sorted(lines) == sorted(encode_item(item).rstrip("\n") for item in items)
    assert (report.resumed, report.written) == (True, 90)


def test_a_completed_checkpoint_makes_a_rerun_do_nothing(
    table: DynamoDBStore, tmp_path: Path
) -> None:
    put_raw(table, GO_ITEMS)
    path, checkpoint = tmp_path / "out.jsonl", tmp_path / "export.ckpt"
    with path.open("w", encoding="utf-8") as out:
        first = export_jsonl(table, out, checkpoint=checkpoint)
    with path.open("a", encoding="utf-8") as out:
        again = export_jsonl(table, out, checkpoint=checkpoint)
    assert again.resumed and dataclasses.replace(again, resumed=False) == first
    assert len(path.read_text(encoding="utf-8").splitlines()) == len(GO_ITEMS)


def test_a_checkpoint_of_another_operation_is_refused(table: DynamoDBStore, tmp_path: Path) -> None:
    checkpoint = tmp_path / "ckpt"
    import_jsonl(table, io.StringIO(jsonl(GO_ITEMS)), checkpoint=checkpoint)
    with (tmp_path / "out.jsonl").open("w") as out, pytest.raises(ValidationError, match="import"):
        export_jsonl(table, out, checkpoint=checkpoint)


def test_a_checkpointed_export_needs_a_seekable_file(table: DynamoDBStore, tmp_path: Path) -> None:
    class Pipe(io.StringIO):
        def seekable(self) -> bool:
            return False

    with pytest.raises(ValidationError, match="seekable"):
        export_jsonl(table, Pipe(), checkpoint=tmp_path / "ckpt")


def test_resuming_an_export_into_a_truncated_file_is_refused(
    table: DynamoDBStore, tmp_path: Path
) -> None:
    put_raw(table, [synthetic_item(n) for n in range(30)])
    path, checkpoint = tmp_path / "out.jsonl", Checkpoint(tmp_path / "ckpt", interval=0)
    with path.open("w") as out, pytest.raises(Crash):
        export_jsonl(table, out, page_size=5, checkpoint=checkpoint, progress=crash_after(3))
    with path.open("w") as out, pytest.raises(ValidationError, match="mode 'a'"):
        export_jsonl(table, out, page_size=5, checkpoint=checkpoint)


def test_a_file_that_is_not_a_checkpoint_is_refused(table: DynamoDBStore, tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("my notes")
    with pytest.raises(ValidationError, match="not an approvals checkpoint"):
        import_jsonl(table, io.StringIO(""), checkpoint=path)


def test_a_checkpoint_is_replaced_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    checkpoint = Checkpoint(tmp_path / "ckpt")
    checkpoint.save({"operation": "import", "n": 1})
    checkpoint.save({"operation": "import", "n": 2})
    assert [p.name for p in tmp_path.iterdir()] == ["ckpt"]
    assert (checkpoint.load() or {})["n"] == 2


def _memory_with(requests: list[Any]) -> MemoryStore:
    store = MemoryStore()
    for request in requests:
        store.create(request)
    return store
