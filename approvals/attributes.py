"""Small PynamoDB attribute types for the Go service's wire format.

* :class:`RFC3339TimeAttribute` stores a datetime as a fixed-width, sortable UTC RFC 3339 string
  and reads any RFC 3339 form (or a Unix-seconds string) as a :class:`StoredTime`.
* :class:`GoDurationAttribute` stores a timedelta as Go ``time.Duration`` nanoseconds.

Values read from a table remember their stored representation (:class:`StoredTime`,
:class:`StoredDuration`) and serialize back to exactly it, so a condition such as
``RequestModel.updated_at == request.updated_at`` matches an item the Go service wrote with
nanosecond digits or an offset; freshly made values serialize in the canonical form.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

from pynamodb.attributes import Attribute
from pynamodb.constants import NUMBER, STRING

__all__ = [
    "GoDurationAttribute",
    "RFC3339TimeAttribute",
    "StoredDuration",
    "StoredTime",
    "format_rfc3339",
    "parse_rfc3339",
]

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?"
    r"(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)
_UNIX_SECONDS = re.compile(r"-?\d{1,12}")
_NANOS_PER_MICRO = 1_000
_NANOS_PER_SECOND = 1_000_000_000


class StoredTime(datetime):
    """A UTC datetime read from a table that remembers the exact string it was stored as.

    ``wire`` is that string (``None`` on values derived from it by arithmetic or ``replace``).
    """

    wire: str | None = None

    @classmethod
    def from_wire(cls, wire: str, value: datetime) -> StoredTime:
        """Return ``value`` (UTC) tagged with its stored string ``wire``."""
        stored = cls(
            value.year,
            value.month,
            value.day,
            value.hour,
            value.minute,
            value.second,
            value.microsecond,
            tzinfo=timezone.utc,
        )
        stored.wire = wire
        return stored

    def __reduce_ex__(self, protocol: Any) -> Any:
        # datetime pickles (and copies) without instance attributes; keep the stored string.
        return (_restore_stored_time, (self.wire, self.isoformat()))


def _restore_stored_time(wire: str | None, iso: str) -> datetime:
    value = datetime.fromisoformat(iso)
    return value if wire is None else StoredTime.from_wire(wire, value)


class StoredDuration(timedelta):
    """A timedelta read from a table that remembers its exact Go nanosecond count."""

    nanoseconds: int | None = None

    @classmethod
    def from_nanoseconds(cls, nanoseconds: int) -> StoredDuration:
        """Return the duration of ``nanoseconds`` (floored to microseconds), remembering them."""
        stored = cls(microseconds=nanoseconds // _NANOS_PER_MICRO)
        stored.nanoseconds = nanoseconds
        return stored

    def __reduce_ex__(self, protocol: Any) -> Any:
        if self.nanoseconds is None:
            return (timedelta, (self.days, self.seconds, self.microseconds))
        return (StoredDuration.from_nanoseconds, (self.nanoseconds,))


def format_rfc3339(value: datetime) -> str:
    """Return the canonical stored form of ``value``: UTC, nine fraction digits, ``Z``.

    Raises ValueError for a naive datetime.
    """
    if value.utcoffset() is None:
        raise ValueError("cannot store a naive datetime; give it a timezone")
    utc = value.astimezone(timezone.utc)
    return (
        f"{utc.year:04d}-{utc.month:02d}-{utc.day:02d}T{utc.hour:02d}:{utc.minute:02d}:"
        f"{utc.second:02d}.{utc.microsecond:06d}000Z"
    )


def parse_rfc3339(text: str) -> StoredTime:
    """Return the UTC time of an RFC 3339 string (0..9 fraction digits, any offset) or a
    Unix-seconds string, remembering ``text``. Raises ValueError for anything else.
    """
    if _UNIX_SECONDS.fullmatch(text):
        try:
            seconds = datetime.fromtimestamp(int(text), tz=timezone.utc)
        except (OverflowError, OSError) as exc:
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
        offset = timezone(sign * delta)
    # A leap second (:60) is clamped to :59 rather than refused.
    value = datetime(
        year,
        month,
        day,
        hour,
        minute,
        min(second, 59),
        int(fraction.ljust(6, "0")[:6]) if fraction else 0,
        tzinfo=offset,
    )
    return StoredTime.from_wire(text, value.astimezone(timezone.utc))


class RFC3339TimeAttribute(Attribute[datetime]):
    """A timezone-aware datetime stored as a sortable RFC 3339 UTC string.

    Writes ``2026-11-28T00:25:31.123456000Z`` (nine fraction digits, so string order is time
    order in a GSI); reads any RFC 3339 form or a Unix-seconds string. A value read from the table
    is a :class:`StoredTime` and writes back its stored string unchanged.

    Usage::

        class Event(Model):
            created_at = RFC3339TimeAttribute(range_key=True)
    """

    attr_type = STRING

    def serialize(self, value: datetime) -> str:
        if isinstance(value, StoredTime) and value.wire is not None:
            return value.wire
        return format_rfc3339(value)

    def deserialize(self, value: str) -> datetime:
        return parse_rfc3339(value)


class GoDurationAttribute(Attribute[timedelta]):
    """A timedelta stored as a number of nanoseconds, like Go's ``time.Duration``.

    Usage::

        class Job(Model):
            timeout = GoDurationAttribute()  # timedelta(hours=1) <-> 3600000000000
    """

    attr_type = NUMBER

    def serialize(self, value: timedelta) -> str:
        if isinstance(value, StoredDuration) and value.nanoseconds is not None:
            return str(value.nanoseconds)
        micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
        return str(micros * _NANOS_PER_MICRO)

    def deserialize(self, value: str) -> timedelta:
        return StoredDuration.from_nanoseconds(int(value))
