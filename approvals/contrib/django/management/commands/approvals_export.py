"""``manage.py approvals_export [FILE]``: every request as JSON Lines (approvals.migrate)."""

from __future__ import annotations

import sys
from typing import IO, Any, cast

from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals.errors import ApprovalsError
from approvals.migrate import export_jsonl
from approvals.request import RequestStatus

from ... import get_store
from ..bulk import add_bulk_arguments, bulk_options, progress_printer, write_report


class Command(BaseCommand):
    help = (
        "Export every request of settings.APPROVALS's table as JSON Lines to FILE (default: "
        "stdout), every stored string kept exactly; mirrors `approvals export`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-", metavar="FILE")
        parser.add_argument(
            "--status",
            choices=[s.value for s in RequestStatus],
            help="only requests in this status",
        )
        add_bulk_arguments(parser, segments=True)

    def handle(self, *args: Any, **options: Any) -> None:
        to_stdout = options["file"] == "-"
        if to_stdout and options["checkpoint"] is not None:
            raise CommandError("--checkpoint needs an output FILE (stdout cannot be resumed)")
        kwargs = bulk_options(options, segments=True)
        kwargs["status"] = options["status"]
        progress = progress_printer(self, options["progress"])
        try:
            if to_stdout:
                # The stream under Django's OutputWrapper: lines are written exactly as encoded.
                out = cast(IO[str], getattr(self.stdout, "_out", sys.stdout))
                report = export_jsonl(get_store(), out, progress=progress, **kwargs)
            else:
                checkpoint = options["checkpoint"]
                mode = "a" if checkpoint is not None and checkpoint.exists() else "w"
                with open(options["file"], mode, encoding="utf-8", newline="\n") as out:
                    report = export_jsonl(get_store(), out, progress=progress, **kwargs)
        except ApprovalsError as exc:
            raise CommandError(str(exc)) from exc
        write_report(self, report, as_json=options["json"], err=to_stdout)
