"""backend_for: the :class:`~approvals.migrate.protocol.Backend` that drives a store."""

from __future__ import annotations

from approvals.migrate.dynamo import DynamoBackend
from approvals.migrate.generic import StoreBackend
from approvals.migrate.protocol import Backend
from approvals.store import Store

__all__ = ["backend_for"]


def backend_for(store: Store) -> Backend:
    """Return the backend driving ``store``: its DynamoDB table when the store offers one
    (``dynamodb_table()``, forwarded by wrappers), else its public methods."""
    table_access = getattr(store, "dynamodb_table", None)
    if callable(table_access):
        return DynamoBackend(store, table_access())
    return StoreBackend(store)
