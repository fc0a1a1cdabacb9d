"""Rendering for the command line: rich on a terminal, plain text when piped (stable for scripts:
``field: value`` lines for a request, tab-separated columns with a header for a list), JSON with
``--json`` (see :func:`request_json`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any

import click
from rich import box
from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from approvals.duration_text import format_duration
from approvals.migrate import MigrationReport
from approvals.request import Request, RequestStatus
from approvals.times import format_time

__all__ = ["LIST_COLUMNS", "Output", "request_json"]

LIST_COLUMNS = (
    "id",
    "status",
    "requester",
    "profile",
    "duration",
    "created_at",
    "expires_at",
    "approver",
    "justification",
)
"""The columns of ``approvals list`` in plain (piped) output, in order."""

_STATUS_STYLE = {
    RequestStatus.PENDING: "yellow",
    RequestStatus.APPROVED: "green",
    RequestStatus.DENIED: "red",
    RequestStatus.EXPIRED: "dim",
    RequestStatus.CANCELLED: "dim",
}


def _short_time(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%m-%d %H:%M")


def request_json(request: Request, *, now: datetime | None = None) -> dict[str, Any]:
    """Return the JSON object ``--json`` prints for a request.

    Times are canonical RFC 3339 UTC strings; ``duration_seconds`` is a whole number of seconds
    (as in the web API); ``access_granted`` is :meth:`Request.is_access_granted` at ``now``.
    """
    return {
        "id": request.id,
        "requester": request.requester,
        "profile": request.profile,
        "justification": request.justification,
        "duration_seconds": request.duration // timedelta(seconds=1),
        "status": request.status.value,
        "created_at": format_time(request.created_at),
        "updated_at": format_time(request.updated_at),
        "expires_at": format_time(request.expires_at),
        "approver": request.approver,
        "approver_comment": request.approver_comment,
        "access_granted": request.is_access_granted(now),
    }


def _plain_fields(request: Request) -> list[tuple[str, str]]:
    return [
        ("id", request.id),
        ("status", request.status.value),
        ("requester", request.requester),
        ("profile", request.profile),
        ("duration", format_duration(request.duration)),
        ("justification", request.justification),
        ("created_at", format_time(request.created_at)),
        ("updated_at", format_time(request.updated_at)),
        ("expires_at", format_time(request.expires_at)),
        ("approver", request.approver),
        ("approver_comment", request.approver_comment),
    ]


def _isatty(stream: Any) -> bool:
    """True when ``stream`` is an interactive terminal (rich output, progress bars)."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def _one_line(text: str) -> str:
    # Tabs and newlines would break the columns of plain output.
    return " ".join(text.split())


class Output:
    """Where a command's results go: stdout (results) and stderr (notes, progress)."""

    def __init__(self, *, as_json: bool = False) -> None:
        self.as_json = as_json
        self.rich = not as_json and _isatty(sys.stdout)

    def _console(self) -> Console:
        return Console(file=sys.stdout, highlight=False)

    def json(self, value: Any) -> None:
        """Print ``value`` as JSON on stdout."""
        click.echo(json.dumps(value, ensure_ascii=False, indent=2))

    def say(self, text: str, style: str | None = None) -> None:
        """Print a line of narrative on stdout (skipped in JSON mode)."""
        if self.as_json:
            return
        if self.rich:
            self._console().print(text, style=style, markup=False)
        else:
            click.echo(text)

    def request(self, request: Request, *, title: str | None = None) -> None:
        """Show one request."""
        if self.as_json:
            self.json(request_json(request))
            return
        if not self.rich:
            for name, value in _plain_fields(request):
                click.echo(f"{name}: {_one_line(value)}")
            return
        table = Table(show_header=False, title=title, box=None, pad_edge=False)
        table.add_column(style="bold")
        table.add_column()
        for name, value in _plain_fields(request):
            style = _STATUS_STYLE[request.status] if name == "status" else None
            table.add_row(name, value, style=style)
        self._console().print(table)

    def requests(self, requests: Iterable[Request], *, title: str | None = None) -> int:
        """Show a list of requests; return how many there were."""
        if self.as_json:
            found = [request_json(r) for r in requests]
            self.json(found)
            return len(found)
        if not self.rich:
            count = 0
            click.echo("\t".join(LIST_COLUMNS))
            for request in requests:
                row = dict(_plain_fields(request))
                click.echo("\t".join(_one_line(row[column]) for column in LIST_COLUMNS))
                count += 1
            return count
        table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
        table.add_column("id", no_wrap=True, min_width=16)
        table.add_column("status", no_wrap=True, min_width=9)
        table.add_column("requester", overflow="ellipsis", no_wrap=True, max_width=14)
        table.add_column("profile", overflow="ellipsis", no_wrap=True, max_width=14)
        table.add_column("for", no_wrap=True, min_width=3)
        table.add_column("expires", no_wrap=True, min_width=11)
        table.add_column("approver", overflow="ellipsis", no_wrap=True, max_width=12)
        table.add_column("justification", overflow="ellipsis", no_wrap=True, max_width=32)
        count = 0
        for request in requests:
            count += 1
            table.add_row(
                request.id,
                f"[{_STATUS_STYLE[request.status]}]{request.status.value}[/]",
                request.requester,
                request.profile,
                format_duration(request.duration),
                _short_time(request.expires_at),
                request.approver,
                request.justification,
            )
        self._console().print(table)
        if not count:
            self._console().print("no requests", style="dim")
        return count

    def report(
        self, report: MigrationReport, *, err: bool = False, already_complete: bool = False
    ) -> None:
        """Show a bulk operation's report (on stderr when stdout carries data).

        ``already_complete``: the checkpoint recorded the operation as finished, so this run did
        nothing; that is what is said, not the recorded counts.
        """
        if self.as_json:
            data = {**report.to_dict(), "already_complete": already_complete}
            click.echo(json.dumps(data, indent=2), err=err)
            return
        if already_complete:
            click.echo(
                f"{report.operation}: already complete (its checkpoint records it finished; "
                "delete the checkpoint to run it again)",
                err=err,
            )
            return
        click.echo(report.summary(), err=err)
        if report.conflict_ids:
            more = report.conflicts - len(report.conflict_ids)
            suffix = f" (and {more} more)" if more else ""
            click.echo(f"  conflicts: {' '.join(report.conflict_ids)}{suffix}", err=err)
        if report.invalid_ids:
            click.echo(f"  invalid items: {' '.join(report.invalid_ids)}", err=err)

    @contextmanager
    def progress(
        self, label: str, *, plain: bool
    ) -> Iterator[Callable[[MigrationReport], None] | None]:
        """Yield a progress callback: a rich progress line when stderr is a terminal, plain
        lines on stderr when ``plain`` is asked for, else None."""
        if _isatty(sys.stderr) and not self.as_json:
            console = Console(file=sys.stderr)
            columns = (
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
            )
            with Progress(*columns, console=console, transient=True) as bar:
                task = bar.add_task(label, total=None)

                def update(report: MigrationReport) -> None:
                    bar.update(task, description=report.summary())

                yield update
            return
        if plain:

            def echo(report: MigrationReport) -> None:
                click.echo(f"progress: {report.summary()}", err=True)

            yield echo
            return
        yield None
