"""What the bulk management commands share: the CLI's options, the report, the store.

The commands mirror ``approvals export|import|sweep-expired`` and call
:mod:`approvals.migrate`; nothing here re-implements them.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals import times
from approvals.migrate import DEFAULT_SEGMENTS, MigrationReport, ProgressCallback

__all__ = ["add_bulk_arguments", "bulk_options", "parse_time", "progress_printer", "write_report"]


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
    if not 1 <= value <= 1000:
        raise argparse.ArgumentTypeError("must be 1 to 1000")
    return value


def parse_time(text: str) -> datetime:
    """argparse type: an RFC 3339 time such as 2026-11-28T12:00:00Z."""
    try:
        return times.parse_time(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an RFC 3339 time such as 2026-11-28T12:00:00Z"
        ) from None


def add_bulk_arguments(parser: CommandParser, *, segments: bool) -> None:
    """Add the options every bulk command shares (``--segments`` for those that scan)."""
    if segments:
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
        "--progress", action="store_true", help="print a progress line on stderr after each page"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")


def bulk_options(options: Mapping[str, Any], *, segments: bool) -> dict[str, Any]:
    """Return the keyword arguments of the approvals.migrate function from parsed options."""
    chosen = {
        "checkpoint": options["checkpoint"],
        "rate_limit": options["rate_limit"],
        "dry_run": options["dry_run"],
    }
    if segments:
        chosen["segments"] = options["segments"]
    return chosen


def progress_printer(command: BaseCommand, enabled: bool) -> ProgressCallback | None:
    """A progress callback writing each report snapshot's summary on the command's stderr."""
    if not enabled:
        return None

    def show(report: MigrationReport) -> None:
        command.stderr.write(report.summary())

    return show


def write_report(
    command: BaseCommand, report: MigrationReport, *, as_json: bool, err: bool = False
) -> None:
    """Print the final report (on stderr when stdout carries data, as for an export)."""
    stream = command.stderr if err else command.stdout
    stream.write(json.dumps(report.to_dict()) if as_json else report.summary())
    if not report.complete and not report.dry_run:
        raise CommandError(f"{report.operation} did not complete; rerun with the same checkpoint")
