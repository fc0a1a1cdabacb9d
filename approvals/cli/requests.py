"""Everyday commands: submit, get, list, approve, deny, cancel."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import click

from approvals.cli.app import Session, cli, json_option, pass_session, user_default
from approvals.cli.output import Output
from approvals.cli.params import duration_option_value
from approvals.request import (
    DEFAULT_QUERY_LIMIT,
    DEFAULT_REQUEST_TTL,
    MAX_QUERY_LIMIT,
    Request,
    RequestStatus,
)

__all__ = ["approve", "cancel", "deny", "get", "list_requests", "submit"]

_STATUSES = click.Choice([status.value for status in RequestStatus])


def _identity(value: str | None, option: str) -> str:
    identity = value or user_default()
    if not identity:
        raise click.UsageError(f"{option} is required ($USER is not set)")
    return identity


@cli.command()
@click.option(
    "--requester",
    help="Who asks for access (default: $USER).",
)
@click.option("--profile", required=True, help="The AWS profile access is requested for.")
@click.option(
    "--justification",
    required=True,
    help="Why access is needed (10 to 500 characters).",
)
@click.option(
    "--duration",
    callback=duration_option_value,
    default="1h",
    show_default=True,
    help="How long access lasts once approved (at most 8h).",
)
@click.option(
    "--ttl",
    callback=duration_option_value,
    default=f"{int(DEFAULT_REQUEST_TTL.total_seconds() // 3600)}h",
    show_default=True,
    help="How long the request stays open before it expires.",
)
@json_option
@pass_session
def submit(
    session: Session,
    requester: str | None,
    profile: str,
    justification: str,
    duration: timedelta,
    ttl: timedelta,
    as_json: bool,
) -> None:
    """Submit a new pending request and print it."""
    request = Request.new(
        requester=_identity(requester, "--requester"),
        profile=profile,
        justification=justification,
        duration=duration,
        ttl=ttl,
    )
    stored = session.store().create(request)
    Output(as_json=as_json).request(stored, title="submitted")


@cli.command()
@click.argument("request_id", metavar="ID")
@json_option
@pass_session
def get(session: Session, request_id: str, as_json: bool) -> None:
    """Show one request."""
    Output(as_json=as_json).request(session.store().get(request_id))


@cli.command(name="list")
@click.option("--status", type=_STATUSES, help="Only requests in this status.")
@click.option("--requester", help="Only requests of this requester.")
@click.option("--profile", help="Only requests for this profile.")
@click.option(
    "--limit",
    type=click.IntRange(1, MAX_QUERY_LIMIT),
    default=DEFAULT_QUERY_LIMIT,
    show_default=True,
    help="Most requests to show.",
)
@json_option
@pass_session
def list_requests(
    session: Session,
    status: str | None,
    requester: str | None,
    profile: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """List requests, newest first.

    With no filter it lists the pending requests. Filters combine: the first of --requester,
    --profile, --status given selects the index that is read, the others filter its results.
    """
    store = session.store()
    wanted = RequestStatus(status) if status else None
    found: Iterator[Request]
    if requester:
        found = store.iter_by_requester(requester)
    elif profile:
        found = store.iter_by_profile(profile)
    else:
        wanted = wanted or RequestStatus.PENDING
        found = store.iter_by_status(wanted)
    matching = (
        r
        for r in found
        if (wanted is None or r.status is wanted)
        and (profile is None or r.profile == profile)
        and (requester is None or r.requester == requester)
    )
    Output(as_json=as_json).requests(itertools.islice(matching, limit))


def _decide(
    session: Session, request_id: str, approver: str | None, comment: str, approve: bool
) -> Request:
    store = session.store()
    request = store.get(request_id)
    identity = _identity(approver, "--as")
    decided = request.approve(identity, comment) if approve else request.deny(identity, comment)
    return store.update(decided)


_AS_HELP = (
    "Who decides: the acting identity recorded as approver (default: $USER). It must differ "
    "from the requester."
)


@cli.command()
@click.argument("request_id", metavar="ID")
@click.option("--as", "approver", metavar="NAME", help=_AS_HELP)
@click.option("--comment", default="", help="A note for the requester.")
@json_option
@pass_session
def approve(
    session: Session, request_id: str, approver: str | None, comment: str, as_json: bool
) -> None:
    """Approve a pending request.

    Refused (exit 1) when it is not pending any more, has expired, or changed since it was read
    (someone else decided first).
    """
    Output(as_json=as_json).request(_decide(session, request_id, approver, comment, True))


@cli.command()
@click.argument("request_id", metavar="ID")
@click.option("--as", "approver", metavar="NAME", help=_AS_HELP)
@click.option("--comment", default="", help="Why it is denied.")
@json_option
@pass_session
def deny(
    session: Session, request_id: str, approver: str | None, comment: str, as_json: bool
) -> None:
    """Deny a pending request (refused like approve)."""
    Output(as_json=as_json).request(_decide(session, request_id, approver, comment, False))


@cli.command()
@click.argument("request_id", metavar="ID")
@json_option
@pass_session
def cancel(session: Session, request_id: str, as_json: bool) -> None:
    """Cancel a pending request."""
    store = session.store()
    Output(as_json=as_json).request(store.update(store.get(request_id).cancel()))
