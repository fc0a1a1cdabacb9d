"""The base of the bulk management commands, which mirror ``approvals export|import|sweep-expired``
and call :mod:`approvals.migrate`: the CLI's options, the report, failures as CommandError."""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals import times
from approvals.errors import ApprovalsError
from approvals.migrate import DEFAULT_SEGMENTS, MigrationReport, ProgressCallback
from approvals.migrate.options import MAX_SEGMENTS
from approvals.store import Store

from .. import get_store

__all__ = ["BulkCommand", "parse_time"]


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("must be above 0")
    return value


def _segments(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
    if not 1 <= value <= MAX_SEGMENTS:
        raise argparse.ArgumentTypeError(f"must be 1 to {MAX_SEGMENTS}")
    return value


def parse_time(text: str) -> datetime:
    """argparse type: an RFC 3339 time such as 2026-11-28T12:00:00Z."""
    try:
        return times.parse_time(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an RFC 3339 time such as 2026-11-28T12:00:00Z"
        ) from None


class BulkCommand(BaseCommand):
    """A command running one approvals.migrate operation on the project's store.

    Subclasses implement :meth:`run` and add their own arguments in ``add_arguments`` before
    calling ``super().add_arguments(parser)`` for the shared ones; ``scans`` says whether the
    operation takes ``--segments``.
    """

    scans = True

    def add_arguments(self, parser: CommandParser) -> None:
        if self.scans:
            parser.add_argument(
                "--segments",
                type=_segments,
                default=DEFAULT_SEGMENTS,
                help=f"parallel scan segments (threads), default {DEFAULT_SEGMENTS}",
            )
        parser.add_argument(
            "--checkpoint",
            type=Path,
            help="progress file: rerun with the same one to resume after a crash or a kill "
            "(a finished one makes the rerun do nothing; delete it to start over)",
        )
        parser.add_argument(
            "--rate-limit",
            type=_positive_float,
            metavar="UNITS",
            help="most DynamoDB capacity units per second to consume",
        )
        parser.add_argument("--dry-run", action="store_true", help="read and count, write nothing")
        parser.add_argument(
            "--progress",
            action="store_true",
            help="print a progress line on stderr after each page",
        )
        parser.add_argument("--json", action="store_true", help="print the report as JSON")

    def run(self, store: Store, options: dict[str, Any], **kwargs: Any) -> MigrationReport:
        """Run the operation with ``kwargs`` (checkpoint, rate_limit, dry_run, progress and
        segments when it scans); ``options`` are all the parsed options."""
        raise NotImplementedError

    def report_on_stderr(self, options: dict[str, Any]) -> bool:
        """True when stdout carries the data (an export to stdout), so the report goes to
        stderr."""
        return False

    def handle(self, *args: Any, **options: Any) -> None:
        kwargs = {name: options[name] for name in ("checkpoint", "rate_limit", "dry_run")}
        if self.scans:
            kwargs["segments"] = options["segments"]
        try:
            report = self.run(get_store(), options, progress=self._progress(options), **kwargs)
        except ApprovalsError as exc:
            raise CommandError(str(exc)) from exc
        stream = self.stderr if self.report_on_stderr(options) else self.stdout
        stream.write(json.dumps(report.to_dict()) if options["json"] else report.summary())
        self.check_report(report)

    def check_report(self, report: MigrationReport) -> None:
        """Raise CommandError when the reported operation failed (after the report is shown)."""
        if not report.complete and not report.dry_run:
            raise CommandError(
                f"{report.operation} did not complete; rerun with the same checkpoint"
            )

    def _progress(self, options: dict[str, Any]) -> ProgressCallback | None:
        if not options["progress"]:
            return None

        def show(report: MigrationReport) -> None:
            self.stderr.write(report.summary())

        return show
