"""What the embedded server and its clients agree on: targets, region, dummy credentials.

Which requests count as writes (and so are journaled) is decided here too, from the request's
``X-Amz-Target``.
"""

from __future__ import annotations

import os

__all__ = [
    "DEFAULT_REGION",
    "DUMMY_ACCESS_KEY_ID",
    "DUMMY_SECRET_ACCESS_KEY",
    "DYNAMODB_PREFIX",
    "STREAMS_PREFIX",
    "ensure_dummy_credentials",
    "is_mutating_operation",
]

#: Region the embedded server advertises to clients (any region a client signs with works).
DEFAULT_REGION = "us-east-1"
#: Credentials handed to clients of the embedded server; moto does not check signatures.
DUMMY_ACCESS_KEY_ID = "AKIAEMBEDDEDAPPROVALS"
DUMMY_SECRET_ACCESS_KEY = "approvals-embedded-dynamodb-not-a-secret"

#: ``X-Amz-Target`` prefix of the DynamoDB API.
DYNAMODB_PREFIX = "DynamoDB_20120810."
#: ``X-Amz-Target`` prefix of the (read-only) DynamoDB Streams API.
STREAMS_PREFIX = "DynamoDBStreams_20120810."

_READ_ONLY_OPERATIONS = frozenset({"Query", "Scan", "BatchGetItem", "TransactGetItems"})
_READ_ONLY_PREFIXES = ("Get", "Describe", "List")


def ensure_dummy_credentials() -> None:
    """Set ``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY`` to dummy values if they are unset.

    Clients that are given only an endpoint and a region (PynamoDB, boto3) still need some
    credentials to sign requests; the embedded server accepts any.  Existing values are kept.
    """
    os.environ.setdefault("AWS_ACCESS_KEY_ID", DUMMY_ACCESS_KEY_ID)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", DUMMY_SECRET_ACCESS_KEY)


def is_mutating_operation(target: str) -> bool:
    """Tell whether the request with ``X-Amz-Target`` *target* can change state (is journaled)."""
    if not target.startswith(DYNAMODB_PREFIX):
        return False  # DynamoDB Streams is read-only; anything else is refused anyway.
    operation = target[len(DYNAMODB_PREFIX) :]
    return not (operation in _READ_ONLY_OPERATIONS or operation.startswith(_READ_ONLY_PREFIXES))
