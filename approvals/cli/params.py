"""Option callbacks that parse durations (``1h30m``), times (RFC 3339) and request ids."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

import click

from approvals.duration_text import parse_duration
from approvals.request import REQUEST_ID_LENGTH, is_valid_request_id
from approvals.times import parse_time

__all__ = ["duration_option_value", "request_id_argument", "time_option_value"]

T = TypeVar("T")


def _request_id_value(ctx: click.Context, param: click.Parameter, value: str) -> str:
    if not is_valid_request_id(value):
        raise click.BadParameter(
            f"{value!r} is not a request id ({REQUEST_ID_LENGTH} lowercase hex characters)",
            ctx=ctx,
            param=param,
        )
    return value


request_id_argument = click.argument("request_id", metavar="ID", callback=_request_id_value)
"""The ``ID`` argument of the commands on one request (usage error when malformed)."""


def _parsed(
    ctx: click.Context,
    param: click.Parameter,
    value: str | None,
    parse: Callable[[str], T],
    refusal: str | None = None,
) -> T | None:
    """``parse(value)``, None for None; BadParameter (``refusal`` or the parser's message)."""
    if value is None:
        return None
    try:
        return parse(value)
    except ValueError as exc:
        raise click.BadParameter(refusal or str(exc), ctx=ctx, param=param) from None


def duration_option_value(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> timedelta | None:
    """Click callback: the option's Go duration as a timedelta (BadParameter when malformed)."""
    return _parsed(ctx, param, value, lambda text: parse_duration(text.strip()))


def time_option_value(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> datetime | None:
    """Click callback: an RFC 3339 time with an offset (BadParameter when malformed)."""
    refusal = f"{value!r} is not an RFC 3339 time such as 2026-11-28T12:00:00Z"
    return _parsed(ctx, param, value, parse_time, refusal)
