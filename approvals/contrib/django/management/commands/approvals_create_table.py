"""``manage.py approvals_create_table``: create the table of ``settings.APPROVALS`` if missing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from approvals.errors import ApprovalsError

from ... import get_store


class Command(BaseCommand):
    help = (
        "Create the DynamoDB table of settings.APPROVALS in the Go service's schema "
        "(three GSIs, TTL on ttl); does nothing if it exists."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="return without waiting for the table to become ACTIVE",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        store = get_store()
        if not hasattr(store, "create_table"):
            raise CommandError(f"the configured store is a {type(store).__name__}, not DynamoDB")
        try:
            store.create_table(wait=not options["no_wait"])
        except ApprovalsError as exc:
            raise CommandError(str(exc)) from exc
        table_name = getattr(store, "table_name", "")
        self.stdout.write(self.style.SUCCESS(f"table {table_name} is ready"))
