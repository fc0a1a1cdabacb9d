"""Turn botocore and PynamoDB exceptions into the library's StoreError family, once."""

from __future__ import annotations

from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ReadTimeoutError,
)
from pynamodb.exceptions import PynamoDBException

from approvals.errors import (
    AccessDenied,
    StoreError,
    StoreUnavailable,
    TableNotFound,
    Throttled,
)

__all__ = ["CONDITION_FAILED", "UNSUPPORTED_OPERATION", "error_code", "translate"]

CONDITION_FAILED = "ConditionalCheckFailedException"
UNSUPPORTED_OPERATION = frozenset(
    {"UnknownOperationException", "NotImplemented", "UnsupportedOperation"}
)
"""The codes a DynamoDB-compatible server answers an operation it does not implement with."""

_THROTTLED = {
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "LimitExceededException",
}
_DENIED = {
    "AccessDeniedException",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "ExpiredTokenException",
    "MissingAuthenticationTokenException",
    "IncompleteSignatureException",
}
_UNAVAILABLE = {"InternalServerError", "ServiceUnavailable", "InternalFailure"}
_NETWORK = (ConnectionClosedError, EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError)


def root_cause(exc: BaseException) -> BaseException:
    """Return the botocore exception behind a PynamoDB one (or ``exc`` itself)."""
    seen: set[int] = set()
    current = exc
    while id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, PynamoDBException) and current.cause is not None:
            current = current.cause
        elif isinstance(current, ClientError) and isinstance(current.__cause__, ClientError):
            # PynamoDB re-raises ClientError as VerboseClientError, dropping parts of the response.
            current = current.__cause__
        else:
            break
    return current


def error_code(exc: BaseException) -> str | None:
    """Return the DynamoDB error code behind ``exc`` (e.g. ConditionalCheckFailedException)."""
    cause = root_cause(exc)
    if isinstance(cause, ClientError):
        code = cause.response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def translate(
    exc: BaseException,
    *,
    operation: str,
    table: str,
    region: str | None,
    request_id: str | None = None,
    resource: str | None = None,
    service: str = "DynamoDB",
) -> StoreError:
    """Return the StoreError for ``exc``; the caller raises it ``from exc``.

    ``resource`` names what the call acted on when it is not ``table`` (e.g. an SNS topic), and
    ``service`` the AWS service called.
    """
    cause = root_cause(exc)
    where = f"{resource or f'table {table!r}'} in region {region or 'default'}"
    if isinstance(cause, ClientError):
        return _answered(cause, operation, where, service, request_id)
    if isinstance(cause, _NETWORK):
        return StoreUnavailable(
            f"{operation} could not reach {service} for {where} ({type(cause).__name__}: {cause}); "
            "check the endpoint and network, then retry",
            request_id=request_id,
        )
    if isinstance(cause, (NoCredentialsError, PartialCredentialsError)):
        return AccessDenied(
            f"{operation} on {where}: no AWS credentials found ({cause}); configure credentials "
            "(environment, profile or role)",
            request_id=request_id,
        )
    if isinstance(cause, NoRegionError):
        return StoreError(
            f"{operation}: no AWS region configured; pass region= or set AWS_REGION",
            request_id=request_id,
            retryable=False,
        )
    return StoreError(
        f"{operation} on {where} failed ({type(cause).__name__}: {cause})",
        request_id=request_id,
        retryable=False,
    )


def _answered(
    cause: ClientError, operation: str, where: str, service: str, request_id: str | None
) -> StoreError:
    """The StoreError for an error answer of the service."""
    code = error_code(cause)
    message = str(cause.response.get("Error", {}).get("Message") or "")
    status = int(cause.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    if code in _THROTTLED:
        return Throttled(
            f"{operation} was throttled by {service} on {where} after retries ({code}); "
            "back off and retry, or raise the table's capacity",
            request_id=request_id,
        )
    if code == "ResourceNotFoundException":
        return TableNotFound(
            f"{operation} failed: {where} does not exist ({message or code}); "
            "create it with `approvals create-table` / DynamoDBStore.create_table() "
            "or check the table name, region and endpoint",
            request_id=request_id,
        )
    if code in _DENIED:
        return AccessDenied(
            f"{operation} on {where} was refused ({code}: {message}); "
            "check the credentials and the IAM policy",
            request_id=request_id,
        )
    if code in _UNAVAILABLE or status >= 500:
        return StoreUnavailable(
            f"{operation} on {where} failed on the server ({code or status}: {message}); "
            "retry later",
            request_id=request_id,
        )
    return StoreError(
        f"{operation} on {where} failed ({code}: {message})",
        request_id=request_id,
        retryable=False,
    )
