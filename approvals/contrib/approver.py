"""What an approver page shows and what its forms do, without a framework (both example apps).

:func:`approver_page` returns the pending requests the signed-in user may decide, paged, and
their own newest requests, as :class:`Row` objects; :func:`submit` (with :func:`form_body`) and
:func:`decide` turn the page's form posts into flash messages (:class:`Outcome`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Final

from approvals.duration_text import format_duration
from approvals.errors import (
    ApprovalsError,
    ConcurrentModification,
    InvalidStateTransition,
    RequestNotFound,
    StoreError,
    ValidationError,
)
from approvals.identity import same_identity
from approvals.request import (
    MAX_JUSTIFICATION_LENGTH,
    MIN_JUSTIFICATION_LENGTH,
    Request,
    RequestStatus,
)
from approvals.store import Store

from . import api
from .enforcement import Enforcement
from .http import HTTPProblem, entity_tag
from .listing import list_requests

__all__ = [
    "DURATIONS",
    "JUSTIFICATION_HINT",
    "MINE_SIZE",
    "PAGE_SIZE",
    "SHORT_ID_LENGTH",
    "ApproverPage",
    "Moment",
    "Outcome",
    "Row",
    "approver_page",
    "decide",
    "form_body",
    "relative_time",
    "row_for",
    "submit",
]

PAGE_SIZE: Final = 50
"""Rows of decidable requests per page; the rest are one cursor away."""
MINE_SIZE: Final = 20
"""How many of the user's own newest requests the page shows."""
SHORT_ID_LENGTH: Final = 8
"""Characters of the id shown in a row (the full id is in its tooltip and copy button)."""
DURATIONS: Final = {"30 minutes": 1800, "1 hour": 3600, "2 hours": 7200, "8 hours": 28800}
"""The submit form's duration choices: label -> seconds."""
JUSTIFICATION_HINT: Final = (
    f"{MIN_JUSTIFICATION_LENGTH} to {MAX_JUSTIFICATION_LENGTH} bytes of UTF-8 text"
)
"""What the submit form says a justification must be (the limits Request.validate applies)."""


@dataclass(frozen=True)
class Moment:
    """A point in time as a page shows it: ``relative`` in the text, ``exact`` in a tooltip,
    ``iso`` for the ``datetime`` attribute of ``<time>``."""

    iso: str
    exact: str
    relative: str


@dataclass(frozen=True)
class Row:
    """One request on the page, with the decisions the signed-in user may take on it."""

    request: Request
    etag: str
    short_id: str
    duration: str
    created: Moment
    expires: Moment
    expired: bool  # still pending, but past expires_at: nobody can decide it any more
    can_decide: bool  # pending, unexpired, and the policy lets this user approve or deny
    can_cancel: bool  # pending, unexpired and the user's own


@dataclass(frozen=True)
class ApproverPage:
    """``decide``: one page of requests the user may decide (newest first) and the cursor of
    the next page (None on the last); ``mine``: the user's :data:`MINE_SIZE` newest requests."""

    decide: list[Row]
    next_cursor: str | None
    mine: list[Row]


def approver_page(
    store: Store,
    user: str,
    enforcement: Enforcement,
    *,
    cursor: str | None = None,
    page_size: int = PAGE_SIZE,
    now: datetime | None = None,
) -> ApproverPage:
    """Return the page for ``user``: pending requests ``enforcement`` lets them decide (expired
    ones included, marked, so that an approver sees why nothing happened), from ``cursor`` on.

    ValidationError (field ``cursor``) for a malformed cursor; StoreError from the store.
    """
    now = now or datetime.now(timezone.utc)
    query = {"status": RequestStatus.PENDING.value, "limit": str(page_size)}
    if cursor:
        query["cursor"] = cursor
    pending = list_requests(
        store, query, where=lambda request: enforcement.may_decide(request, user)
    )
    mine = list_requests(store, {"requester": user, "limit": str(MINE_SIZE)})
    return ApproverPage(
        decide=[row_for(r, user, enforcement, now) for r in pending.items],
        next_cursor=pending.next_cursor,
        mine=[row_for(r, user, enforcement, now) for r in mine.items],
    )


@dataclass(frozen=True)
class Outcome:
    """What a form post did, as a flash message: ``category`` is ``success``, ``conflict``
    (someone else acted first; nothing was written) or ``error`` (nothing was written)."""

    category: str
    message: str


def submit(store: Store, user: str, enforcement: Enforcement, body: dict[str, object]) -> Outcome:
    """Create ``user``'s request from the submit form's ``body`` (the JSON API's create body);
    auto-approved when the policy says so. Never raises for bad input or a store failure."""
    try:
        created = api.create_request(store, body, requester=user, enforcement=enforcement)
    except ValidationError as exc:
        return Outcome("error", f"Not submitted: {exc}")
    except ApprovalsError:
        return Outcome("error", "The approval store is unavailable; nothing was submitted.")
    if created.is_auto_approved:
        return Outcome(
            "success",
            f"Request {created.id} for {created.profile} was {created.approver_comment}.",
        )
    return Outcome("success", f"Request {created.id} for {created.profile} submitted.")


def form_body(form: Mapping[str, str]) -> dict[str, object]:
    """The JSON API's create body of the submit form's fields: ``profile``, ``justification``
    (both stripped) and ``duration``, a label of :data:`DURATIONS` (0 seconds, refused by
    :func:`submit`, for any other)."""
    return {
        "profile": form.get("profile", "").strip(),
        "justification": form.get("justification", "").strip(),
        "duration_seconds": DURATIONS.get(form.get("duration", ""), 0),
    }


def decide(
    store: Store,
    user: str,
    enforcement: Enforcement,
    request_id: str,
    action: str,
    *,
    etag: str,
    comment: str = "",
) -> Outcome:
    """Apply a form's approve / deny / cancel by ``user`` to the version the page showed
    (``etag``), under ``enforcement``. Never raises for a refusal or a store failure: a stale page
    gets a ``conflict`` naming who acted first, any other refusal an ``error``."""
    body = None if action == "cancel" else {"comment": comment}
    try:
        changed = api.transition(
            store,
            request_id,
            action,
            actor=user,
            if_match=etag,
            body=body,
            enforcement=enforcement,
        )
    except ConcurrentModification:
        return Outcome("conflict", _someone_else_acted(store, request_id, user))
    except (InvalidStateTransition, RequestNotFound, ValidationError, HTTPProblem) as exc:
        return Outcome("error", f"Nothing changed: {exc}")
    except StoreError:
        return Outcome("error", "The approval store is unavailable; nothing changed. Try again.")
    return Outcome("success", f"You {changed.status.value} request {changed.id}.")


def _someone_else_acted(store: Store, request_id: str, user: str) -> str:
    try:
        current = store.get(request_id)
    except ApprovalsError:
        return "Someone else acted on this request first. Nothing was changed; reload the page."
    if current.status is RequestStatus.PENDING:
        return f"Request {request_id} changed since you loaded the page. Nothing was changed."
    lead = (
        "You decided this in another tab or window"
        if same_identity(current.approver, user)
        else "Someone else acted first"
    )
    by = f" by {current.approver}" if current.approver else ""
    return (
        f"{lead}: request {request_id} is already {current.status.value}{by}. "
        "Your decision was not recorded."
    )


def row_for(request: Request, user: str, enforcement: Enforcement, now: datetime) -> Row:
    """Return the row of ``request`` as ``user`` sees it at ``now``. Raises nothing."""
    pending = request.status is RequestStatus.PENDING
    expired = pending and now >= request.expires_at
    return Row(
        request=request,
        etag=entity_tag(request),
        short_id=request.id[:SHORT_ID_LENGTH],
        duration=format_duration(request.duration),
        created=_moment(request.created_at, now),
        expires=_moment(request.expires_at, now),
        expired=expired,
        can_decide=pending and not expired and enforcement.may_decide(request, user),
        can_cancel=pending and not expired and same_identity(user, request.requester),
    )


_UNITS = (("day", 86400), ("hour", 3600), ("minute", 60))


def relative_time(when: datetime, now: datetime) -> str:
    """Return ``when`` relative to ``now`` in words: ``5 minutes ago``, ``in 23 hours``,
    ``just now`` (under a minute either way); the largest whole unit, rounded down."""
    seconds = (when - now).total_seconds()
    span = abs(seconds)
    for unit, size in _UNITS:
        if span >= size:
            count = int(span // size)
            text = f"{count} {unit}" + ("" if count == 1 else "s")
            return f"in {text}" if seconds > 0 else f"{text} ago"
    return "just now"


def _moment(when: datetime, now: datetime) -> Moment:
    utc = when.astimezone(timezone.utc)
    return Moment(
        iso=utc.isoformat(timespec="seconds").replace("+00:00", "Z"),
        exact=utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        relative=relative_time(when, now),
    )
