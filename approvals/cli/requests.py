"""Everyday commands: submit, get, list, approve, deny, cancel."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import click

from approvals.cli.app import CommandError, Session, cli, json_option, pass_session
from approvals.cli.output import Output
from approvals.cli.params import duration_option_value, request_id_argument
from approvals.errors import ValidationError
from approvals.identity import same_identity
from approvals.request import (
    DEFAULT_QUERY_LIMIT,
    DEFAULT_REQUEST_TTL,
    MAX_QUERY_LIMIT,
    Request,
    RequestStatus,
)

__all__ = ["approve", "cancel", "deny", "get", "list_requests", "submit"]

_STATUSES = click.Choice([status.value for status in RequestStatus])
# The option that sets each field of a new request, to name it when the value is refused.
_SUBMIT_OPTIONS = {
    "requester": "--as",
    "profile": "--profile",
    "justification": "--justification",
    "duration": "--duration",
    "ttl": "--ttl",
}
_AS_HELP = (
    "Who acts, on the local store only (default: $USER). On DynamoDB you act as your AWS "
    "identity (STS GetCallerIdentity) and --as is refused."
)


def as_option(function: click.decorators.FC) -> click.decorators.FC:
    """``--as NAME``: the acting identity on the local store."""
    return click.option("--as", "acting", metavar="NAME", help=_AS_HELP)(function)


@cli.command()
@click.option("--profile", required=True, help="The AWS profile access is requested for.")
@click.option(
    "--justification",
    required=True,
    help="Why access is needed (10 to 500 bytes).",
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
@as_option
@json_option
@pass_session
def submit(
    session: Session,
    profile: str,
    justification: str,
    duration: timedelta,
    ttl: timedelta,
    acting: str | None,
    as_json: bool,
) -> None:
    """Submit a new request (pending, or approved when the policy auto-approves it)."""
    store = session.store()
    requester = session.identity(acting)
    try:
        request = Request.new(
            requester=requester,
            profile=profile,
            justification=justification,
            duration=duration,
            ttl=ttl,
        )
    except ValidationError as exc:
        option = _SUBMIT_OPTIONS.get(exc.field or "")
        # The message of a request that was never stored must not cite its id.
        message = str(exc).removeprefix(f"request {exc.request_id}: ")
        raise click.BadParameter(message, param_hint=f"'{option}'" if option else None) from None
    policy = session.policy()
    if policy is not None:
        request = policy.auto_approve(request)
    stored = store.create(request)
    Output(as_json=as_json).request(stored, title="submitted")


@cli.command()
@request_id_argument
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
    # Read everything first: an error must not follow a half-printed list.
    Output(as_json=as_json).requests(list(itertools.islice(matching, limit)))


def _decide(
    session: Session, request_id: str, acting: str | None, comment: str, approve: bool
) -> Request:
    store = session.store()
    approver = session.identity(acting)
    request = store.get(request_id)
    try:
        decided = request.approve(approver, comment) if approve else request.deny(approver, comment)
    except ValidationError as exc:
        if exc.field != "approver_comment":
            raise
        raise click.BadParameter(str(exc), param_hint="'--comment'") from None
    policy = session.policy()
    if policy is not None and not policy.may_approve(request, approver):
        rule = policy.rule_for(request.profile)
        verb = "approve" if approve else "deny"
        raise CommandError(
            f"request {request.id}: {approver} may not {verb} requests for {request.profile}: "
            f"policy rule {rule.name if rule is not None else '(none)'!r} names who may"
        )
    return store.update(decided)


def _decision_command(name: str, approve: bool, comment_help: str, doc: str) -> click.Command:
    @cli.command(name=name, help=doc)
    @request_id_argument
    @as_option
    @click.option("--comment", default="", help=comment_help)
    @json_option
    @pass_session
    def decide(
        session: Session, request_id: str, acting: str | None, comment: str, as_json: bool
    ) -> None:
        Output(as_json=as_json).request(_decide(session, request_id, acting, comment, approve))

    return decide


approve = _decision_command(
    "approve",
    True,
    "A note for the requester.",
    """Approve a pending request.

    Refused (exit 1) when you are its requester, the policy does not name you for its profile,
    or it is not pending any more, has expired, or changed since it was read (someone else
    decided first).
    """,
)
deny = _decision_command(
    "deny", False, "Why it is denied.", "Deny a pending request (refused like approve)."
)


@cli.command()
@request_id_argument
@as_option
@json_option
@pass_session
def cancel(session: Session, request_id: str, acting: str | None, as_json: bool) -> None:
    """Cancel your own pending request (only its requester may)."""
    store = session.store()
    requester = session.identity(acting)
    request = store.get(request_id)
    if not same_identity(request.requester, requester):
        raise CommandError(
            f"request {request.id}: only its requester {request.requester} may cancel it, "
            f"not {requester}"
        )
    Output(as_json=as_json).request(store.update(request.cancel()))
