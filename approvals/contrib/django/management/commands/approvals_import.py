"""``manage.py approvals_import FILE``: JSON Lines requests into the table (approvals.migrate)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser

from approvals.migrate import IMPORT_MODES, MigrationReport, import_jsonl
from approvals.store import Store

from ..bulk import BulkCommand


class Command(BulkCommand):
    help = (
        "Import requests from a JSON Lines FILE ('-' for stdin) into settings.APPROVALS's table, "
        "each item exactly as written; mirrors `approvals import`. Fails when lines conflict "
        "with stored items (nothing is overwritten in create-only mode)."
    )
    scans = False

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--mode",
            choices=IMPORT_MODES,
            default="create-only",
            help="create-only (default) never replaces a stored item; overwrite replaces it",
        )
        super().add_arguments(parser)

    def run(self, store: Store, options: dict[str, Any], **kwargs: Any) -> MigrationReport:
        try:
            if options["file"] == "-":
                return import_jsonl(store, sys.stdin, mode=options["mode"], **kwargs)
            with open(options["file"], encoding="utf-8") as source:
                return import_jsonl(store, source, mode=options["mode"], **kwargs)
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc

    def check_report(self, report: MigrationReport) -> None:
        super().check_report(report)
        if report.conflicts:
            raise CommandError(
                f"{report.conflicts} line(s) differ from the stored item with the same id; "
                "nothing was overwritten (use --mode overwrite to replace them)"
            )
