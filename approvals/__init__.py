"""approvals: time-boxed access requests in DynamoDB, wire-compatible with the Go service.

The public API; see README.md for a tour.
"""

from approvals.errors import (
    AccessDenied,
    ApprovalsError,
    ConcurrentModification,
    InvalidStateTransition,
    RequestExists,
    RequestNotFound,
    StoreError,
    StoreUnavailable,
    TableNotFound,
    Throttled,
    ValidationError,
)
from approvals.events import Event, EventKind, NotificationError, Notifier, NotifyingStore
from approvals.model import RequestModel, bind_model
from approvals.request import (
    DEFAULT_QUERY_LIMIT,
    DEFAULT_REQUEST_TTL,
    MAX_APPROVER_COMMENT_LENGTH,
    MAX_DURATION,
    MAX_JUSTIFICATION_LENGTH,
    MAX_QUERY_LIMIT,
    MIN_JUSTIFICATION_LENGTH,
    REQUEST_ID_LENGTH,
    Request,
    RequestStatus,
    find_approved_request,
    is_valid_request_id,
    new_request_id,
)
from approvals.store import DynamoDBStore, MemoryStore, Store

__all__ = [
    "DEFAULT_QUERY_LIMIT",
    "DEFAULT_REQUEST_TTL",
    "MAX_APPROVER_COMMENT_LENGTH",
    "MAX_DURATION",
    "MAX_JUSTIFICATION_LENGTH",
    "MAX_QUERY_LIMIT",
    "MIN_JUSTIFICATION_LENGTH",
    "REQUEST_ID_LENGTH",
    "AccessDenied",
    "ApprovalsError",
    "ConcurrentModification",
    "DynamoDBStore",
    "Event",
    "EventKind",
    "InvalidStateTransition",
    "MemoryStore",
    "NotificationError",
    "Notifier",
    "NotifyingStore",
    "Request",
    "RequestExists",
    "RequestModel",
    "RequestNotFound",
    "RequestStatus",
    "Store",
    "StoreError",
    "StoreUnavailable",
    "TableNotFound",
    "Throttled",
    "ValidationError",
    "bind_model",
    "find_approved_request",
    "is_valid_request_id",
    "new_request_id",
]
