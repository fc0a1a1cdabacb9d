"""The JSON API operations behind both web integrations, on any :class:`~approvals.Store`.

Each function takes decoded input (a JSON body, query parameters, header values, the acting
identity) and returns Requests or raises the library's errors or an
:class:`~approvals.contrib.http.HTTPProblem`; the Flask and Django adapters only translate HTTP
in and out, so the rules against double, self- and unauthorised approvals live here, once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Any, Final, Literal

from approvals.errors import ConcurrentModification, RequestNotFound, ValidationError
from approvals.identity import same_identity
from approvals.request import Request, is_valid_request_id
from approvals.store import Store
from approvals.times import stored_form

from .enforcement import Enforcement
from .http import ANY_ENTITY, HTTPProblem, entity_tag, if_match_allows, parse_if_match
from .listing import Page, list_requests

__all__ = [
    "ACTIONS",
    "Page",
    "create_request",
    "get_request",
    "list_requests",
    "page_to_json",
    "request_to_json",
    "require_identity",
    "transition",
]

Action = Literal["approve", "deny", "cancel"]
ACTIONS: Final[tuple[Action, ...]] = ("approve", "deny", "cancel")
"""The transitions the API exposes as ``POST /requests/<id>/<action>``."""
# No approval policy: anyone signed in but the requester may approve or deny.
_NO_POLICY: Final = Enforcement()

_CREATE_FIELDS = ("profile", "justification", "duration_seconds")
_SERVER_SET_FIELDS = ("id", "requester", "approver", "status")


def require_identity(identity: str | None, *, challenge: str) -> str:
    """Return the acting user's name; HTTPProblem 401 (with ``WWW-Authenticate: challenge``)
    when the app's identity loader found nobody."""
    if isinstance(identity, str) and identity:
        return identity
    raise HTTPProblem(
        401,
        "unauthenticated",
        "Not signed in",
        "this endpoint needs a signed-in user",
        headers={"WWW-Authenticate": challenge},
    )


def request_to_json(request: Request) -> dict[str, Any]:
    """Return the JSON object of ``request``: its fields (times as stored RFC 3339 strings,
    ``duration_seconds`` a number) and its ``etag``. Raises nothing."""
    seconds = request.duration.total_seconds()
    return {
        "id": request.id,
        "requester": request.requester,
        "profile": request.profile,
        "justification": request.justification,
        "duration_seconds": int(seconds) if seconds.is_integer() else seconds,
        "status": request.status.value,
        "created_at": stored_form(request.created_at),
        "updated_at": stored_form(request.updated_at),
        "expires_at": stored_form(request.expires_at),
        "approver": request.approver,
        "approver_comment": request.approver_comment,
        "etag": entity_tag(request),
    }


def page_to_json(page: Page) -> dict[str, Any]:
    """Return the JSON object of a listing page: ``{"items": [...], "next_cursor": ...}``."""
    return {"items": [request_to_json(r) for r in page.items], "next_cursor": page.next_cursor}


def create_request(
    store: Store, body: object, *, requester: str, enforcement: Enforcement = _NO_POLICY
) -> Request:
    """Create a request of ``requester`` from a JSON body and return it as stored: pending, or
    approved when ``enforcement``'s policy auto-approves it.

    The body is ``{"profile": str, "justification": str, "duration_seconds": number}``; the
    requester is the signed-in identity, so a body naming ``requester`` (or any server-set or
    unknown field) is a ValidationError naming that field, as is every invalid value.
    RequestExists / StoreError from the store.
    """
    if not isinstance(body, Mapping):
        raise ValidationError("the body must be a JSON object")
    for key in body:
        if key in _SERVER_SET_FIELDS:
            raise ValidationError(
                f"{key} is set by the server (the requester is the signed-in user)", field=key
            )
        if key not in _CREATE_FIELDS:
            raise ValidationError(f"unknown field {str(key)[:40]!r}", field=str(key))
    for key in _CREATE_FIELDS:
        if key not in body:
            raise ValidationError(f"{key} is required", field=key)
    seconds = body["duration_seconds"]
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValidationError("duration_seconds must be a number", field="duration_seconds")
    if not math.isfinite(seconds) or not 0 < seconds <= 10**9:
        raise ValidationError("duration_seconds is out of range", field="duration_seconds")
    try:
        request = Request.new(
            requester=requester,
            profile=body["profile"],
            justification=body["justification"],
            duration=timedelta(seconds=seconds),
        )
    except ValidationError as exc:
        if exc.field != "duration":
            raise
        raise ValidationError(str(exc), field="duration_seconds") from None
    return store.create(enforcement.on_create(request))


def get_request(store: Store, request_id: str) -> Request:
    """Return the stored request with id ``request_id`` (a URL path segment).

    RequestNotFound also for an id that cannot exist (malformed), since a path names a resource;
    StoreError from the store.
    """
    if not is_valid_request_id(request_id):
        raise RequestNotFound(request_id[:40])
    return store.get(request_id)


def transition(
    store: Store,
    request_id: str,
    action: str,
    *,
    actor: str,
    if_match: str | None,
    body: object = None,
    enforcement: Enforcement = _NO_POLICY,
) -> Request:
    """Apply ``action`` (approve, deny, cancel) by ``actor`` to the version the client read.

    ``if_match`` is the raw ``If-Match`` header; ``body`` is ``None`` or ``{"comment": str}``
    (approve / deny). Returns the request as stored. Raises HTTPProblem 428 without If-Match (or
    with ``*``, which would not protect against lost updates), 400 for a malformed one, 403 when
    someone else cancels or ``enforcement`` does not let ``actor`` decide (``not-approver``
    naming the rule, ``no-rule``), 404 for an unknown action; ConcurrentModification when the
    ETag differs or the write loses a race; RequestNotFound; InvalidStateTransition (not pending,
    expired); ValidationError (self-approval or self-denial in any spelling: field ``approver``;
    a bad comment); StoreError.
    """
    if action not in ACTIONS:
        raise HTTPProblem(404, "unknown-action", "Not found", f"no action {action[:40]!r}")
    comment = _comment(body, action)
    if if_match is None or not if_match.strip():
        raise _precondition_required()
    tags = parse_if_match(if_match)
    if tags == ANY_ENTITY:
        raise _precondition_required()
    assert not isinstance(tags, str)
    current = get_request(store, request_id)
    if not if_match_allows(tags, entity_tag(current)):
        raise ConcurrentModification(
            current.id,
            f"the request changed since it was read: it is now {current.status.value}"
            + (f" (by {current.approver})" if current.approver else ""),
        )
    if action == "cancel":
        if not same_identity(actor, current.requester):
            raise HTTPProblem(
                403,
                "not-requester",
                "Only the requester may cancel",
                f"request {current.id} belongs to another user",
                request_id=current.id,
            )
        changed = current.cancel()
    else:
        enforcement.check_decision(current, actor)
        decide = current.approve if action == "approve" else current.deny
        changed = decide(actor, comment)
    # ``current`` carries the client's version as updated_at: the store locks on exactly it.
    return store.update(changed)


def _precondition_required() -> HTTPProblem:
    return HTTPProblem(
        428,
        "if-match-required",
        "If-Match required",
        "send If-Match with the request's ETag as you read it, so that a decision someone else "
        "made in the meantime is not overwritten",
    )


def _comment(body: object, action: str) -> str:
    if body is None:
        return ""
    if not isinstance(body, Mapping):
        raise ValidationError("the body must be a JSON object")
    allowed = () if action == "cancel" else ("comment",)
    for key in body:
        if key not in allowed:
            raise ValidationError(f"unknown field {str(key)[:40]!r}", field=str(key))
    comment = body.get("comment", "")
    if not isinstance(comment, str):
        raise ValidationError("comment must be a string", field="comment")
    return comment
