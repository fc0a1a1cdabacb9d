"""approvals: time-boxed access requests in DynamoDB, wire-compatible with the Go service.

The public API; see README.md for a tour. Names are loaded on first use, so ``import approvals``
and the pure domain (``approvals.request``) load no botocore or PynamoDB.
"""

from __future__ import annotations

import importlib
import logging
from typing import TYPE_CHECKING, Any

# A library logs; the application decides where records go (no "No handlers" fallback output).
logging.getLogger("approvals").addHandler(logging.NullHandler())

# Every public name and the module that defines it.
_EXPORTS = {
    "AUTO_APPROVED_COMMENT": "approvals.request",
    "DEFAULT_QUERY_LIMIT": "approvals.request",
    "DEFAULT_REQUEST_TTL": "approvals.request",
    "IMMUTABLE_FIELDS": "approvals.request",
    "MAX_APPROVER_COMMENT_LENGTH": "approvals.request",
    "MAX_DURATION": "approvals.request",
    "MAX_JUSTIFICATION_LENGTH": "approvals.request",
    "MAX_QUERY_LIMIT": "approvals.request",
    "MIN_JUSTIFICATION_LENGTH": "approvals.request",
    "REQUEST_ID_LENGTH": "approvals.request",
    "Request": "approvals.request",
    "RequestStatus": "approvals.request",
    "find_approved_request": "approvals.request",
    "identity_key": "approvals.request",
    "is_valid_request_id": "approvals.request",
    "new_request_id": "approvals.request",
    "same_identity": "approvals.request",
    "AccessDenied": "approvals.errors",
    "ApprovalsError": "approvals.errors",
    "ConcurrentModification": "approvals.errors",
    "InvalidStateTransition": "approvals.errors",
    "RequestExists": "approvals.errors",
    "RequestNotFound": "approvals.errors",
    "StoreError": "approvals.errors",
    "StoreUnavailable": "approvals.errors",
    "TableNotFound": "approvals.errors",
    "Throttled": "approvals.errors",
    "ValidationError": "approvals.errors",
    "Event": "approvals.events",
    "EventKind": "approvals.events",
    "NotificationError": "approvals.events",
    "Notifier": "approvals.events",
    "NotifyingStore": "approvals.events",
    "RequestModel": "approvals.model",
    "bind_model": "approvals.model",
    "Store": "approvals.store.base",
    "MemoryStore": "approvals.store.memory",
    "DynamoDBStore": "approvals.store.dynamodb",
    "DynamoDBTable": "approvals.store.table",
    "ApprovalPolicy": "approvals.policy",
    "ApprovalRule": "approvals.policy",
    "SQLiteStore": "approvals.store.sqlite",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'approvals' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


if TYPE_CHECKING:
    from approvals.errors import (
        AccessDenied as AccessDenied,
    )
    from approvals.errors import (
        ApprovalsError as ApprovalsError,
    )
    from approvals.errors import (
        ConcurrentModification as ConcurrentModification,
    )
    from approvals.errors import (
        InvalidStateTransition as InvalidStateTransition,
    )
    from approvals.errors import (
        RequestExists as RequestExists,
    )
    from approvals.errors import (
        RequestNotFound as RequestNotFound,
    )
    from approvals.errors import (
        StoreError as StoreError,
    )
    from approvals.errors import (
        StoreUnavailable as StoreUnavailable,
    )
    from approvals.errors import (
        TableNotFound as TableNotFound,
    )
    from approvals.errors import (
        Throttled as Throttled,
    )
    from approvals.errors import (
        ValidationError as ValidationError,
    )
    from approvals.events import (
        Event as Event,
    )
    from approvals.events import (
        EventKind as EventKind,
    )
    from approvals.events import (
        NotificationError as NotificationError,
    )
    from approvals.events import (
        Notifier as Notifier,
    )
    from approvals.events import (
        NotifyingStore as NotifyingStore,
    )
    from approvals.model import RequestModel as RequestModel
    from approvals.model import bind_model as bind_model
    from approvals.policy import ApprovalPolicy as ApprovalPolicy
    from approvals.policy import ApprovalRule as ApprovalRule
    from approvals.request import (
        AUTO_APPROVED_COMMENT as AUTO_APPROVED_COMMENT,
    )
    from approvals.request import (
        DEFAULT_QUERY_LIMIT as DEFAULT_QUERY_LIMIT,
    )
    from approvals.request import (
        DEFAULT_REQUEST_TTL as DEFAULT_REQUEST_TTL,
    )
    from approvals.request import (
        IMMUTABLE_FIELDS as IMMUTABLE_FIELDS,
    )
    from approvals.request import (
        MAX_APPROVER_COMMENT_LENGTH as MAX_APPROVER_COMMENT_LENGTH,
    )
    from approvals.request import (
        MAX_DURATION as MAX_DURATION,
    )
    from approvals.request import (
        MAX_JUSTIFICATION_LENGTH as MAX_JUSTIFICATION_LENGTH,
    )
    from approvals.request import (
        MAX_QUERY_LIMIT as MAX_QUERY_LIMIT,
    )
    from approvals.request import (
        MIN_JUSTIFICATION_LENGTH as MIN_JUSTIFICATION_LENGTH,
    )
    from approvals.request import (
        REQUEST_ID_LENGTH as REQUEST_ID_LENGTH,
    )
    from approvals.request import (
        Request as Request,
    )
    from approvals.request import (
        RequestStatus as RequestStatus,
    )
    from approvals.request import (
        find_approved_request as find_approved_request,
    )
    from approvals.request import (
        identity_key as identity_key,
    )
    from approvals.request import (
        is_valid_request_id as is_valid_request_id,
    )
    from approvals.request import (
        new_request_id as new_request_id,
    )
    from approvals.request import (
        same_identity as same_identity,
    )
    from approvals.store.base import Store as Store
    from approvals.store.dynamodb import DynamoDBStore as DynamoDBStore
    from approvals.store.memory import MemoryStore as MemoryStore
    from approvals.store.sqlite import SQLiteStore as SQLiteStore
    from approvals.store.table import DynamoDBTable as DynamoDBTable
