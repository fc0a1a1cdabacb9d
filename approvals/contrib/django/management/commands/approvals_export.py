"""``manage.py approvals_export [FILE]``: every request as JSON Lines (approvals.migrate)."""

from __future__ import annotations

import sys
from typing import IO, Any, cast

from django.core.management.base import CommandError, CommandParser

from approvals.migrate import MigrationReport, export_jsonl
from approvals.request import RequestStatus
from approvals.store import Store

from ..bulk import BulkCommand


class Command(BulkCommand):
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
        super().add_arguments(parser)

    def report_on_stderr(self, options: dict[str, Any]) -> bool:
        return bool(options["file"] == "-")

    def run(self, store: Store, options: dict[str, Any], **kwargs: Any) -> MigrationReport:
        checkpoint = kwargs["checkpoint"]
        if options["file"] == "-":
            if checkpoint is not None:
                raise CommandError("--checkpoint needs an output FILE (stdout cannot be resumed)")
            # The stream under Django's OutputWrapper: lines are written exactly as encoded.
            out = cast(IO[str], getattr(self.stdout, "_out", sys.stdout))
            return export_jsonl(store, out, status=options["status"], **kwargs)
        mode = "a" if checkpoint is not None and checkpoint.exists() else "w"
        with open(options["file"], mode, encoding="utf-8", newline="\n") as out:
            return export_jsonl(store, out, status=options["status"], **kwargs)
