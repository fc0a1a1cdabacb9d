"""System checks: ``manage.py check`` validates ``settings.APPROVALS`` and the approval policy;
with ``--database`` (the checks tagged ``database``) it also verifies the table and its indexes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.apps import AppConfig
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import ImproperlyConfigured
from pynamodb.exceptions import PynamoDBException, TableDoesNotExist

from approvals.errors import ApprovalsError
from approvals.model import INDEX_KEYS
from approvals.store import DynamoDBTable
from approvals.store.translate import translate

from . import get_enforcement, get_store
from .conf import configuration_messages

__all__ = ["check_policy", "check_settings", "check_table"]


@register("approvals")
def check_settings(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Report missing or invalid ``settings.APPROVALS`` (approvals.E001-E004, W001)."""
    return configuration_messages()


@register("approvals")
def check_policy(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Report an approval policy (``APPROVALS["POLICY"]``) that cannot be loaded (E005)."""
    if any(m.is_serious() for m in configuration_messages()):
        return []
    try:
        get_enforcement()
    except ImproperlyConfigured as exc:
        return [Error(f"approvals: {exc}", id="approvals.E005")]
    return []


@register(Tags.database)
def check_table(
    app_configs: Sequence[AppConfig] | None = None,
    databases: Sequence[str] | None = None,
    **kwargs: Any,
) -> list[CheckMessage]:
    """Report a missing table (E101), a missing or wrong index (E102) or an unreachable store
    (E103). Runs only when asked for database checks, as it calls DynamoDB."""
    if databases is None or any(m.is_serious() for m in configuration_messages()):
        return []
    try:
        store = get_store()
    except ApprovalsError as exc:
        return [Error(f"approvals: cannot build the store: {exc}", id="approvals.E103")]
    if not hasattr(store, "dynamodb_table"):
        return []  # a MemoryStore or a custom store has no table to check
    table: DynamoDBTable = store.dynamodb_table()
    try:
        description = table.model.describe_table()
    except TableDoesNotExist:
        return [
            Error(
                f"approvals: table {table.table_name!r} does not exist "
                f"(region {table.region or 'default'}, endpoint {table.host or 'AWS'}).",
                hint="Create it with `manage.py approvals_create_table`.",
                id="approvals.E101",
            )
        ]
    except (ClientError, BotoCoreError, PynamoDBException) as exc:
        error = translate(
            exc, operation="describe_table", table=table.table_name, region=table.region
        )
        return [Error(f"approvals: {error}", id="approvals.E103")]
    return _index_problems(table.table_name, description)


def _index_problems(table: str, description: dict[str, Any]) -> list[CheckMessage]:
    found = {
        index.get("IndexName"): index for index in description.get("GlobalSecondaryIndexes") or []
    }
    problems: list[CheckMessage] = []
    for name, (hash_key, range_key) in INDEX_KEYS.items():
        index = found.get(name)
        if index is None:
            problems.append(
                Error(
                    f"approvals: table {table!r} has no index {name!r}.",
                    hint="The table must have the Go service's schema; see the README.",
                    id="approvals.E102",
                )
            )
            continue
        keys = {key.get("KeyType"): key.get("AttributeName") for key in index.get("KeySchema", [])}
        projection = index.get("Projection", {}).get("ProjectionType")
        if keys != {"HASH": hash_key, "RANGE": range_key} or projection != "ALL":
            problems.append(
                Error(
                    f"approvals: index {name!r} of table {table!r} must have hash key "
                    f"{hash_key!r}, range key {range_key!r} and projection ALL.",
                    id="approvals.E102",
                )
            )
    return problems
