"""The wire-format attribute types, each on its own."""

from __future__ import annotations

import copy
import pickle
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, strategies as st

from approvals.attributes import GoDurationAttribute, RFC3339TimeAttribute, StoredDuration
from approvals.times import StoredTime, format_time, parse_time

TIME = RFC3339TimeAttribute()
DURATION = GoDurationAttribute()
aware_datetimes = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 30), timezones=st.timezones()
)


def test_writes_utc_with_nine_fraction_digits_and_z() -> None:
    value = datetime(2026, 11, 28, 0, 25, 31, 123456, tzinfo=timezone.utc)
    assert TIME.serialize(value) == "2026-11-28T00:25:31.123456001Z"


def test_writes_offsets_as_utc() -> None:
    value = datetime(2026, 11, 28, 1, 25, 31, tzinfo=timezone(timedelta(hours=1)))
    assert TIME.serialize(value) == "2026-11-28T00:25:31.000000001Z"


def test_refuses_to_write_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        TIME.serialize(datetime(2026, 11, 28))


@given(aware_datetimes)
def test_canonical_strings_round_trip(value: datetime) -> None:
    # Compared as UTC instants: a wall time in a DST gap has no equal in another zone.
    assert TIME.deserialize(TIME.serialize(value)) == value.astimezone(timezone.utc)


@given(aware_datetimes, aware_datetimes)
def test_canonical_string_order_is_time_order(a: datetime, b: datetime) -> None:
    utc_a, utc_b = a.astimezone(timezone.utc), b.astimezone(timezone.utc)
    assert (format_time(a) < format_time(b)) == (utc_a < utc_b)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-20T09:15:02.120783Z", datetime(2026, 11, 20, 9, 15, 2, 120783)),
        ("2026-11-20T11:05:42.000000001Z", datetime(2026, 11, 20, 11, 5, 42)),
        ("2026-11-20T10:00:00Z", datetime(2026, 11, 20, 10, 0)),
        ("2026-11-20T13:45:10.5+01:00", datetime(2026, 11, 20, 12, 45, 10, 500000)),
        ("2026-11-20T05:00:00-05:30", datetime(2026, 11, 20, 10, 30)),
        ("2026-11-20t10:00:00z", datetime(2026, 11, 20, 10, 0)),
        ("1795165200", datetime(2026, 11, 20, 9, 0)),
    ],
)
def test_reads_any_rfc3339_form_and_unix_seconds(text: str, expected: datetime) -> None:
    value = TIME.deserialize(text)
    assert value == expected.replace(tzinfo=timezone.utc)
    assert value.tzinfo is timezone.utc


@pytest.mark.parametrize(
    "text", ["", "yesterday", "2026-11-20", "2026-11-20T10:00:00", "2026-11-20T10:00:00.Z"]
)
def test_rejects_what_is_not_a_time(text: str) -> None:
    with pytest.raises(ValueError):
        TIME.deserialize(text)


@pytest.mark.parametrize(
    "text", ["2026-11-20T13:45:10.5+01:00", "2026-11-20T11:05:42.000000001Z", "1795165200"]
)
def test_a_read_value_writes_back_its_stored_string(text: str) -> None:
    assert TIME.serialize(TIME.deserialize(text)) == text


def test_a_stored_time_keeps_its_string_through_copy_and_pickle() -> None:
    value = parse_time("2026-11-20T13:45:10.5+01:00")
    for clone in (copy.copy(value), copy.deepcopy(value), pickle.loads(pickle.dumps(value))):
        assert isinstance(clone, StoredTime)
        assert clone.wire == "2026-11-20T13:45:10.5+01:00"
        assert clone == value


def test_values_derived_from_a_stored_time_write_canonically() -> None:
    value = parse_time("2026-11-20T13:45:10.5+01:00") + timedelta(seconds=1)
    assert TIME.serialize(value) == "2026-11-20T12:45:11.500000001Z"


def test_duration_is_stored_as_go_nanoseconds() -> None:
    assert DURATION.serialize(timedelta(hours=1)) == "3600000000000"
    assert DURATION.serialize(timedelta(microseconds=1)) == "1000"


def test_duration_reads_go_nanoseconds() -> None:
    assert DURATION.deserialize("1800000000000") == timedelta(minutes=30)


def test_a_read_duration_writes_back_its_exact_nanoseconds() -> None:
    value = DURATION.deserialize("3600000000001")
    assert isinstance(value, StoredDuration)
    assert DURATION.serialize(value) == "3600000000001"
    assert DURATION.serialize(copy.deepcopy(value)) == "3600000000001"


@given(st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=365)))
def test_durations_round_trip(value: timedelta) -> None:
    assert DURATION.deserialize(DURATION.serialize(value)) == value
