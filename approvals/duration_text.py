"""Go duration strings such as ``90m``, ``1h30m`` or ``1.5h`` (stored: :mod:`approvals.durations`).

:func:`parse_duration` reads exactly what Go's time.ParseDuration reads: units ``ns``, ``us``
(or ``µs``, ``μs``), ``ms``, ``s``, ``m``, ``h``, a bare ``0``, Go's signed 64-bit nanosecond
range, fractions rounded as Go rounds them. :func:`format_duration` writes one unit where it can
(``8h``, ``90m``). Pure Python.

Usage::

    parse_duration("1h30m")    # timedelta(seconds=5400)
    parse_duration_ns("1.5us")  # 1500
    format_duration(timedelta(minutes=90))  # "90m"
"""

from __future__ import annotations

from datetime import timedelta

__all__ = ["MAX_NANOSECONDS", "format_duration", "parse_duration", "parse_duration_ns"]

MAX_NANOSECONDS = (1 << 63) - 1
"""The longest duration Go can hold (about 292 years)."""

_UNITS = {
    "ns": 1,
    "us": 1_000,
    "\u00b5s": 1_000,  # MICRO SIGN
    "\u03bcs": 1_000,  # GREEK SMALL LETTER MU
    "ms": 1_000_000,
    "s": 1_000_000_000,
    "m": 60_000_000_000,
    "h": 3_600_000_000_000,
}
_DIGITS = frozenset("0123456789")
_LIMIT = 1 << 63  # Go accumulates in a uint64 and refuses anything above 2**63


def _invalid(text: str, reason: str) -> ValueError:
    return ValueError(f"{text!r} is not a duration ({reason}); write e.g. 1h, 90m, 1h30m or 45s")


def _leading_int(text: str, s: str) -> tuple[int, str]:
    i = 0
    value = 0
    while i < len(s) and s[i] in _DIGITS:
        value = value * 10 + int(s[i])
        if value > _LIMIT:
            raise _invalid(text, "out of range")
        i += 1
    return value, s[i:]


def _leading_fraction(s: str) -> tuple[int, float, str]:
    # Like Go: digits past what a uint64 can hold are consumed but add no precision.
    i = 0
    value = 0
    scale = 1.0
    overflow = False
    while i < len(s) and s[i] in _DIGITS:
        if not overflow:
            candidate = value * 10 + int(s[i])
            if value > MAX_NANOSECONDS // 10 or candidate > _LIMIT:
                overflow = True
            else:
                value = candidate
                scale *= 10
        i += 1
    return value, scale, s[i:]


def _component(text: str, s: str) -> tuple[int, str]:
    """Parse one ``number unit`` pair at the start of ``s``; return its nanoseconds and the rest."""
    if s[0] != "." and s[0] not in _DIGITS:
        raise _invalid(text, f"unexpected {s[0]!r}")
    before = len(s)
    whole, s = _leading_int(text, s)
    has_whole = len(s) != before
    fraction, scale, has_fraction = 0, 1.0, False
    if s.startswith("."):
        s = s[1:]
        before = len(s)
        fraction, scale, s = _leading_fraction(s)
        has_fraction = len(s) != before
    if not has_whole and not has_fraction:
        raise _invalid(text, "a number needs digits")
    end = 0
    while end < len(s) and s[end] != "." and s[end] not in _DIGITS:
        end += 1
    if end == 0:
        raise _invalid(text, "missing unit")
    unit_name, s = s[:end], s[end:]
    unit = _UNITS.get(unit_name)
    if unit is None:
        raise _invalid(text, f"unknown unit {unit_name!r}; use ns, us, ms, s, m or h")
    if whole > _LIMIT // unit:
        raise _invalid(text, "out of range")
    value = whole * unit
    if fraction > 0:
        value += int(float(fraction) * (float(unit) / scale))
        if value > _LIMIT:
            raise _invalid(text, "out of range")
    return value, s


def parse_duration_ns(text: str) -> int:
    """Return the nanoseconds of the Go duration string ``text`` (negative when signed ``-``).

    Raises ValueError, naming the text and the reason, for anything Go's time.ParseDuration
    refuses: no unit, an unknown unit, spaces, an empty string, or a value beyond Go's range.
    """
    if not isinstance(text, str):
        raise ValueError(f"a duration must be a string such as 1h30m, got {type(text).__name__}")
    s = text
    negative = False
    if s[:1] in ("-", "+"):
        negative = s[0] == "-"
        s = s[1:]
    if s == "0":
        return 0
    if not s:
        raise _invalid(text, "empty")
    total = 0
    while s:
        value, s = _component(text, s)
        total += value
        if total > _LIMIT:
            raise _invalid(text, "out of range")
    if negative:
        return -total
    if total > MAX_NANOSECONDS:
        raise _invalid(text, "out of range")
    return total


def parse_duration(text: str) -> timedelta:
    """Return the Go duration string ``text`` as a timedelta.

    Nanoseconds below a microsecond are dropped (truncated toward zero), as timedelta cannot
    hold them. Raises ValueError as :func:`parse_duration_ns` does.
    """
    nanoseconds = parse_duration_ns(text)
    micro = abs(nanoseconds) // 1000
    return timedelta(microseconds=-micro if nanoseconds < 0 else micro)


def format_duration(value: timedelta) -> str:
    """Return ``value`` in Go's duration syntax, in one unit when it is a whole number of hours
    or minutes (``1h``, ``90m``), else as Go's ``Duration.String`` writes it (``45s``,
    ``1m30s``, ``1h0m5s``). Raises nothing."""
    total = value.total_seconds()
    if total > 0 and total.is_integer():
        whole = int(total)
        if whole % 3600 == 0:
            return f"{whole // 3600}h"
        if whole % 60 == 0:
            return f"{whole // 60}m"
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{int(hours)}h" if hours else ""
    text += f"{int(minutes)}m" if hours or minutes else ""
    return text + f"{seconds:g}s"
