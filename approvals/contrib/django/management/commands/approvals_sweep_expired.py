"""``manage.py approvals_sweep_expired``: pending requests past expires_at become expired."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals.errors import ApprovalsError
from approvals.migrate import sweep_expired

from ... import get_store
from ..bulk import add_bulk_arguments, bulk_options, parse_time, progress_printer, write_report


class Command(BaseCommand):
    help = (
        "Mark pending requests past their expires_at as expired (DynamoDB's TTL deletes them up "
        "to days late); a request decided meanwhile is left alone and counted as a conflict. "
        "Mirrors `approvals sweep-expired`."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--now",
            type=parse_time,
            metavar="TIME",
            help="expire what is past this RFC 3339 time instead of the current time",
        )
        add_bulk_arguments(parser, segments=True)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            report = sweep_expired(
                get_store(),
                now=options["now"],
                progress=progress_printer(self, options["progress"]),
                **bulk_options(options, segments=True),
            )
        except ApprovalsError as exc:
            raise CommandError(str(exc)) from exc
        write_report(self, report, as_json=options["json"])
