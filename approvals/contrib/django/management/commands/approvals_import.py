"""``manage.py approvals_import FILE``: JSON Lines requests into the table (approvals.migrate)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals.errors import ApprovalsError
from approvals.migrate import IMPORT_MODES, import_jsonl

from ... import get_store
from ..bulk import add_bulk_arguments, bulk_options, progress_printer, write_report


class Command(BaseCommand):
    help = (
        "Import requests from a JSON Lines FILE ('-' for stdin) into settings.APPROVALS's table, "
        "each item exactly as written; mirrors `approvals import`. Fails when lines conflict "
        "with stored items (nothing is overwritten in create-only mode)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", metavar="FILE")
        parser.add_argument(
            "--mode",
            choices=IMPORT_MODES,
            default="create-only",
            help="create-only (default) never replaces a stored item; overwrite replaces it",
        )
        add_bulk_arguments(parser, segments=False)

    def handle(self, *args: Any, **options: Any) -> None:
        kwargs = bulk_options(options, segments=False)
        kwargs["mode"] = options["mode"]
        progress = progress_printer(self, options["progress"])
        try:
            if options["file"] == "-":
                report = import_jsonl(get_store(), sys.stdin, progress=progress, **kwargs)
            else:
                with open(options["file"], encoding="utf-8") as source:
                    report = import_jsonl(get_store(), source, progress=progress, **kwargs)
        except ApprovalsError as exc:
            raise CommandError(str(exc)) from exc
        except OSError as exc:
            raise CommandError(f"cannot read {options['file']}: {exc}") from exc
        write_report(self, report, as_json=options["json"])
        if report.conflicts:
            raise CommandError(
                f"{report.conflicts} line(s) differ from the stored item with the same id; "
                "nothing was overwritten (use --mode overwrite to replace them)"
            )
