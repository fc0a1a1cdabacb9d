"""PynamoDB attribute types for the Go service's wire format: RFC 3339 times and Go durations.

Values read from a table remember their stored form and serialize back to exactly it, so a
condition such as ``RequestModel.updated_at == request.updated_at`` matches what Go stored.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from pynamodb.attributes import Attribute
from pynamodb.constants import NUMBER, STRING

from approvals.durations import StoredDuration, duration_ns
from approvals.times import StoredTime, parse_time, stored_form

__all__ = [
    "GoDurationAttribute",
    "RFC3339TimeAttribute",
    "StoredDuration",
    "StoredTime",
]


class RFC3339TimeAttribute(Attribute[datetime]):
    """A timezone-aware datetime stored as a sortable RFC 3339 UTC string.

    Writes ``2026-11-28T00:25:31.123456001Z`` (:func:`approvals.times.format_time`: sortable and
    exactly what Go's RFC3339Nano prints); reads any RFC 3339 form or a Unix-seconds string. A
    value read from the table is a :class:`~approvals.times.StoredTime` and writes back its stored
    string unchanged.

    Usage::

        class Event(Model):
            created_at = RFC3339TimeAttribute(range_key=True)
    """

    attr_type = STRING

    def serialize(self, value: datetime) -> str:
        return stored_form(value)

    def deserialize(self, value: str) -> datetime:
        return parse_time(value)


class GoDurationAttribute(Attribute[timedelta]):
    """A timedelta stored as a number of nanoseconds, like Go's ``time.Duration``.

    Usage::

        class Job(Model):
            timeout = GoDurationAttribute()  # timedelta(hours=1) <-> 3600000000000
    """

    attr_type = NUMBER

    def serialize(self, value: timedelta) -> str:
        return str(duration_ns(value))

    def deserialize(self, value: str) -> timedelta:
        return StoredDuration.from_nanoseconds(int(value))
