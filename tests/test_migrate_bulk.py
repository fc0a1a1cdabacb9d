"""approvals.migrate bulk rewrites: sweep_expired, normalize, rewrite, and scan_requests."""

from __future__ import annotations

import dataclasses
import inspect
import io
import json
import shutil
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

import approvals.migrate
from approvals import (
    ConcurrentModification,
    DynamoDBStore,
    InvalidStateTransition,
    MemoryStore,
    Request,
    RequestStatus,
    Store,
    TableNotFound,
    ValidationError,
)
from approvals.migrate import (
    Checkpoint,
    MigrationReport,
    canonical_time,
    export_jsonl,
    import_jsonl,
    normalize,
    rewrite,
    scan_requests,
    sweep_expired,
)
from approvals.times import parse_time
from tests.helpers import REGION, go_written_items, make_dynamodb_store
from tests.migrate_support import (
    approving_meanwhile,
    new_requests,
    put_raw,
    request_data,
    stored_raw,
)

GO_ITEMS = {item["id"]["S"]: item for item in go_written_items()}
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture
def table(moto: None) -> DynamoDBStore:
    return make_dynamodb_store()


def pending_at(created: datetime, count: int = 1, **overrides: Any) -> list[Request]:
    return [Request.new(now=created, **request_data(**overrides)) for _ in range(count)]


def seed(store: Store, requests: list[Request]) -> list[Request]:
    return [store.create(request) for request in requests]


# -- scan_requests --------------------------------------------------------------------------


def test_scan_yields_every_request_once(store: Store) -> None:
    requests = seed(store, new_requests(25))
    found = [r.id for r in scan_requests(store, segments=3, page_size=4)]
    assert sorted(found) == sorted(r.id for r in requests)


def test_scan_with_a_status_yields_only_that_status(store: Store) -> None:
    pending = seed(store, new_requests(4))
    store.update(pending[0].approve("bob"))
    found = {r.id for r in scan_requests(store, status="pending")}
    assert found == {r.id for r in pending[1:]}


def test_a_scan_reads_go_written_items_exactly_as_get_does(table: DynamoDBStore) -> None:
    put_raw(table, GO_ITEMS.values())

    scanned = {r.id: r for r in scan_requests(table, segments=2)}

    assert scanned == {request_id: table.get(request_id) for request_id in GO_ITEMS}
    for request in scanned.values():  # the stored strings, kept as the lock token
        stored = table.get(request.id)
        for name in ("created_at", "updated_at", "expires_at"):
            assert getattr(getattr(request, name), "wire", None) == getattr(
                getattr(stored, name), "wire", None
            )


def test_scan_arguments_are_checked_at_the_call() -> None:
    with pytest.raises(ValidationError, match="segments"):
        scan_requests(MemoryStore(), segments=0)


BULK_CALLS = {
    "scan_requests": lambda **options: scan_requests(MemoryStore(), **options),
    "export_jsonl": lambda **options: export_jsonl(MemoryStore(), io.StringIO(), **options),
    "import_jsonl": lambda **options: import_jsonl(MemoryStore(), io.StringIO(), **options),
    "rewrite": lambda **options: rewrite(MemoryStore(), lambda request: None, **options),
    "sweep_expired": lambda **options: sweep_expired(MemoryStore(), **options),
    "normalize": lambda **options: normalize(MemoryStore(), **options),
}
BAD_OPTIONS = {
    "segments": {"segments": 0},
    "page_size": {"page_size": 0},
    "rate_limit": {"rate_limit": -1},
    "workers": {"workers": 0},
    "dry_run": {"dry_run": "yes"},
    "segment": {"segment": 2, "total_segments": 2},
    "total_segments": {"segment": 0, "total_segments": 0},
}


@pytest.mark.parametrize(
    ("name", "field"),
    [
        (name, field)
        for name in BULK_CALLS
        for field in BAD_OPTIONS
        if field in inspect.signature(getattr(approvals.migrate, name)).parameters
    ],
)
def test_every_option_keyword_of_a_bulk_function_is_checked_at_the_call(
    name: str, field: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        BULK_CALLS[name](**BAD_OPTIONS[field])
    assert raised.value.field == field


NOT_OPTIONS = {"status", "now", "mode"}
"""The keyword-only parameters of the bulk functions that are not BulkOptions fields."""


@pytest.mark.parametrize("name", BULK_CALLS)
def test_every_other_keyword_of_a_bulk_function_is_a_bulk_option(name: str) -> None:
    # The functions pass their keywords on by name (BulkOptions.from_keywords): a keyword that
    # is no field would be dropped silently.
    parameters = inspect.signature(getattr(approvals.migrate, name)).parameters.values()
    keywords = {p.name for p in parameters if p.kind is p.KEYWORD_ONLY}
    fields = {field.name for field in dataclasses.fields(approvals.migrate.BulkOptions)}
    assert keywords - NOT_OPTIONS <= fields


def test_closing_a_scan_early_stops_its_threads(table: DynamoDBStore) -> None:
    seed(table, new_requests(30))
    scan = scan_requests(table, segments=4, page_size=2)
    next(scan)
    scan.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("approvals-scan")]


def test_a_scan_of_a_missing_table_raises_table_not_found(moto: None) -> None:
    store = DynamoDBStore("no-such-table", region=REGION)
    with pytest.raises(TableNotFound):
        list(scan_requests(store))


# -- sweep_expired --------------------------------------------------------------------------


def test_sweep_expires_pending_requests_past_expires_at(store: Store) -> None:
    stale = seed(store, pending_at(T0, 3))
    fresh = seed(store, pending_at(T0 + timedelta(days=2)))

    report = sweep_expired(store, now=T0 + timedelta(days=1, seconds=1))

    assert (report.scanned, report.written, report.unchanged) == (4, 3, 1)
    assert {store.get(r.id).status for r in stale} == {RequestStatus.EXPIRED}
    assert store.get(fresh[0].id).status is RequestStatus.PENDING


def test_sweep_leaves_decided_requests_alone(store: Store) -> None:
    approved = store.update(seed(store, pending_at(T0))[0].approve("bob", now=T0))
    sweep_expired(store, now=T0 + timedelta(days=3))
    assert store.get(approved.id) == approved


def test_sweep_dry_run_counts_and_writes_nothing(store: Store) -> None:
    stale = seed(store, pending_at(T0, 2))
    report = sweep_expired(store, now=T0 + timedelta(days=2), dry_run=True)
    assert (report.dry_run, report.written) == (True, 2)
    assert {store.get(r.id).status for r in stale} == {RequestStatus.PENDING}


class ApproverFirstStore(DynamoDBStore):
    """A store on which an approver decides each request just before the sweep writes it."""

    def update(self, request: Request) -> Request:
        approver = DynamoDBStore(self.table_name, region=REGION, host=self.host)
        current = approver.get(request.id)
        if current.status is RequestStatus.PENDING:
            approver.update(current.approve("bob", "approved in the nick of time", now=T0))
        return super().update(request)


def test_sweep_counts_a_request_approved_meanwhile_and_keeps_the_approval(
    table: DynamoDBStore,
) -> None:
    racing = ApproverFirstStore(table.table_name, region=REGION)
    request = seed(table, pending_at(T0))[0]

    report = sweep_expired(racing, now=T0 + timedelta(days=2))

    assert (report.written, report.conflicts, report.conflict_ids) == (0, 1, [request.id])
    assert table.get(request.id).status is RequestStatus.APPROVED


def test_a_resumed_sweep_keeps_the_cutoff_of_the_run_it_continues(
    store: Store, tmp_path: Path
) -> None:
    seed(store, pending_at(T0, 6))
    later = seed(store, pending_at(T0 + timedelta(days=5)))[0]
    checkpoint = Checkpoint(tmp_path / "sweep.ckpt", interval=0)
    with pytest.raises(Interrupted):
        sweep_expired(
            store,
            now=T0 + timedelta(days=2),
            page_size=2,
            segments=1,
            checkpoint=checkpoint,
            progress=interrupt_after(1),
        )

    report = sweep_expired(store, page_size=2, segments=1, checkpoint=checkpoint)

    assert (report.resumed, report.written) == (True, 6)
    assert store.get(later.id).status is RequestStatus.PENDING  # past "now", not the cutoff


@pytest.mark.parametrize("finished", [False, True])
def test_a_damaged_sweep_cutoff_is_a_validation_error_unless_the_sweep_is_complete(
    tmp_path: Path, finished: bool
) -> None:
    store = MemoryStore()
    seed(store, pending_at(T0, 4))
    path = tmp_path / "sweep.ckpt"
    options: dict[str, Any] = {"page_size": 2, "segments": 1, "checkpoint": Checkpoint(path)}
    if finished:
        done = sweep_expired(store, now=T0 + timedelta(days=2), **options)
    else:
        with pytest.raises(Interrupted):
            sweep_expired(store, now=T0 + timedelta(days=2), progress=interrupt_after(1), **options)
    saved = json.loads(path.read_text(encoding="utf-8"))
    saved["state"]["cutoff"] = "yesterday at noon"
    path.write_text(json.dumps(saved), encoding="utf-8")

    if finished:
        assert sweep_expired(store, **options) == dataclasses.replace(done, resumed=True)
    else:
        with pytest.raises(ValidationError) as raised:
            sweep_expired(store, **options)
        assert raised.value.field == "checkpoint"


# -- normalize ------------------------------------------------------------------------------


def test_normalize_rewrites_older_forms_canonically(table: DynamoDBStore) -> None:
    put_raw(table, GO_ITEMS.values())

    report = normalize(table)

    stored = stored_raw(table)
    assert (report.written, report.unchanged) == (5, 1)  # a0b1... is canonical already
    assert stored["feedfacefeedface"]["created_at"] == {"S": "2026-11-20T09:00:00.000000001Z"}
    assert stored["feedfacefeedface"]["approver"] == {"S": ""}
    assert stored["deadbeefcafef00d"]["expires_at"] == {"S": "2026-11-21T12:45:10.500000001Z"}
    assert stored["3f9a1c0d5e7b2a41"]["updated_at"] == {"S": "2026-11-20T09:15:02.120783001Z"}
    assert stored["a0b1c2d3e4f50617"] == GO_ITEMS["a0b1c2d3e4f50617"]


def test_normalize_changes_representations_not_values(table: DynamoDBStore) -> None:
    put_raw(table, GO_ITEMS.values())
    before = {r.id: r for r in scan_requests(table)}
    normalize(table)
    assert {r.id: r for r in scan_requests(table)} == before


def test_normalize_keeps_nanosecond_digits() -> None:
    stored = parse_time("2026-11-20T12:05:42.000000001+01:00")
    assert getattr(canonical_time(stored), "wire", None) == "2026-11-20T11:05:42.000000001Z"


def test_normalize_twice_writes_nothing_the_second_time(table: DynamoDBStore) -> None:
    put_raw(table, GO_ITEMS.values())
    normalize(table)
    assert normalize(table).written == 0


def test_a_request_read_before_normalize_is_refused_and_updates_once_read_again(
    table: DynamoDBStore,
) -> None:
    put_raw(table, GO_ITEMS.values())
    read_before = table.get("feedfacefeedface")
    normalize(table)

    with pytest.raises(ConcurrentModification):  # the lock token's string changed
        table.update(read_before.deny("bob", now=T0))
    decided = table.update(table.get("feedfacefeedface").deny("bob", now=T0))

    assert decided.status is RequestStatus.DENIED


def test_normalize_on_a_memory_store_rewrites_go_time_strings() -> None:
    store = MemoryStore()
    table_request = DynamoDBStore().dynamodb_table().to_request(GO_ITEMS["deadbeefcafef00d"])
    store.create(table_request)
    assert normalize(store).written == 1
    stored = store.get("deadbeefcafef00d")
    assert getattr(stored.created_at, "wire", None) == "2026-11-20T12:45:10.500000001Z"


# -- rewrite --------------------------------------------------------------------------------


def test_rewrite_returning_none_leaves_every_item_untouched(table: DynamoDBStore) -> None:
    put_raw(table, GO_ITEMS.values())
    report = rewrite(table, lambda request: None)
    assert (report.scanned, report.unchanged, report.written) == (6, 6, 0)
    assert stored_raw(table) == GO_ITEMS


def test_rewrite_writes_a_content_change_in_canonical_form(store: Store) -> None:
    request = seed(store, new_requests(1))[0]

    rewrite(store, lambda r: dataclasses.replace(r, profile="production-eu"))

    assert store.get(request.id).profile == "production-eu"


def test_rewrite_does_not_clobber_a_request_changed_after_it_was_read(store: Store) -> None:
    request = seed(store, new_requests(1))[0]

    report = rewrite(store, approving_meanwhile(store))

    assert (report.conflicts, report.written) == (1, 0)
    stored = store.get(request.id)
    assert (stored.status, stored.profile) == (RequestStatus.APPROVED, "production")


def test_rewrite_refuses_a_changed_id(store: Store) -> None:
    seed(store, new_requests(1))
    with pytest.raises(ValidationError, match="id"):
        rewrite(store, lambda r: dataclasses.replace(r, id="0" * 16))


def test_rewrite_refuses_a_transition_the_state_machine_forbids(store: Store) -> None:
    request = seed(store, new_requests(1))[0]
    store.update(request.cancel())
    with pytest.raises(InvalidStateTransition):
        rewrite(store, lambda r: dataclasses.replace(r, status=RequestStatus.EXPIRED))


def test_rewrite_refuses_a_status_change_with_a_new_lock_token(store: Store) -> None:
    seed(store, new_requests(1))
    with pytest.raises(ValidationError, match="updated_at"):
        rewrite(
            store,
            lambda r: dataclasses.replace(
                r.expire(), updated_at=r.updated_at + timedelta(seconds=1)
            ),
        )


def test_rewrite_counts_items_that_are_not_requests_as_invalid(table: DynamoDBStore) -> None:
    broken = {**GO_ITEMS["3f9a1c0d5e7b2a41"], "status": {"S": "on-hold"}}
    put_raw(table, [broken, GO_ITEMS["a0b1c2d3e4f50617"]])
    report = rewrite(table, lambda r: None)
    assert (report.invalid, report.invalid_ids, report.unchanged) == (
        1,
        ["3f9a1c0d5e7b2a41"],
        1,
    )


def test_an_error_in_the_transform_keeps_the_progress_made(store: Store, tmp_path: Path) -> None:
    requests = seed(store, new_requests(6))
    failing_id = sorted(r.id for r in requests)[4]
    checkpoint = Checkpoint(tmp_path / "rewrite.ckpt", interval=60)
    calls: list[str] = []

    def cancel_but_fail_once(request: Request) -> Request | None:
        calls.append(request.id)
        if request.id == failing_id and calls.count(failing_id) == 1:
            raise RuntimeError("bug in the transform")
        return request.cancel() if request.status is RequestStatus.PENDING else None

    options: dict[str, Any] = {
        "status": "pending",
        "segments": 1,
        "page_size": 1,
        "checkpoint": checkpoint,
    }
    with pytest.raises(RuntimeError):
        rewrite(store, cancel_but_fail_once, **options)
    report = rewrite(store, cancel_but_fail_once, **options)

    assert report.written == 6
    assert len(calls) == 7  # the rerun started at the failed request, not at the beginning
    assert {store.get(r.id).status for r in requests} == {RequestStatus.CANCELLED}


def test_a_run_whose_checkpoint_cannot_be_saved_as_it_fails_raises_its_own_error_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = MemoryStore()
    seed(store, new_requests(3))
    folder = tmp_path / "checkpoints"
    folder.mkdir()
    seen: list[str] = []

    def fail_on_the_second_page(request: Request) -> Request | None:
        seen.append(request.id)
        if len(seen) == 2:
            shutil.rmtree(folder)
            folder.write_text("not a folder any more")  # the checkpoint cannot be written now
            raise RuntimeError("bug in the transform")
        return None

    with pytest.raises(RuntimeError, match="bug in the transform"):
        rewrite(
            store,
            fail_on_the_second_page,
            segments=1,
            page_size=1,
            checkpoint=Checkpoint(folder / "rewrite.ckpt", interval=60),
        )

    assert "rewrite: could not save checkpoint" in caplog.text
    assert "rewrite.ckpt" in caplog.text


def test_conflicts_are_counted_not_raised(store: Store) -> None:
    seed(store, pending_at(T0, 2))

    def approve_meanwhile_then_expire(request: Request) -> Request:
        store.update(request.approve("bob", now=T0))
        return request.expire()

    report = rewrite(store, approve_meanwhile_then_expire)

    assert (report.complete, report.conflicts, report.written) == (True, 2, 0)


class Interrupted(Exception):
    pass


def interrupt_after(calls: int) -> Any:
    seen: list[MigrationReport] = []

    def progress(report: MigrationReport) -> None:
        seen.append(report)
        if len(seen) == calls:
            raise Interrupted

    return progress
