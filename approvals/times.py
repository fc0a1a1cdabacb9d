"""The one place that knows how times are written to and read from the table.

Writes are UTC with exactly nine fraction digits, the last never 0, and ``Z``
(``2026-11-28T00:25:31.123456001Z``): fixed width makes string order time order in the GSIs, and
no trailing zero makes the string exactly what Go's ``time.Format(time.RFC3339Nano)`` prints, which
the Go service's optimistic lock compares against. Reads accept any RFC 3339 form or Unix seconds
and remember the stored string (:class:`StoredTime`). Pure Python: no AWS import.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = [
    "StoredTime",
    "format_instant",
    "format_time",
    "instant_ns",
    "is_canonical",
    "next_token",
    "parse_time",
    "stored",
    "stored_form",
]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MICROSECOND = timedelta(microseconds=1)
_NANOS_PER_SECOND = 1_000_000_000
_CANONICAL_LENGTH = len("2026-11-28T00:25:31.123456001Z")
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_UNIX_SECONDS = re.compile(r"-?\d{1,12}")


class StoredTime(datetime):
    """A UTC datetime read from (or written to) a table that remembers its exact stored string.

    ``wire`` is that string; it may hold nanoseconds, which a datetime cannot. Arithmetic and
    ``replace`` return plain datetimes.
    """

    wire: str | None = None

    @classmethod
    def from_wire(cls, wire: str, value: datetime) -> StoredTime:
        """Return ``value`` (converted to UTC) tagged with its stored string ``wire``."""
        utc = value.astimezone(timezone.utc) if value.tzinfo is not timezone.utc else value
        stored_time = cls(
            utc.year,
            utc.month,
            utc.day,
            utc.hour,
            utc.minute,
            utc.second,
            utc.microsecond,
            tzinfo=timezone.utc,
        )
        stored_time.wire = wire
        return stored_time

    def __reduce_ex__(self, protocol: Any) -> Any:
        # datetime pickles (and copies) without instance attributes; keep the stored string.
        return (_restore, (self.wire, self.isoformat()))


def _restore(wire: str | None, iso: str) -> datetime:
    value = datetime.fromisoformat(iso)
    return value if wire is None else StoredTime.from_wire(wire, value)


def format_time(value: datetime) -> str:
    """Return the form a time is written in: UTC, nine fraction digits, the last never 0, ``Z``.

    A datetime holds microseconds, so its last three digits are always ``001``::

        format_time(datetime(2026, 11, 28, 0, 25, 31, 123456, tzinfo=timezone.utc))
        # '2026-11-28T00:25:31.123456001Z'

    Raises ValueError for a naive datetime.
    """
    if value.utcoffset() is None:
        raise ValueError("cannot store a naive datetime; give it a timezone")
    utc = value.astimezone(timezone.utc) if value.tzinfo is not timezone.utc else value
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond:06d}001Z"
    )


def format_instant(nanoseconds: int) -> str:
    """Return the written form of an instant given as nanoseconds since the Unix epoch.

    A final fraction digit 0 is written as 1 (a shift of at most 1 ns), as :func:`format_time`.
    """
    seconds, fraction = divmod(nanoseconds, _NANOS_PER_SECOND)
    if fraction % 10 == 0:
        fraction += 1
    utc = _EPOCH + timedelta(seconds=seconds)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{fraction:09d}Z"
    )


def is_canonical(text: str) -> bool:
    """True when ``text`` is already in the written form (what :func:`format_instant` returns)."""
    return (
        len(text) == _CANONICAL_LENGTH
        and text[29] == "Z"
        and text[28] != "0"
        and _fast_parse(text) is not None
    )


def parse_time(text: str) -> StoredTime:
    """Return the UTC time of a stored string, floored to microseconds, remembering ``text``.

    Accepts RFC 3339 with 0..9 fraction digits and any offset, and Unix seconds. Raises
    ValueError for anything else.
    """
    value = _fast_parse(text) if len(text) == _CANONICAL_LENGTH else None
    if value is not None:
        return value
    if _UNIX_SECONDS.fullmatch(text):
        try:
            seconds = datetime.fromtimestamp(int(text), tz=timezone.utc)
        except (OverflowError, OSError, ValueError) as exc:
            raise ValueError(f"Unix time out of range: {text!r}") from exc
        return StoredTime.from_wire(text, seconds)
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise ValueError(f"not an RFC 3339 time: {text[:64]!r}")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    fraction = match.group(7) or ""
    offset = timezone.utc
    if match.group(9):
        sign = -1 if match.group(9) == "-" else 1
        delta = timedelta(hours=int(match.group(10)), minutes=int(match.group(11)))
        if delta >= timedelta(hours=24):
            raise ValueError(f"UTC offset out of range: {text[:64]!r}")
        offset = timezone(sign * delta)
    # A leap second (:60) is clamped to :59 rather than refused.
    parsed = datetime(
        year,
        month,
        day,
        hour,
        minute,
        min(second, 59),
        int(fraction.ljust(6, "0")[:6]) if fraction else 0,
        tzinfo=offset,
    )
    return StoredTime.from_wire(text, parsed)


def _fast_parse(text: str) -> StoredTime | None:
    # The written form has a fixed layout: check its separators and digits, and let the C parser
    # read the rest (its six fraction digits; the last three are the stored nanoseconds).
    if not (
        text[29] == "Z"
        and text[19] == "."
        and text[4] == "-"
        and text[7] == "-"
        and text[10] == "T"
        and text[13] == ":"
        and text[16] == ":"
        and text.isascii()
        and text[20:29].isdigit()
    ):
        return None
    try:
        value = StoredTime.fromisoformat(text[:26] + "+00:00")
    except ValueError:
        return None
    value.wire = text
    return value


def stored_form(value: datetime) -> str:
    """Return the string ``value`` is stored as: its own when read from a table, else written."""
    wire = getattr(value, "wire", None)
    return wire if wire is not None else format_time(value)


def stored(value: datetime) -> StoredTime:
    """Return ``value`` as a store returns it: a StoredTime tagged with its stored string."""
    if isinstance(value, StoredTime) and value.wire is not None:
        return value
    return StoredTime.from_wire(format_time(value), value)


def instant_ns(value: datetime) -> int:
    """Return the exact instant of ``value`` in nanoseconds since the epoch.

    A time read from a table counts the nanosecond digits of its stored string, which the
    datetime itself floors away.
    """
    micros = (value - _EPOCH) // _MICROSECOND
    wire = getattr(value, "wire", None)
    nanos = 0
    if wire:
        dot = wire.find(".")
        if dot != -1:
            end = dot + 1
            while end < len(wire) and wire[end].isdigit():
                end += 1
            nanos = int(wire[dot + 7 : end].ljust(3, "0")) if end > dot + 7 else 0
    return micros * 1000 + nanos


def next_token(previous: datetime, now: datetime | None = None) -> StoredTime:
    """Return the ``updated_at`` an update writes: ``now``, but strictly after ``previous``.

    Strictly later to the nanosecond, also when ``previous`` was stored with nanosecond digits.
    """
    moment = now if now is not None else datetime.now(timezone.utc)
    if previous.utcoffset() is None:
        previous = previous.replace(tzinfo=timezone.utc)
    nanoseconds = max(instant_ns(moment.astimezone(timezone.utc)), instant_ns(previous) + 1)
    wire = format_instant(nanoseconds)
    return StoredTime.from_wire(wire, _EPOCH + timedelta(microseconds=nanoseconds // 1000))
