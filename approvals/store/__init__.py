"""Stores: the :class:`Store` protocol, :class:`DynamoDBStore` and :class:`MemoryStore`."""

from approvals.store.base import Store
from approvals.store.dynamodb import DynamoDBStore
from approvals.store.memory import MemoryStore

__all__ = ["DynamoDBStore", "MemoryStore", "Store"]
