"""DynamoDBStore's connection settings: constructor arguments first, then the environment."""

from __future__ import annotations

import os
import re
from typing import Any

from approvals.errors import ValidationError

__all__ = ["ENVIRONMENT_VARIABLES", "check_table_name", "connection_settings"]

ENVIRONMENT_VARIABLES = {
    "connect_timeout": "APPROVALS_CONNECT_TIMEOUT",
    "read_timeout": "APPROVALS_READ_TIMEOUT",
    "max_retries": "APPROVALS_MAX_RETRIES",
    "max_pool_connections": "APPROVALS_MAX_POOL_CONNECTIONS",
}
"""The variable each setting falls back to when not passed."""

_TABLE_NAME = re.compile(r"[A-Za-z0-9_.-]{3,255}")
# Each setting: its type, and the PynamoDB Meta option it becomes.
_SETTINGS: dict[str, tuple[type, str]] = {
    "connect_timeout": (float, "connect_timeout_seconds"),
    "read_timeout": (float, "read_timeout_seconds"),
    "max_retries": (int, "max_retry_attempts"),
    "max_pool_connections": (int, "max_pool_connections"),
}


def check_table_name(table_name: object) -> str:
    """Return ``table_name`` if DynamoDB accepts it; ValidationError (field ``table_name``)."""
    if not isinstance(table_name, str) or not _TABLE_NAME.fullmatch(table_name):
        raise ValidationError(
            "table_name must be 3 to 255 characters of letters, digits, '_', '-' or '.'",
            field="table_name",
        )
    return table_name


def connection_settings(**given: float | None) -> dict[str, Any]:
    """Return the PynamoDB ``Meta`` options for the given settings (``connect_timeout``,
    ``read_timeout``, ``max_retries``, ``max_pool_connections``), each unset one taken from its
    environment variable, or left to PynamoDB's default when that is unset too.

    Raises ValidationError naming the variable when it does not hold a number.
    """
    options: dict[str, Any] = {}
    for name, (kind, option) in _SETTINGS.items():
        value = given.get(name)
        variable = ENVIRONMENT_VARIABLES[name]
        raw = os.environ.get(variable)
        if value is None and raw:
            try:
                value = kind(raw)
            except ValueError:
                raise ValidationError(
                    f"{variable} must be a number, got {raw!r}", field=name
                ) from None
        if value is not None:
            options[option] = value
    return options
