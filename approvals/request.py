"""The approval request domain: values, validation, the state machine and the access gate.

Pure Python: nothing here knows about DynamoDB. A :class:`Request` is created with
:meth:`Request.new`, moved with :meth:`~Request.approve`, :meth:`~Request.deny`,
:meth:`~Request.cancel` or :meth:`~Request.expire` (each returns a new Request), and persisted by a
store, which owns the ``updated_at`` lock token.

Usage::

    request = Request.new(requester="alice", profile="production",
                          justification="Deploy hotfix for INC-4821", duration=timedelta(hours=1))
    approved = request.approve("bob", "go ahead")
    approved.is_access_granted()  # True until expires_at or created_at + duration
"""

from __future__ import annotations

import contextlib
import dataclasses
import enum
import re
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Protocol

from approvals.errors import InvalidStateTransition, ValidationError
from approvals.fields import check_identity, check_text
from approvals.identity import same_identity

__all__ = [
    "AUTO_APPROVED_COMMENT",
    "DEFAULT_QUERY_LIMIT",
    "DEFAULT_REQUEST_TTL",
    "IMMUTABLE_FIELDS",
    "MAX_APPROVER_COMMENT_LENGTH",
    "MAX_DURATION",
    "MAX_IDENTITY_BYTES",
    "MAX_JUSTIFICATION_LENGTH",
    "MAX_QUERY_LIMIT",
    "MIN_JUSTIFICATION_LENGTH",
    "REQUEST_ID_LENGTH",
    "Request",
    "RequestStatus",
    "find_approved_request",
    "is_valid_request_id",
    "new_request_id",
]

DEFAULT_REQUEST_TTL = timedelta(hours=24)
"""How long a new request stays actionable before it expires."""
MIN_JUSTIFICATION_LENGTH = 10
"""Fewest UTF-8 bytes a justification may have (the Go service counts bytes: ``len(string)``)."""
MAX_JUSTIFICATION_LENGTH = 500
"""Most UTF-8 bytes a justification may have (the Go service counts bytes: ``len(string)``)."""
MAX_DURATION = timedelta(hours=8)
"""Longest access a request may ask for."""
REQUEST_ID_LENGTH = 16
"""Number of lowercase hex characters in a request id."""
DEFAULT_QUERY_LIMIT = 100
"""Items a list returns when no (or a non-positive) limit is given."""
MAX_QUERY_LIMIT = 1000
"""Most items one list call returns; larger limits are capped."""
MAX_APPROVER_COMMENT_LENGTH = 1000
"""Most characters an approver comment may have."""
MAX_IDENTITY_BYTES = 1024
"""Most UTF-8 bytes of a requester, profile or approver (GSI partition keys are capped at 2048)."""
AUTO_APPROVED_COMMENT = "auto-approved by policy"
"""The approver comment of a request an approval policy approved on creation (as Go writes it)."""

_REQUEST_ID = re.compile(rf"[0-9a-f]{{{REQUEST_ID_LENGTH}}}")
IMMUTABLE_FIELDS = (
    "requester",
    "profile",
    "justification",
    "duration",
    "created_at",
    "expires_at",
)
"""The fields a stored request never changes: an update that differs in one is refused."""


class RequestStatus(str, enum.Enum):
    """The lifecycle state of a request; every status but PENDING is terminal."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    __str__ = str.__str__  # str() and f-strings give the value

    @property
    def is_terminal(self) -> bool:
        """True for every status but PENDING: a terminal request never changes again."""
        return self is not RequestStatus.PENDING

    def can_transition_to(self, new: RequestStatus) -> bool:
        """True when moving to ``new`` is allowed: the same status, or pending to a terminal one."""
        return new is self or (self is RequestStatus.PENDING and new.is_terminal)


_STATUS_VALUES = [status.value for status in RequestStatus]
_TIMES = ("created_at", "updated_at", "expires_at")


def new_request_id() -> str:
    """Return a fresh request id: 16 lowercase hex characters from a CSPRNG."""
    return secrets.token_hex(REQUEST_ID_LENGTH // 2)


def is_valid_request_id(value: object) -> bool:
    """Return True when ``value`` is exactly 16 lowercase hex characters."""
    return isinstance(value, str) and _REQUEST_ID.fullmatch(value) is not None


def _to_utc(value: object) -> object:
    # Aware datetimes are normalised to UTC; anything else is left for validate() to reject.
    if (
        isinstance(value, datetime)
        and value.tzinfo is not None
        and value.tzinfo is not timezone.utc
    ):
        return value.astimezone(timezone.utc)
    return value


def _check_now(now: datetime | None, *, request_id: str | None = None) -> datetime:
    if now is None:
        return datetime.now(timezone.utc)
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ValidationError(
            "now must be a timezone-aware datetime", field="now", request_id=request_id
        )
    return now


@dataclass
class Request:
    """One access request: who asks for which profile, for how long, why, and its decision.

    Datetimes are timezone-aware and normalised to UTC on construction. ``updated_at`` is the
    optimistic-lock token: transitions keep it as read and only a store writes a new one.
    """

    id: str
    requester: str
    profile: str
    justification: str
    duration: timedelta
    status: RequestStatus
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    approver: str = ""
    approver_comment: str = ""

    def __post_init__(self) -> None:
        if isinstance(self.status, str) and not isinstance(self.status, RequestStatus):
            with contextlib.suppress(ValueError):  # validate() names the field
                self.status = RequestStatus(self.status)
        for name in _TIMES:
            setattr(self, name, _to_utc(getattr(self, name)))

    @classmethod
    def new(
        cls,
        *,
        requester: str,
        profile: str,
        justification: str,
        duration: timedelta,
        now: datetime | None = None,
        ttl: timedelta = DEFAULT_REQUEST_TTL,
    ) -> Request:
        """Return a new validated pending Request with a fresh id, expiring ``ttl`` after ``now``.

        Raises ValidationError naming the first invalid field.
        """
        created_at = _check_now(now)
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise ValidationError("ttl must be a positive timedelta", field="ttl")
        request = cls(
            id=new_request_id(),
            requester=requester,
            profile=profile,
            justification=justification,
            duration=duration,
            status=RequestStatus.PENDING,
            created_at=created_at,
            updated_at=created_at,
            expires_at=created_at + ttl,
        )
        request.validate()
        return request

    def validate(self) -> None:
        """Check every field; raises ValidationError naming the first invalid one."""
        if not is_valid_request_id(self.id):
            raise ValidationError(
                f"id must be {REQUEST_ID_LENGTH} lowercase hex characters, got {self.id!r:.40}",
                field="id",
            )
        rid = self.id
        check_identity("requester", self.requester, rid, maximum=MAX_IDENTITY_BYTES)
        check_identity("profile", self.profile, rid, maximum=MAX_IDENTITY_BYTES)
        check_text(
            "justification",
            self.justification,
            rid,
            minimum=MIN_JUSTIFICATION_LENGTH,
            maximum=MAX_JUSTIFICATION_LENGTH,
            unit="UTF-8 bytes",
        )
        if not isinstance(self.status, RequestStatus):
            raise ValidationError(
                f"status must be one of {_STATUS_VALUES}, got {self.status!r:.40}",
                field="status",
                request_id=rid,
            )
        if not isinstance(self.duration, timedelta) or not (
            timedelta(0) < self.duration <= MAX_DURATION
        ):
            raise ValidationError(
                f"duration must be a timedelta above 0 and at most {MAX_DURATION}",
                field="duration",
                request_id=rid,
            )
        for name in _TIMES:
            value = getattr(self, name)
            if not isinstance(value, datetime) or value.utcoffset() is None:
                raise ValidationError(
                    f"{name} must be a timezone-aware datetime", field=name, request_id=rid
                )
        self._validate_decision(rid)

    def _validate_decision(self, rid: str) -> None:
        # The approver and comment; a decided request has an approver who is not its requester.
        if not isinstance(self.approver, str):
            raise ValidationError("approver must be a string", field="approver", request_id=rid)
        if self.approver:
            check_identity("approver", self.approver, rid, maximum=MAX_IDENTITY_BYTES)
        check_text(
            "approver_comment",
            self.approver_comment,
            rid,
            minimum=0,
            maximum=MAX_APPROVER_COMMENT_LENGTH,
            unit="characters",
        )
        if self.status in (RequestStatus.APPROVED, RequestStatus.DENIED):
            if not self.approver:
                raise ValidationError(
                    f"an {self.status.value} request needs an approver",
                    field="approver",
                    request_id=rid,
                )
            if same_identity(self.approver, self.requester) and not self.is_auto_approved:
                raise ValidationError(
                    "the approver must not be the requester (no self-approval)",
                    field="approver",
                    request_id=rid,
                )

    @property
    def is_auto_approved(self) -> bool:
        """True for a request an approval policy approved on creation, stored as the Go service
        stores it: approved, approver exactly the requester, comment ``auto-approved by policy``.

        The only request whose approver may be its requester; :meth:`approve` never makes one.
        """
        return (
            self.status is RequestStatus.APPROVED
            and self.approver == self.requester
            and self.approver_comment == AUTO_APPROVED_COMMENT
        )

    def can_transition_to(self, status: RequestStatus) -> bool:
        """True when this request may move to ``status``: only pending to a non-pending status."""
        return self.status is RequestStatus.PENDING and status is not RequestStatus.PENDING

    def approve(self, approver: str, comment: str = "", *, now: datetime | None = None) -> Request:
        """Return a copy approved by ``approver``.

        Raises InvalidStateTransition when not pending or expired, ValidationError when the
        approver is empty or the requester.
        """
        return self._decide(RequestStatus.APPROVED, approver, comment, now)

    def deny(self, approver: str, comment: str = "", *, now: datetime | None = None) -> Request:
        """Return a copy denied by ``approver``.

        Raises InvalidStateTransition when not pending or expired, ValidationError when the
        approver is empty or the requester.
        """
        return self._decide(RequestStatus.DENIED, approver, comment, now)

    def cancel(self, *, now: datetime | None = None) -> Request:
        """Return a cancelled copy; raises InvalidStateTransition when not pending."""
        self._checked_move(RequestStatus.CANCELLED, now)
        return dataclasses.replace(self, status=RequestStatus.CANCELLED)

    def expire(self, *, now: datetime | None = None) -> Request:
        """Return an expired copy; raises InvalidStateTransition when not pending."""
        self._checked_move(RequestStatus.EXPIRED, now)
        return dataclasses.replace(self, status=RequestStatus.EXPIRED)

    def is_access_granted(self, now: datetime | None = None) -> bool:
        """True when approved, before ``expires_at`` and before ``created_at + duration``."""
        moment = _check_now(now, request_id=self.id)
        return (
            self.status is RequestStatus.APPROVED
            and moment < self.expires_at
            and moment < self.created_at + self.duration
        )

    def immutable_difference(self, other: Request) -> str | None:
        """Return the first field that may never change and differs from ``other``, or None."""
        for name in IMMUTABLE_FIELDS:
            if getattr(self, name) != getattr(other, name):
                return name
        return None

    def _checked_move(self, target: RequestStatus, now: datetime | None) -> datetime:
        # Checks that the request may move to ``target`` and returns the checked ``now``.
        moment = _check_now(now, request_id=self.id)
        if not self.can_transition_to(target):
            raise InvalidStateTransition(
                self.id, f"cannot move the request from {self.status} to {target}"
            )
        return moment

    def _decide(
        self, status: RequestStatus, approver: str, comment: str, now: datetime | None
    ) -> Request:
        moment = self._checked_move(status, now)
        if moment >= self.expires_at:
            raise InvalidStateTransition(
                self.id, f"the request expired at {self.expires_at.isoformat()}"
            )
        if isinstance(approver, str) and same_identity(approver, self.requester):
            raise ValidationError(
                "the approver must not be the requester (no self-approval)",
                field="approver",
                request_id=self.id,
            )
        decided = dataclasses.replace(
            self, status=status, approver=approver, approver_comment=comment
        )
        decided.validate()
        return decided


class _RequestsByRequester(Protocol):
    def iter_by_requester(self, requester: str) -> Iterator[Request]: ...


def find_approved_request(
    store: _RequestsByRequester, requester: str, profile: str, *, now: datetime | None = None
) -> Request | None:
    """Return the newest approved request of ``requester`` for ``profile`` that still grants
    access at ``now``, or None. Reads every request of the requester, page by page (no cap).
    """
    moment = _check_now(now)
    for request in store.iter_by_requester(requester):
        if request.profile == profile and request.is_access_granted(moment):
            return request
    return None
