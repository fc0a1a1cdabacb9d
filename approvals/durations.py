"""The one place that knows how a duration is stored: Go ``time.Duration`` nanoseconds.

A :class:`StoredDuration` is a timedelta read from a table that remembers the exact nanosecond
count, which a timedelta (microseconds) cannot hold, and writes back exactly it. Pure Python: no
AWS import.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

__all__ = ["StoredDuration", "duration_ns"]

_NANOS_PER_MICRO = 1_000


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


def duration_ns(value: timedelta) -> int:
    """Return the nanoseconds ``value`` is stored as: its own when read from a table."""
    if isinstance(value, StoredDuration) and value.nanoseconds is not None:
        return value.nanoseconds
    micros = (value.days * 86_400 + value.seconds) * 1_000_000 + value.microseconds
    return micros * _NANOS_PER_MICRO
