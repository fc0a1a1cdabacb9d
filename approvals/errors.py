"""The errors `approvals` raises on purpose.

Every error derives from :class:`ApprovalsError`. Errors about one request carry its id as
``.request_id`` and name it in their message. Backend failures are :class:`StoreError` (or one of
its subclasses) with the original exception chained as ``__cause__``: no botocore or PynamoDB
exception ever reaches a caller.

Usage::

    try:
        store.update(request.approve("bob"))
    except ConcurrentModification:
        ...  # someone else acted first: re-read and decide again
"""

from __future__ import annotations

__all__ = [
    "AccessDenied",
    "ApprovalsError",
    "ConcurrentModification",
    "InvalidStateTransition",
    "RequestExists",
    "RequestNotFound",
    "StoreError",
    "StoreUnavailable",
    "TableNotFound",
    "Throttled",
    "ValidationError",
]


def _with_request_id(message: str, request_id: str | None) -> str:
    if request_id is None or request_id in message:
        return message
    return f"request {request_id}: {message}"


class ApprovalsError(Exception):
    """Base of everything the library raises on purpose.

    ``request_id`` is the id of the request the error concerns, or ``None``.
    """

    def __init__(self, message: str, *, request_id: str | None = None) -> None:
        super().__init__(_with_request_id(message, request_id))
        self.request_id = request_id


class ValidationError(ApprovalsError, ValueError):
    """Input is invalid; ``field`` names the offending field (or ``None`` for the whole input)."""

    def __init__(
        self, message: str, *, field: str | None = None, request_id: str | None = None
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.field = field


class RequestNotFound(ApprovalsError, LookupError):
    """No request with this id is stored."""

    def __init__(self, request_id: str, message: str = "request not found") -> None:
        super().__init__(message, request_id=request_id)


class RequestExists(ApprovalsError):
    """A request with this id is already stored."""

    def __init__(
        self, request_id: str, message: str = "a request with this id already exists"
    ) -> None:
        super().__init__(message, request_id=request_id)


class ConcurrentModification(ApprovalsError):
    """The stored request changed since the caller read it (its ``updated_at`` token differs)."""

    def __init__(
        self,
        request_id: str,
        message: str = "the request was modified since it was read; read it again and retry",
    ) -> None:
        super().__init__(message, request_id=request_id)


class InvalidStateTransition(ApprovalsError):
    """The request cannot move to the asked status (it is no longer pending, or has expired)."""

    def __init__(self, request_id: str, message: str) -> None:
        super().__init__(message, request_id=request_id)


class StoreError(ApprovalsError):
    """The backend failed; ``retryable`` says whether trying again later may succeed.

    The original exception is chained as ``__cause__``.
    """

    retryable: bool = False

    def __init__(
        self, message: str, *, request_id: str | None = None, retryable: bool | None = None
    ) -> None:
        super().__init__(message, request_id=request_id)
        if retryable is not None:
            self.retryable = retryable


class Throttled(StoreError):
    """DynamoDB throttled the call and the SDK's retries ran out; back off and retry."""

    retryable = True


class StoreUnavailable(StoreError):
    """The backend could not be reached or failed (HTTP 5xx, reset, timeout); retry later."""

    retryable = True


class TableNotFound(StoreError):
    """The table does not exist in that region/endpoint; create it or fix the configuration."""


class AccessDenied(StoreError):
    """The credentials are not allowed to perform the operation; fix the IAM policy."""
