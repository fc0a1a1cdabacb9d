"""SQLiteStore beyond the contract suite: its file, its wire values, its errors, its paging.

The contract (tests/test_store_contract.py) runs on it through the ``sqlite`` backend of
tests/conftest.py; the races are in tests/test_races.py and the SIGKILL test in
tests/test_sqlite_crash.py.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import sqlite3
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest

from approvals import (
    Request,
    RequestStatus,
    SQLiteStore,
    StoreError,
    ValidationError,
)
from approvals.durations import StoredDuration
from approvals.request import MAX_QUERY_LIMIT
from approvals.store.paths import default_path
from approvals.store.sqlite import PAGE_SIZE
from approvals.times import parse_time
from tests.helpers import (
    go_written_items,
    make_dynamodb_store,
    new_request,
    pending_request_at,
    run_python,
)
from tests.migrate_support import put_raw, raw_client
from tests.sqlite_support import as_row, integrity, stored_rows


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "requests.sqlite3"


@pytest.fixture
def store(path: Path) -> Any:
    with SQLiteStore(path) as opened:
        yield opened


# -- the file --------------------------------------------------------------------------------


def test_the_file_and_its_directory_are_created_and_outlive_the_store(path: Path) -> None:
    with SQLiteStore(path) as first:
        created = first.create(new_request())
    with SQLiteStore(path) as second:
        assert second.get(created.id) == created


@pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")
def test_a_new_file_and_directory_are_the_users_only(path: Path) -> None:
    with SQLiteStore(path) as store:
        store.create(new_request())
        assert path.parent.stat().st_mode & 0o777 == 0o700
        for made in (path, path.with_name(path.name + "-wal")):
            assert made.stat().st_mode & 0o777 == 0o600


def test_stores_on_one_file_see_each_others_writes(path: Path) -> None:
    with SQLiteStore(path) as first, SQLiteStore(path) as second:
        created = first.create(new_request())
        second.update(second.get(created.id).approve("bob"))
        assert first.get(created.id).status is RequestStatus.APPROVED


def test_the_file_uses_write_ahead_logging_and_a_schema_version(
    store: SQLiteStore, path: Path
) -> None:
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert connection.execute("PRAGMA user_version").fetchone()[0] == 1
    connection.close()


def test_queries_read_the_indexes_without_sorting(store: SQLiteStore, path: Path) -> None:
    with sqlite3.connect(path) as connection:
        for column in ("requester", "status", "profile"):
            plan = " ".join(
                str(row[-1])
                for row in connection.execute(
                    "EXPLAIN QUERY PLAN SELECT * FROM requests WHERE "
                    f"{column} = ? AND (created_at, id) < (?, ?) "
                    "ORDER BY created_at DESC, id DESC LIMIT 10",
                    ("x", "y", "z"),
                )
            )
            assert f"USING INDEX gsi_{column}" in plan
            assert "TEMP B-TREE" not in plan
    connection.close()


def test_the_store_says_where_it_is(store: SQLiteStore, path: Path) -> None:
    assert store.path == path
    assert repr(store) == f"SQLiteStore({str(path)!r})"


def test_default_path_is_the_platform_data_directory(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("APPROVALS_DATA_DIR", str(tmp_path / "mine"))
    assert default_path() == tmp_path / "mine" / "requests.sqlite3"
    monkeypatch.delenv("APPROVALS_DATA_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert default_path() == tmp_path / "xdg" / "approvals" / "requests.sqlite3"
        monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
        expected = Path.home() / ".local" / "share" / "approvals" / "requests.sqlite3"
        assert default_path() == expected


def test_the_store_loads_no_aws_library(path: Path) -> None:
    script = f"""
import sys
from datetime import timedelta
from approvals import Request, SQLiteStore

store = SQLiteStore({str(path)!r})
created = store.create(Request.new(requester="alice", profile="prod",
                                   justification="Rotate the keys", duration=timedelta(hours=1)))
store.update(store.get(created.id).approve("bob"))
assert [r.id for r in store.iter_by_requester("alice")] == [created.id]
print(sorted(m for m in sys.modules if m.split(".")[0] in ("boto3", "botocore", "pynamodb")))
"""
    result = run_python(script)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def _create_in_a_forked_child(store: SQLiteStore, request: Request) -> None:
    store.create(request)
    store.update(store.get(request.id).approve("bob"))


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_store_used_before_a_fork_works_in_the_child_and_the_parent(
    store: SQLiteStore, path: Path
) -> None:
    before, in_child = store.create(new_request()), new_request()
    child = multiprocessing.get_context("fork").Process(
        target=_create_in_a_forked_child, args=(store, in_child)
    )
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    after = store.create(new_request())
    assert store.get(in_child.id).status is RequestStatus.APPROVED
    assert {r.id for r in store.iter_by_requester("alice")} == {before.id, in_child.id, after.id}
    assert integrity(path) == "ok"


def test_synchronous_normal_is_an_opt_in_and_nothing_else_is_accepted(path: Path) -> None:
    with SQLiteStore(path, synchronous="normal") as store:
        created = store.create(new_request())
    with SQLiteStore(path) as store:
        assert store.get(created.id) == created
    with pytest.raises(ValidationError) as caught:
        SQLiteStore(path, synchronous="off")  # type: ignore[arg-type]
    assert caught.value.field == "synchronous"


# -- the wire values -------------------------------------------------------------------------


def test_a_row_holds_what_dynamodb_store_writes_for_the_same_request(
    store: SQLiteStore, path: Path, moto: None
) -> None:
    dynamodb = make_dynamodb_store()
    request = new_request()
    store.create(request)
    dynamodb.create(request)
    store.update(store.get(request.id).approve("bob", "go ahead"))
    dynamodb.update(dynamodb.get(request.id).approve("bob", "go ahead"))

    item = raw_client(dynamodb).get_item(
        TableName=dynamodb.table_name, Key={"id": {"S": request.id}}
    )
    row, expected = stored_rows(path)[request.id], as_row(item["Item"])
    # Each store writes its own new updated_at: compare its form, then everything else.
    assert row.pop("updated_at").endswith("001Z") and expected.pop("updated_at").endswith("001Z")
    assert row == expected


def test_go_written_items_read_back_as_dynamodb_store_returns_them(
    store: SQLiteStore, path: Path, moto: None
) -> None:
    dynamodb = make_dynamodb_store()
    items = go_written_items()
    put_raw(dynamodb, items)
    for item in items:
        from_dynamodb = dynamodb.get(item["id"]["S"])
        store.create(from_dynamodb)
        from_sqlite = store.get(from_dynamodb.id)
        assert from_sqlite == from_dynamodb
        for name in ("created_at", "updated_at", "expires_at"):
            assert getattr(from_sqlite, name).wire == getattr(from_dynamodb, name).wire
        assert stored_rows(path)[item["id"]["S"]] == as_row(item)


def test_a_duration_finer_than_a_microsecond_keeps_its_nanoseconds(
    store: SQLiteStore, path: Path
) -> None:
    request = dataclasses.replace(
        new_request(), duration=StoredDuration.from_nanoseconds(3_600_000_000_123)
    )
    store.create(request)
    updated = store.update(store.get(request.id).approve("bob"))
    assert isinstance(updated.duration, StoredDuration)
    assert updated.duration.nanoseconds == 3_600_000_000_123
    assert stored_rows(path)[request.id]["duration"] == 3_600_000_000_123


def test_a_hand_built_request_updates_a_row_stored_in_another_form(
    store: SQLiteStore, path: Path
) -> None:
    # As the Go service writes it: trimmed fraction, a UTC offset.
    created = parse_time("2026-11-20T13:45:10.5+01:00")
    stored = store.create(pending_request_at(created, parse_time("2999-01-01T00:00:00+01:00")))
    # The same values, built by hand: plain datetimes, so written forms differ from the row's.
    by_hand = Request(
        **{
            **dataclasses.asdict(stored),
            "created_at": datetime(2026, 11, 20, 12, 45, 10, 500000, tzinfo=timezone.utc),
            "updated_at": datetime(2026, 11, 20, 12, 45, 10, 500000, tzinfo=timezone.utc),
            "expires_at": datetime(2998, 12, 31, 23, 0, tzinfo=timezone.utc),
        }
    )
    approved = store.update(by_hand.approve("bob"))
    assert approved.status is RequestStatus.APPROVED
    row = stored_rows(path)[stored.id]
    assert row["created_at"] == "2026-11-20T13:45:10.5+01:00"
    assert row["expires_at"] == "2999-01-01T00:00:00+01:00"
    assert row["updated_at"] > "2026-11-20T12:45:10.5"


# -- create_many -----------------------------------------------------------------------------


def test_create_many_stores_the_new_and_leaves_the_taken(store: SQLiteStore) -> None:
    taken = store.create(new_request("carol"))
    fresh = [new_request() for _ in range(3)]
    rival = dataclasses.replace(new_request("mallory"), id=taken.id)
    twice = dataclasses.replace(new_request("mallory"), id=fresh[0].id)

    results = store.create_many([fresh[0], rival, fresh[1], twice, fresh[2]])

    assert results == [fresh[0], None, fresh[1], None, fresh[2]]
    assert [store.get(r.id) for r in fresh] == results[::2]
    assert store.get(taken.id) == taken


def test_create_many_writes_nothing_when_one_request_is_invalid(store: SQLiteStore) -> None:
    valid, invalid = new_request(), dataclasses.replace(new_request(), justification="short")
    with pytest.raises(ValidationError) as caught:
        store.create_many([valid, invalid])
    assert caught.value.field == "justification"
    assert store.list_by_requester("alice") == []


def test_create_many_returns_what_get_returns(store: SQLiteStore) -> None:
    go_written = dataclasses.replace(
        new_request(),
        created_at=parse_time("2026-11-20T13:45:10.5+01:00"),
        duration=StoredDuration.from_nanoseconds(3_600_000_000_123),
    )
    (created,) = store.create_many([go_written])
    assert created is not None
    stored = store.get(go_written.id)
    assert created == stored
    assert created.created_at.wire == stored.created_at.wire == "2026-11-20T13:45:10.5+01:00"
    assert created.duration.nanoseconds == stored.duration.nanoseconds == 3_600_000_000_123


# -- errors ----------------------------------------------------------------------------------


def test_a_file_that_is_not_a_database_is_a_clear_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match="not an approvals SQLite database") as caught:
        SQLiteStore(path)
    assert not caught.value.retryable
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_a_damaged_file_is_a_clear_store_error(path: Path) -> None:
    with SQLiteStore(path) as store:
        created = [store.create(new_request()) for _ in range(50)]
    page_size = 4096
    with path.open("r+b") as damaged:  # every page but the first (the schema) overwritten
        size = damaged.seek(0, 2)
        damaged.seek(page_size)
        damaged.write(b"\xa5" * (size - page_size))
    with pytest.raises(StoreError, match="corrupt") as caught, SQLiteStore(path) as store:
        store.get(created[0].id)
    assert isinstance(caught.value.__cause__, sqlite3.DatabaseError)


def test_a_file_of_a_newer_schema_is_refused(path: Path) -> None:
    SQLiteStore(path).close()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version=99")
    connection.close()
    with pytest.raises(StoreError, match="schema version 99"):
        SQLiteStore(path)


def test_a_write_locked_past_the_busy_timeout_is_a_retryable_store_error(path: Path) -> None:
    with SQLiteStore(path, busy_timeout=0.05) as store:
        request = new_request()
        holder = sqlite3.connect(path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StoreError) as caught:
                store.create(request)
        finally:
            holder.rollback()
            holder.close()
        assert caught.value.retryable
        assert caught.value.request_id == request.id
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        assert store.create(request) == request  # the lock is gone: it works again


def test_a_directory_that_cannot_be_made_is_a_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(StoreError) as caught:
        SQLiteStore(blocker / "requests.sqlite3")
    assert isinstance(caught.value.__cause__, OSError)


def test_a_closed_store_raises_store_error(path: Path) -> None:
    store = SQLiteStore(path)
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.get("0123456789abcdef")


@pytest.mark.parametrize("bad", ["", ":memory:", 7, None, b"requests.sqlite3"])
def test_a_path_that_names_no_file_is_refused(bad: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        SQLiteStore(bad)
    assert caught.value.field == "path"


@pytest.mark.parametrize("bad", [-1, float("nan"), float("inf"), "5"])
def test_a_busy_timeout_that_is_not_a_number_of_seconds_is_refused(path: Path, bad: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        SQLiteStore(path, busy_timeout=bad)
    assert caught.value.field == "busy_timeout"


def test_a_malformed_row_is_a_store_error_naming_the_request(
    store: SQLiteStore, path: Path
) -> None:
    request = store.create(new_request())
    with sqlite3.connect(path) as connection:
        connection.execute(
            "UPDATE requests SET created_at = 'yesterday' WHERE id = ?", (request.id,)
        )
    connection.close()
    with pytest.raises(StoreError, match="malformed") as caught:
        store.get(request.id)
    assert caught.value.request_id == request.id


def test_a_query_key_that_is_not_unicode_text_matches_nothing(store: SQLiteStore) -> None:
    store.create(new_request())
    assert store.list_by_requester("alice\ud800") == []
    assert list(store.iter_by_profile("\udcff")) == []


# -- paging ----------------------------------------------------------------------------------


def test_iterators_read_page_by_page(store: SQLiteStore) -> None:
    start = datetime(2026, 11, 28, 12, 0, tzinfo=timezone.utc)
    created = [
        store.create(new_request(now=start + timedelta(seconds=n))) for n in range(PAGE_SIZE * 2)
    ]
    newest_first = created[::-1]
    iterator = store.iter_by_requester("alice")
    assert next(iterator) == newest_first[0]
    for request in newest_first[PAGE_SIZE:]:
        store.delete(request.id)
    # The rest of the first page was already read; the later pages are read now, and are gone.
    assert list(iterator) == newest_first[1:PAGE_SIZE]


def test_a_list_above_the_maximum_limit_is_capped(tmp_path: Path) -> None:
    with SQLiteStore(tmp_path / "many.sqlite3", synchronous="normal") as store:
        for _ in range(MAX_QUERY_LIMIT + 5):
            store.create(new_request())
        assert len(store.list_by_requester("alice", limit=MAX_QUERY_LIMIT + 5)) == MAX_QUERY_LIMIT
        assert len(list(store.iter_by_requester("alice"))) == MAX_QUERY_LIMIT + 5


def test_a_page_boundary_inside_one_instant_loses_and_repeats_nothing(
    store: SQLiteStore,
) -> None:
    moment = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=timezone.utc)
    created = [store.create(new_request(now=moment)) for _ in range(PAGE_SIZE + 50)]
    expected = sorted(r.id for r in created)[::-1]
    assert [r.id for r in store.iter_by_profile("production")] == expected
    until = created[0].created_at
    assert [r.id for r in store.iter_by_status(RequestStatus.PENDING, until=until)] == expected
    listed = store.list_by_requester("alice", limit=PAGE_SIZE + 1)
    assert [r.id for r in listed] == expected[: PAGE_SIZE + 1]
