"""``manage.py approvals_sweep_expired``: pending requests past expires_at become expired."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from approvals.migrate import MigrationReport, sweep_expired
from approvals.store import Store

from ..bulk import BulkCommand, parse_time


class Command(BulkCommand):
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
        super().add_arguments(parser)

    def run(self, store: Store, options: dict[str, Any], **kwargs: Any) -> MigrationReport:
        return sweep_expired(store, now=options["now"], **kwargs)
