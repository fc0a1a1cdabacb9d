"""Option callbacks that parse durations (``1h30m``), times (RFC 3339) and request ids."""

from __future__ import annotations

from datetime import datetime, timedelta

import click

from approvals.duration_text import parse_duration
from approvals.request import REQUEST_ID_LENGTH, is_valid_request_id
from approvals.times import parse_time

__all__ = ["duration_option_value", "request_id_argument", "time_option_value"]


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


def duration_option_value(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> timedelta | None:
    """Click callback: the option's Go duration as a timedelta (BadParameter when malformed)."""
    if value is None:
        return None
    try:
        return parse_duration(value.strip())
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
