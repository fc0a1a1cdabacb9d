"""Listing with an opaque cursor (:func:`list_requests`), behind ``GET /requests`` and the
approver page. A cursor is a position in the stores' order (the last item's ``created_at`` and
id), not an offset, so items changed between pages are neither skipped nor repeated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Final

from approvals.errors import ValidationError
from approvals.request import (
    DEFAULT_QUERY_LIMIT,
    MAX_QUERY_LIMIT,
    Request,
    RequestStatus,
    is_valid_request_id,
)
from approvals.store import Store
from approvals.store.base import check_status, index_group, order_key
from approvals.times import parse_time, stored_form

__all__ = ["Page", "list_requests"]

_FILTERS = ("requester", "profile", "status")  # partition choice: most selective first
_CURSOR_VERSION: Final = 1


@dataclass(frozen=True)
class Page:
    """One page of a listing: ``items`` newest first, and the cursor of the next page or None."""

    items: list[Request]
    next_cursor: str | None


def list_requests(
    store: Store,
    query: Mapping[str, str],
    *,
    where: Callable[[Request], bool] | None = None,
) -> Page:
    """Return one page of the requests matching the query parameters (and ``where``, if given).

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
        check_status(filters["status"])
    limit = _limit(query.get("limit"))
    key = next(name for name in _FILTERS if name in filters)
    fingerprint = _fingerprint(filters)
    after = _decode_cursor(query["cursor"], fingerprint) if query.get("cursor") else None

    found: list[Request] = []
    for request in _after_cursor(_iterate(store, key, filters[key], after), after):
        if all(_field(request, name) == value for name, value in filters.items()) and (
            where is None or where(request)
        ):
            found.append(request)
            if len(found) > limit:
                break
    if len(found) <= limit:
        return Page(found, None)
    last = found[limit - 1]
    return Page(found[:limit], _encode_cursor(fingerprint, stored_form(last.created_at), last.id))


def _field(request: Request, name: str) -> str:
    return str(getattr(request, name))  # a RequestStatus gives its value


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
