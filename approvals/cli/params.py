"""Option callbacks that parse durations (``1h30m``) and times (RFC 3339)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import click

from approvals.times import parse_time

__all__ = ["duration_option_value", "parse_duration", "time_option_value"]

_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?")


def parse_duration(text: str) -> timedelta:
    """Return the duration of Go-style text such as ``1h``, ``30m``, ``1h30m``, ``90s``.

    Raises ValueError for anything else (a bare number has no unit and is refused).
    """
    match = _DURATION.fullmatch(text.strip())
    if match is None or not any(match.groups()):
        raise ValueError(f"{text!r} is not a duration like 1h, 30m, 1h30m or 90s")
    hours, minutes, seconds = match.groups()
    return timedelta(hours=int(hours or 0), minutes=int(minutes or 0), seconds=float(seconds or 0))


def duration_option_value(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> timedelta | None:
    """Click callback: the option's text as a timedelta (BadParameter when malformed)."""
    if value is None:
        return None
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc), ctx=ctx, param=param) from None


def time_option_value(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> datetime | None:
    """Click callback: an RFC 3339 time with an offset (BadParameter when malformed)."""
    if value is None:
        return None
    try:
        return parse_time(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an RFC 3339 time such as 2026-11-28T12:00:00Z", ctx=ctx, param=param
        ) from None
