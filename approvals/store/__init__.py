"""Stores: the :class:`Store` protocol, :class:`DynamoDBStore`, :class:`MemoryStore` and
:class:`SQLiteStore`.

Loaded on first use, so MemoryStore and SQLiteStore need no botocore or PynamoDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from approvals._lazy import lazy_exports

_EXPORTS = {
    "Store": "approvals.store.base",
    "MemoryStore": "approvals.store.memory",
    "DynamoDBStore": "approvals.store.dynamodb",
    "DynamoDBTable": "approvals.store.table",
    "SQLiteStore": "approvals.store.sqlite",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from approvals.store.base import Store as Store
    from approvals.store.dynamodb import DynamoDBStore as DynamoDBStore
    from approvals.store.memory import MemoryStore as MemoryStore
    from approvals.store.sqlite import SQLiteStore as SQLiteStore
    from approvals.store.table import DynamoDBTable as DynamoDBTable
