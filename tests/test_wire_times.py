"""Every time string the library writes is sortable and exactly what Go's RFC3339Nano prints.

The Go service locks an update on ``updated_at = :old`` with ``:old`` its read time re-formatted
by ``time.Format(time.RFC3339Nano)``; a stored string that is not already in that form can never
be updated by Go. tests/gotime.py re-implements Go's layout; tests/interop runs the real Go code.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from approvals import MemoryStore, Request
from approvals.migrate import canonical_time
from approvals.times import (
    StoredTime,
    format_instant,
    format_time,
    instant_ns,
    is_canonical,
    next_token,
    parse_time,
    stored_form,
)
from tests.gotime import go_format, go_parse
from tests.helpers import go_written_items, make_dynamodb_store, new_request, pending_request_at

WRITTEN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{8}[1-9]Z$")
TIME_FIELDS = ("created_at", "updated_at", "expires_at")

aware = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.timezones()
)
instants = st.integers(min_value=0, max_value=253_370_764_800 * 10**9 - 1)  # up to 9998-12-31


def _is_go_lockable(text: str) -> bool:
    nanoseconds, offset = go_parse(text)
    return go_format(nanoseconds, offset) == text


def _written(requests: list[Request]) -> list[str]:
    return [stored_form(getattr(r, name)) for r in requests for name in TIME_FIELDS]


def _lifecycle(store: Any, now: datetime) -> list[Request]:
    created = store.create(new_request(now=now))
    return [created, store.update(created.cancel(now=now))]


def test_the_go_layout_reimplementation_reads_back_what_the_go_service_wrote() -> None:
    for item in go_written_items():
        for name in TIME_FIELDS:
            text = item[name]["S"]
            if "T" in text:
                assert _is_go_lockable(text), text
    assert go_format(1_795_163_797_643_552_000) == "2026-11-20T08:36:37.643552Z"
    assert go_format(1_795_163_797_000_000_000) == "2026-11-20T08:36:37Z"


@given(now=aware)
def test_every_time_memory_store_writes_is_sortable_and_go_lockable(now: datetime) -> None:
    for text in _written(_lifecycle(MemoryStore(clock=lambda: now), now)):
        assert WRITTEN.match(text), text
        assert _is_go_lockable(text), text


@pytest.mark.usefixtures("moto")
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(now=aware)
def test_every_time_dynamodb_store_writes_is_sortable_and_go_lockable(now: datetime) -> None:
    store = make_dynamodb_store()
    requests = _lifecycle(store, now)
    client = store.dynamodb_table().client if hasattr(store, "dynamodb_table") else None
    raw = (
        client.get_item(TableName=store.table_name, Key={"id": {"S": requests[0].id}})["Item"]
        if client is not None
        else store.model.get(requests[0].id).serialize()
    )
    for name in TIME_FIELDS:
        text = raw[name]["S"]
        assert text == stored_form(getattr(requests[-1], name))
        assert WRITTEN.match(text), text
        assert _is_go_lockable(text), text


@given(value=aware)
def test_a_datetime_is_written_with_001_in_place_of_its_missing_nanoseconds(
    value: datetime,
) -> None:
    text = format_time(value)
    assert WRITTEN.match(text) and text.endswith("001Z")
    # Compared as UTC instants: a wall time in a DST gap equals nothing across zones.
    utc = value.astimezone(timezone.utc)
    assert parse_time(text) == utc
    assert instant_ns(parse_time(text)) == instant_ns(utc) + 1


@given(nanoseconds=instants)
def test_an_instant_is_written_at_most_one_nanosecond_later(nanoseconds: int) -> None:
    text = format_instant(nanoseconds)
    assert WRITTEN.match(text), text
    assert _is_go_lockable(text)
    written, _ = go_parse(text)
    assert 0 <= written - nanoseconds <= 1
    assert is_canonical(text)


@given(st.lists(instants, min_size=2, max_size=20))
def test_string_order_is_time_order(values: list[int]) -> None:
    texts = [format_instant(v) for v in values]
    by_string = sorted(range(len(values)), key=lambda i: texts[i])
    by_time = sorted(range(len(values)), key=lambda i: go_parse(texts[i])[0])
    assert [go_parse(texts[i])[0] for i in by_string] == [go_parse(texts[i])[0] for i in by_time]


@given(st.lists(aware, min_size=2, max_size=20))
def test_string_order_of_datetimes_is_their_time_order(values: list[datetime]) -> None:
    instants = [v.astimezone(timezone.utc) for v in values]
    assert sorted(format_time(v) for v in instants) == [format_time(v) for v in sorted(instants)]


@pytest.mark.parametrize(
    "previous",
    [
        "2026-11-20T11:05:42.123456789Z",
        "2026-11-20T11:05:42.123456001Z",
        "2026-11-20T11:05:42.1234567Z",
        "2026-11-20T11:05:42Z",
        "2026-11-20T12:05:42.999999999+01:00",
        "1795258800",
    ],
)
def test_a_new_updated_at_is_strictly_later_to_the_nanosecond(previous: str) -> None:
    read = parse_time(previous)
    same_microsecond = read.replace(tzinfo=timezone.utc)  # a clock that has not moved on
    token = next_token(read, same_microsecond)
    assert token.wire is not None and WRITTEN.match(token.wire)
    assert go_parse(token.wire)[0] > instant_ns(read)
    assert _is_go_lockable(token.wire)


def test_an_update_writes_a_later_token_than_a_go_token_with_nanosecond_digits() -> None:
    read = parse_time("2026-11-20T11:05:42.123456789Z")
    clock = datetime(2026, 11, 20, 11, 5, 42, 123456, tzinfo=timezone.utc)
    store = MemoryStore(clock=lambda: clock)
    request = pending_request_at(read, parse_time("2026-11-21T11:05:42.123456789Z"))
    stored = store.create(request)
    decided = store.update(stored.approve("bob", now=clock))
    assert stored_form(decided.updated_at) == "2026-11-20T11:05:42.123456791Z"


@pytest.mark.parametrize(
    ("stored", "written"),
    [
        ("2026-11-20T09:15:02.120783Z", "2026-11-20T09:15:02.120783001Z"),
        ("2026-11-20T10:00:00Z", "2026-11-20T10:00:00.000000001Z"),
        ("2026-11-20T13:45:10.5+01:00", "2026-11-20T12:45:10.500000001Z"),
        ("1795165200", "2026-11-20T09:00:00.000000001Z"),
        ("2026-11-20T11:00:00.123456789Z", "2026-11-20T11:00:00.123456789Z"),
        ("2026-11-20T11:00:00.123456781Z", "2026-11-20T11:00:00.123456781Z"),
    ],
)
def test_normalize_writes_go_forms_canonically_and_leaves_canonical_strings_alone(
    stored: str, written: str
) -> None:
    value = parse_time(stored)
    normalized = canonical_time(value)
    assert stored_form(normalized) == written
    assert _is_go_lockable(written)
    if stored == written:
        assert normalized is value


def test_a_time_built_by_hand_is_stored_like_one_read_back() -> None:
    value = datetime(2026, 11, 28, 0, 25, 31, 123456, tzinfo=timezone(timedelta(hours=2)))
    read = parse_time(format_time(value))
    assert isinstance(read, StoredTime)
    assert read == value and stored_form(read) == "2026-11-27T22:25:31.123456001Z"
