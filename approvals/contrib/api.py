"""The JSON API operations behind both web integrations, on any :class:`~approvals.Store`.

Each function takes already-decoded input (a JSON body, query parameters, header values, the
acting identity) and returns Requests or raises the library's errors or an
:class:`~approvals.contrib.http.HTTPProblem`; the Flask and Django adapters only translate HTTP in
and out. The rules that prevent double and self-approvals live here, once:

* the acting identity comes from the app (``identity``), never from a body; none -> 401;
* approve / deny / cancel need ``If-Match`` with the request's ETag (428 without): the request is
  read, its ETag compared (412 without writing when it differs), and the transition written with
  the store's optimistic lock on that same version (a race lost there is 412 too);
* only the requester may cancel (403); approving one's own request is a ValidationError (422).

Usage::

    request = api.transition(store, request_id, "approve", actor="bob",
                             if_match=headers.get("If-Match"), body={"comment": "ok"})
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final, Literal

from approvals.errors import (
    ConcurrentModification,
    RequestNotFound,
    ValidationError,
)
from approvals.request import (
    DEFAULT_QUERY_LIMIT,
    MAX_QUERY_LIMIT,
    Request,
    RequestStatus,
    is_valid_request_id,
)
from approvals.store import Store
from approvals.store.base import index_group, order_key
from approvals.times import parse_time, stored_form

from .http import ANY_ENTITY, HTTPProblem, entity_tag, if_match_allows, parse_if_match

__all__ = [
    "ACTIONS",
    "Page",
    "create_request",
    "get_request",
    "list_requests",
    "request_to_json",
    "require_identity",
    "transition",
]

Action = Literal["approve", "deny", "cancel"]
ACTIONS: Final[tuple[Action, ...]] = ("approve", "deny", "cancel")
"""The transitions the API exposes as ``POST /requests/<id>/<action>``."""

_CREATE_FIELDS = ("profile", "justification", "duration_seconds")
_SERVER_SET_FIELDS = ("id", "requester", "approver", "status")
_FILTERS = ("requester", "profile", "status")  # partition choice: most selective first
_CURSOR_VERSION = 1


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


def create_request(store: Store, body: object, *, requester: str) -> Request:
    """Create a pending request of ``requester`` from a JSON body and return it as stored.

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
    return store.create(request)


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
) -> Request:
    """Apply ``action`` (approve, deny, cancel) by ``actor`` to the version the client read.

    ``if_match`` is the raw ``If-Match`` header; ``body`` is ``None`` or ``{"comment": str}``
    (approve / deny). Returns the request as stored. Raises HTTPProblem 428 without If-Match (or
    with ``*``, which would not protect against lost updates), 400 for a malformed one, 403 when
    someone else cancels, 404 for an unknown action; ConcurrentModification when the ETag differs
    or the write loses a race; RequestNotFound; InvalidStateTransition (not pending, expired);
    ValidationError (self-approval: field ``approver``; a bad comment); StoreError.
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
        if actor != current.requester:
            raise HTTPProblem(
                403,
                "not-requester",
                "Only the requester may cancel",
                f"request {current.id} belongs to another user",
                request_id=current.id,
            )
        changed = current.cancel()
    elif action == "approve":
        changed = current.approve(actor, comment)
    else:
        changed = current.deny(actor, comment)
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


# -- listing with an opaque cursor -----------------------------------------------------------


@dataclass(frozen=True)
class Page:
    """One page of a listing: ``items`` newest first, and the cursor of the next page or None."""

    items: list[Request]
    next_cursor: str | None


def list_requests(store: Store, query: Mapping[str, str]) -> Page:
    """Return one page of the requests matching the query parameters.

    ``status``, ``requester`` and ``profile`` filter (at least one, empty values are ignored);
    ``limit`` is 1.. (default DEFAULT_QUERY_LIMIT, capped at MAX_QUERY_LIMIT); ``cursor`` is the
    ``next_cursor`` of the previous page of the same query. Pages follow the store's order
    (newest ``created_at`` first, ties by id) and stay correct when items change between pages:
    the cursor is a position, not an offset. ValidationError naming the parameter for any bad
    value (a malformed or foreign cursor included); StoreError from the store.
    """
    filters = {name: query[name] for name in _FILTERS if query.get(name)}
    if not filters:
        raise ValidationError("give at least one of status, requester or profile", field="status")
    if "status" in filters:
        try:
            RequestStatus(filters["status"])
        except ValueError:
            raise ValidationError(
                f"status must be one of {[s.value for s in RequestStatus]}", field="status"
            ) from None
    limit = _limit(query.get("limit"))
    key = next(name for name in _FILTERS if name in filters)
    fingerprint = _fingerprint(filters)
    after = _decode_cursor(query["cursor"], fingerprint) if query.get("cursor") else None

    found: list[Request] = []
    for request in _after_cursor(_iterate(store, key, filters[key], after), after):
        if all(_field(request, name) == value for name, value in filters.items()):
            found.append(request)
            if len(found) > limit:
                break
    if len(found) <= limit:
        return Page(found, None)
    last = found[limit - 1]
    return Page(found[:limit], _encode_cursor(fingerprint, stored_form(last.created_at), last.id))


def _field(request: Request, name: str) -> str:
    value = getattr(request, name)
    return value.value if isinstance(value, RequestStatus) else str(value)


def _limit(raw: str | None) -> int:
    if raw is None or raw == "":
        return DEFAULT_QUERY_LIMIT
    try:
        limit = int(raw)
    except ValueError:
        raise ValidationError("limit must be a positive integer", field="limit") from None
    if limit < 1:
        raise ValidationError("limit must be a positive integer", field="limit")
    return min(limit, MAX_QUERY_LIMIT)


@dataclass(frozen=True)
class _Cursor:
    created_at: str  # the stored string of the last item's created_at
    id: str


def _iterate(store: Store, key: str, value: str, after: _Cursor | None) -> Iterator[Request]:
    # Every store yields its order from until's group on (inclusive), so a later page does not
    # re-read the earlier ones; what of that group came before the cursor is left out below.
    until = None if after is None else parse_time(after.created_at)
    if key == "requester":
        return store.iter_by_requester(value, until=until)
    if key == "profile":
        return store.iter_by_profile(value, until=until)
    return store.iter_by_status(RequestStatus(value), until=until)


def _after_cursor(requests: Iterator[Request], after: _Cursor | None) -> Iterator[Request]:
    if after is None:
        yield from requests
        return
    # The cursor's place in the stores' order: its group of the index, then order_key there.
    created_at = parse_time(after.created_at)
    group = index_group(created_at)
    position = order_key(created_at, after.id)
    for request in requests:
        if (
            index_group(request.created_at) == group
            and order_key(request.created_at, request.id) >= position
        ):
            continue
        yield request


def _fingerprint(filters: Mapping[str, str]) -> str:
    canonical = json.dumps(sorted(filters.items()), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _encode_cursor(fingerprint: str, created_at: str, request_id: str) -> str:
    payload = {"v": _CURSOR_VERSION, "q": fingerprint, "t": created_at, "i": request_id}
    raw = json.dumps(payload, separators=(",", ":")).encode("ascii")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _decode_cursor(cursor: str, fingerprint: str) -> _Cursor:
    malformed = ValidationError("cursor is malformed; use next_cursor as returned", field="cursor")
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise malformed from None
    if not isinstance(payload, dict) or payload.get("v") != _CURSOR_VERSION:
        raise malformed
    created_at, request_id = payload.get("t"), payload.get("i")
    if not isinstance(created_at, str) or not is_valid_request_id(request_id):
        raise malformed
    try:
        parse_time(created_at)
    except ValueError:
        raise malformed from None
    if payload.get("q") != fingerprint:
        raise ValidationError(
            "cursor belongs to another query; keep status, requester and profile unchanged",
            field="cursor",
        )
    assert isinstance(request_id, str)
    return _Cursor(created_at, request_id)
