"""Stores: the :class:`Store` protocol, :class:`DynamoDBStore`, :class:`MemoryStore` and
:class:`SQLiteStore`.

Loaded on first use, so MemoryStore and SQLiteStore need no botocore or PynamoDB.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Store": "approvals.store.base",
    "MemoryStore": "approvals.store.memory",
    "DynamoDBStore": "approvals.store.dynamodb",
    "DynamoDBTable": "approvals.store.table",
    "SQLiteStore": "approvals.store.sqlite",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'approvals.store' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


if TYPE_CHECKING:
    from approvals.store.base import Store as Store
    from approvals.store.dynamodb import DynamoDBStore as DynamoDBStore
    from approvals.store.memory import MemoryStore as MemoryStore
    from approvals.store.sqlite import SQLiteStore as SQLiteStore
    from approvals.store.table import DynamoDBTable as DynamoDBTable
