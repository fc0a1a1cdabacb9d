"""The field rules of a request that the Go service applies too: text lengths in UTF-8 bytes
(Go's ``len()``), identities without control characters. Pure Python; used by
:meth:`approvals.Request.validate`, which names the limits.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

from approvals.errors import ValidationError

__all__ = ["check_identity", "check_text", "utf8"]


def check_identity(name: str, value: object, request_id: str | None, *, maximum: int) -> None:
    """Refuse an identity (a requester, profile or approver) that is not a non-empty string
    without control characters of at most ``maximum`` UTF-8 bytes."""
    if not isinstance(value, str) or not value:
        raise ValidationError(
            f"{name} must be a non-empty string", field=name, request_id=request_id
        )
    if any(unicodedata.category(ch) == "Cc" for ch in value):
        raise ValidationError(
            f"{name} must not contain control characters", field=name, request_id=request_id
        )
    if len(utf8(name, value, request_id)) > maximum:
        raise ValidationError(
            f"{name} must be at most {maximum} UTF-8 bytes",
            field=name,
            request_id=request_id,
        )


def check_text(
    name: str,
    value: object,
    request_id: str | None,
    *,
    minimum: int,
    maximum: int,
    unit: Literal["UTF-8 bytes", "characters"],
) -> None:
    """Refuse a ``value`` that is not text of ``minimum`` to ``maximum`` ``unit``: "UTF-8 bytes"
    counts as the Go service's ``len()`` does, "characters" counts code points."""
    if not isinstance(value, str):
        raise ValidationError(f"{name} must be a string", field=name, request_id=request_id)
    encoded = utf8(name, value, request_id)
    size = len(encoded) if unit == "UTF-8 bytes" else len(value)
    if not minimum <= size <= maximum:
        raise ValidationError(
            f"{name} must be {minimum} to {maximum} {unit}, got {size}",
            field=name,
            request_id=request_id,
        )


def utf8(name: str, value: str, request_id: str | None) -> bytes:
    """Return ``value`` in UTF-8; ValidationError for text UTF-8 cannot hold (a lone surrogate)."""
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError(
            f"{name} is not valid Unicode text (lone surrogate)", field=name, request_id=request_id
        ) from None
