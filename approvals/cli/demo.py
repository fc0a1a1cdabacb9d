"""``approvals demo``: the whole lifecycle, narrated, on a throwaway local store."""

from __future__ import annotations

import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

import click

from approvals.cli.app import cli
from approvals.cli.output import Output
from approvals.duration_text import format_duration
from approvals.errors import ConcurrentModification
from approvals.migrate import export_jsonl, sweep_expired
from approvals.request import Request, RequestStatus
from approvals.store.base import Store
from approvals.store.paths import DEFAULT_FILE_NAME
from approvals.store.sqlite import SQLiteStore

__all__ = ["demo"]

# Who asks, for what, how long, why, and how long ago.
_ASKS = (
    ("alice", "production", timedelta(hours=1), "Deploy the hotfix for INC-4821", None),
    ("carol", "staging", timedelta(hours=2), "Rotate the staging database credentials", None),
    ("dave", "billing", timedelta(minutes=30), "Export invoices for the quarterly audit", None),
    # Asked 25 hours ago with the default 24-hour TTL: past expires_at, but still pending.
    (
        "erin",
        "sandbox",
        timedelta(minutes=15),
        "Reproduce the customer bug in sandbox",
        timedelta(hours=25),
    ),
)


@cli.command()
def demo() -> None:
    """Show the lifecycle: submit, list pending, approve, a concurrent approval refused, sweep
    an expired request, export.

    Runs on a throwaway SQLite store in a temporary directory, deleted at the end: your own
    store (local or DynamoDB) is never touched.
    """
    with tempfile.TemporaryDirectory(prefix="approvals-demo-") as directory:
        path = Path(directory) / DEFAULT_FILE_NAME
        click.echo(f"approvals: using a throwaway local store {path}", err=True)
        with SQLiteStore(path) as store:
            _narrate(store, Path(directory))


def _narrate(store: Store, directory: Path) -> None:
    out = Output()
    now = datetime.now(timezone.utc)

    out.say("1. Four people ask for access (approvals submit)", style="bold")
    alice, carol, dave, erin = (
        store.create(
            Request.new(
                requester=requester,
                profile=profile,
                justification=justification,
                duration=duration,
                now=now - (ago or timedelta(0)),
            )
        )
        for requester, profile, duration, justification, ago in _ASKS
    )
    for request in (alice, carol, dave, erin):
        out.say(
            f"   {request.requester} asks for {request.profile} for "
            f"{format_duration(request.duration)}: {request.id}"
        )

    out.say("")
    out.say("2. The pending requests (approvals list --status pending)", style="bold")
    out.requests(store.iter_by_status(RequestStatus.PENDING))

    out.say("")
    out.say(
        f"3. bob approves alice's request (approvals approve {alice.id} --as bob)", style="bold"
    )
    approved = store.update(alice.approve("bob", "go ahead"))
    out.say(
        f"   {approved.id}: {approved.status.value} by {approved.approver}; "
        f"access granted now: {approved.is_access_granted()}"
    )

    _race(out, store, carol)
    _sweep_and_export(out, store, directory, erin, alice)


def _race(out: Output, store: Store, carol: Request) -> None:
    out.say("")
    out.say("4. bob and frank both act on carol's request at the same moment", style="bold")
    seen_by_bob = store.get(carol.id)
    seen_by_frank = store.get(carol.id)
    store.update(seen_by_bob.approve("bob"))
    out.say(f"   bob approves {carol.id}: accepted")
    try:
        store.update(seen_by_frank.deny("frank", "not during the freeze"))
        out.say("   frank's denial was accepted: this should not happen", style="bold red")
    except ConcurrentModification as refused:
        out.say(f"   frank denies it from his stale read: refused ({refused})", style="red")
    out.say(f"   carol's request stays {store.get(carol.id).status.value} (no lost update)")


def _sweep_and_export(
    out: Output, store: Store, directory: Path, erin: Request, alice: Request
) -> None:
    out.say("")
    out.say(
        "5. erin's request expired an hour ago but still reads pending: approvals sweep-expired",
        style="bold",
    )
    report = sweep_expired(store)
    out.say(f"   {report.summary()}")
    out.say(f"   {erin.id} is now {store.get(erin.id).status.value}")

    out.say("")
    path = directory / "demo-export.jsonl"
    out.say(f"6. Export the table as JSON Lines (approvals export {path})", style="bold")
    with path.open("w", encoding="utf-8", newline="\n") as export_file:
        exported = export_jsonl(store, export_file)
    out.say(f"   {exported.written} requests written; alice's line:")
    for line in path.read_text(encoding="utf-8").splitlines():
        if f'"id":"{alice.id}"' in line:
            out.say(f"   {line}")

    out.say("")
    out.say(
        "Done. The demo's store is deleted now; yours is untouched. Next: "
        "approvals submit --profile staging --justification 'Try approvals for real'"
    )
