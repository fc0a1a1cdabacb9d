"""Stores: the :class:`Store` protocol, :class:`DynamoDBStore` and :class:`MemoryStore`.

Loaded on first use, so MemoryStore needs no botocore or PynamoDB.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_EXPORTS = {
    "Store": "approvals.store.base",
    "MemoryStore": "approvals.store.memory",
    "DynamoDBStore": "approvals.store.dynamodb",
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
