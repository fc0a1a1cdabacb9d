"""approvals: time-boxed access requests in DynamoDB, wire-compatible with the Go service.

The public API; see README.md for a tour. Names are loaded on first use, so ``import approvals``
and the pure domain (``approvals.request``) load no botocore or PynamoDB.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from approvals._lazy import lazy_exports

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
    "identity_key": "approvals.identity",
    "is_valid_request_id": "approvals.request",
    "new_request_id": "approvals.request",
    "same_identity": "approvals.identity",
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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from approvals.errors import (
        AccessDenied as AccessDenied,
        ApprovalsError as ApprovalsError,
        ConcurrentModification as ConcurrentModification,
        InvalidStateTransition as InvalidStateTransition,
        RequestExists as RequestExists,
        RequestNotFound as RequestNotFound,
        StoreError as StoreError,
        StoreUnavailable as StoreUnavailable,
        TableNotFound as TableNotFound,
        Throttled as Throttled,
        ValidationError as ValidationError,
    )
    from approvals.events import (
        Event as Event,
        EventKind as EventKind,
        NotificationError as NotificationError,
        Notifier as Notifier,
        NotifyingStore as NotifyingStore,
    )
    from approvals.identity import (
        identity_key as identity_key,
        same_identity as same_identity,
    )
    from approvals.model import (
        RequestModel as RequestModel,
        bind_model as bind_model,
    )
    from approvals.policy import (
        ApprovalPolicy as ApprovalPolicy,
        ApprovalRule as ApprovalRule,
    )
    from approvals.request import (
        AUTO_APPROVED_COMMENT as AUTO_APPROVED_COMMENT,
        DEFAULT_QUERY_LIMIT as DEFAULT_QUERY_LIMIT,
        DEFAULT_REQUEST_TTL as DEFAULT_REQUEST_TTL,
        IMMUTABLE_FIELDS as IMMUTABLE_FIELDS,
        MAX_APPROVER_COMMENT_LENGTH as MAX_APPROVER_COMMENT_LENGTH,
        MAX_DURATION as MAX_DURATION,
        MAX_JUSTIFICATION_LENGTH as MAX_JUSTIFICATION_LENGTH,
        MAX_QUERY_LIMIT as MAX_QUERY_LIMIT,
        MIN_JUSTIFICATION_LENGTH as MIN_JUSTIFICATION_LENGTH,
        REQUEST_ID_LENGTH as REQUEST_ID_LENGTH,
        Request as Request,
        RequestStatus as RequestStatus,
        find_approved_request as find_approved_request,
        is_valid_request_id as is_valid_request_id,
        new_request_id as new_request_id,
    )
    from approvals.store.base import (
        Store as Store,
    )
    from approvals.store.dynamodb import (
        DynamoDBStore as DynamoDBStore,
    )
    from approvals.store.memory import (
        MemoryStore as MemoryStore,
    )
    from approvals.store.sqlite import (
        SQLiteStore as SQLiteStore,
    )
    from approvals.store.table import (
        DynamoDBTable as DynamoDBTable,
    )
