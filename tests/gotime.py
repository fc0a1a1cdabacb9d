"""Go's ``time.RFC3339Nano`` layout re-implemented for tests: what the Go service prints and parses.

``go_format(go_parse(s)) == s`` is the property the Go service's optimistic lock needs of every
``updated_at`` we store: it re-formats the time it read and compares the strings.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

__all__ = ["go_format", "go_parse"]

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
# time.Parse with "2006-01-02T15:04:05.999999999Z07:00": a fraction of 1..9 digits may follow the
# seconds; the zone is "Z" or ±hh:mm.
_LAYOUT = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})",
    re.ASCII,
)


def go_parse(text: str) -> tuple[int, int]:
    """Return (nanoseconds since the epoch, UTC offset in seconds), as time.Parse reads ``text``.

    Raises ValueError where Go's time.Parse returns an error.
    """
    match = _LAYOUT.fullmatch(text)
    if match is None:
        raise ValueError(f"parsing time {text!r} as RFC3339Nano: cannot parse")
    year, month, day, hour, minute, second = (int(g) for g in match.group(1, 2, 3, 4, 5, 6))
    if not (hour < 24 and minute < 60 and second < 60):
        raise ValueError(f"parsing time {text!r}: out of range")
    nanos = int((match.group(7) or "").ljust(9, "0"))
    zone = match.group(8)
    offset = 0
    if zone != "Z":
        sign = -1 if zone[0] == "-" else 1
        offset = sign * (int(zone[1:3]) * 3600 + int(zone[4:6]) * 60)
    wall = datetime(year, month, day, hour, minute, second, tzinfo=timezone.utc)
    seconds = (wall - _EPOCH) // timedelta(seconds=1) - offset
    return seconds * 1_000_000_000 + nanos, offset


def go_format(nanoseconds: int, offset: int = 0) -> str:
    """Return ``time.Unix(0, nanoseconds).In(zone).Format(time.RFC3339Nano)`` for a fixed zone
    ``offset`` seconds east of UTC (0 is UTC, printed "Z"): trailing fraction zeros trimmed, the dot
    dropped when nothing is left."""
    seconds, fraction = divmod(nanoseconds, 1_000_000_000)
    wall = _EPOCH + timedelta(seconds=seconds + offset)
    text = wall.strftime("%Y-%m-%dT%H:%M:%S")
    digits = f"{fraction:09d}".rstrip("0")
    if digits:
        text += "." + digits
    if offset == 0:
        return text + "Z"
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset) // 60, 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"
