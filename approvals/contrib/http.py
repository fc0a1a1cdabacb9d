"""HTTP semantics shared by the Flask and Django integrations (no framework import): library
errors as RFC 9457 problems, ETags and ``If-Match``, and the identity a trusted proxy sends."""

from __future__ import annotations

import ipaddress
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from approvals.errors import (
    ApprovalsError,
    ConcurrentModification,
    InvalidStateTransition,
    RequestExists,
    RequestNotFound,
    StoreError,
    ValidationError,
)
from approvals.request import Request
from approvals.times import stored_form

__all__ = [
    "ANY_ENTITY",
    "DEFAULT_AUTH_CHALLENGE",
    "DEFAULT_IDENTITY_HEADER",
    "ERROR_PROBLEMS",
    "PROBLEM_CONTENT_TYPE",
    "PROBLEM_TYPE_PREFIX",
    "RETRY_AFTER_SECONDS",
    "EntityTag",
    "HTTPProblem",
    "Problem",
    "ProxyNetworks",
    "entity_tag",
    "if_match_allows",
    "parse_if_match",
    "parse_trusted_proxies",
    "problem_for_exception",
    "proxy_identity",
]

logger = logging.getLogger("approvals.contrib")

PROBLEM_CONTENT_TYPE: Final = "application/problem+json"
"""The media type of every error body (RFC 9457)."""
PROBLEM_TYPE_PREFIX: Final = "tag:approvals,2026:problem:"
"""Prefix of every problem ``type`` URI; the suffix is the problem's code (``request-not-found``).

Tag URIs (RFC 4151) identify without pretending to be dereferenceable documentation."""
DEFAULT_AUTH_CHALLENGE: Final = 'Session realm="approvals"'
"""The ``WWW-Authenticate`` value of a 401 unless the app configures its own."""
RETRY_AFTER_SECONDS: Final = 2
"""The ``Retry-After`` sent with a 503 for a retryable :class:`~approvals.StoreError`."""


@dataclass(frozen=True)
class _Mapping:
    status: int
    code: str
    title: str


ERROR_PROBLEMS: Final[tuple[tuple[type[ApprovalsError], _Mapping], ...]] = (
    (RequestNotFound, _Mapping(404, "request-not-found", "Request not found")),
    (RequestExists, _Mapping(409, "request-exists", "Request already exists")),
    # 409 when the client sent no If-Match (the store's own lock failed); 412 when it did.
    (ConcurrentModification, _Mapping(409, "concurrent-modification", "Request was modified")),
    (InvalidStateTransition, _Mapping(409, "invalid-state-transition", "Transition not allowed")),
    (ValidationError, _Mapping(422, "validation-error", "Invalid input")),
    (StoreError, _Mapping(503, "store-unavailable", "Approval store unavailable")),
)
"""The one table from library error to HTTP status, problem code and title (first match by MRO)."""

_INTERNAL = _Mapping(500, "internal-error", "Internal error")


@dataclass(frozen=True)
class Problem:
    """An RFC 9457 problem: what an adapter sends as ``application/problem+json``.

    ``extensions`` are extra members (``request_id``, ``field``); ``headers`` are response headers
    to add (``Retry-After``, ``WWW-Authenticate``).
    """

    status: int
    code: str
    title: str
    detail: str
    extensions: Mapping[str, Any] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)

    @property
    def type(self) -> str:
        """The problem type URI: :data:`PROBLEM_TYPE_PREFIX` + code."""
        return PROBLEM_TYPE_PREFIX + self.code

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object of the body: type, title, status, detail, then extensions."""
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail,
        }
        body.update(self.extensions)
        return body


class HTTPProblem(Exception):
    """An HTTP-level refusal that is not a library error (401, 403, 400, 415, 428).

    Raised by :mod:`approvals.contrib.api`; both adapters render its :attr:`problem`.
    """

    def __init__(
        self,
        status: int,
        code: str,
        title: str,
        detail: str,
        *,
        headers: Mapping[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.problem = Problem(status, code, title, detail, extensions, dict(headers or {}))


def problem_for_exception(exc: ApprovalsError | HTTPProblem, *, if_match_sent: bool) -> Problem:
    """Return the problem to answer ``exc`` with (see :data:`ERROR_PROBLEMS`).

    ConcurrentModification is 412 when the client sent ``If-Match`` (its precondition failed) and
    409 otherwise. A StoreError is logged (with its cause) and answered with a generic detail,
    plus ``Retry-After`` when retryable: backend messages name tables and regions. Raises nothing.
    """
    if isinstance(exc, HTTPProblem):
        return exc.problem
    mapping = _mapping_for(type(exc))
    extensions: dict[str, Any] = {}
    if exc.request_id is not None:
        extensions["request_id"] = exc.request_id
    headers: dict[str, str] = {}
    detail = str(exc)
    status = mapping.status
    title = mapping.title
    if isinstance(exc, ConcurrentModification) and if_match_sent:
        status, title = 412, "Precondition failed: the request was modified"
    elif isinstance(exc, ValidationError):
        extensions["field"] = exc.field
    elif isinstance(exc, StoreError):
        logger.warning("approval store failure answered with 503: %s", exc, exc_info=exc)
        detail = "the approval store is unavailable"
        if exc.retryable:
            headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
            detail += "; retry later"
    elif mapping is _INTERNAL:
        logger.error("unmapped approvals error answered with 500: %s", exc, exc_info=exc)
        detail = "internal error"
    return Problem(status, mapping.code, title, detail, extensions, headers)


def _mapping_for(error_type: type[ApprovalsError]) -> _Mapping:
    table = dict(ERROR_PROBLEMS)
    for klass in error_type.__mro__:
        if klass in table:
            return table[klass]
    return _INTERNAL


# -- ETag and If-Match ------------------------------------------------------------------------

_ETAGC = r"[!#-~\x80-\xff]*"  # RFC 9110 etagc: %x21 / %x23-7E / obs-text
_ENTITY_TAG = re.compile(rf'[ \t]*(W/)?"({_ETAGC})"[ \t]*')


@dataclass(frozen=True)
class EntityTag:
    """One entity-tag of an ``If-Match`` list: its opaque value (without quotes) and weakness."""

    opaque: str
    weak: bool = False


ANY_ENTITY: Final = "*"
"""What :func:`parse_if_match` returns for ``If-Match: *``."""


def entity_tag(request: Request) -> str:
    """Return the strong ETag of ``request`` as sent in a header: its stored ``updated_at``, quoted.

    The stored string (``StoredTime.wire``) is used when known so the tag changes exactly when the
    store's lock token does; otherwise the canonical RFC 3339 form. Raises nothing.
    """
    return f'"{stored_form(request.updated_at)}"'


def parse_if_match(value: str) -> tuple[EntityTag, ...] | str:
    """Return the entity-tags of an ``If-Match`` header value, or :data:`ANY_ENTITY` for ``*``.

    Raises HTTPProblem 400 when the value is not ``*`` or a comma-separated list of quoted
    entity-tags (RFC 9110 §8.8.3): an unquoted tag is a client bug, not a stale one.
    """
    if value.strip(" \t") == ANY_ENTITY:
        return ANY_ENTITY
    tags: list[EntityTag] = []
    position = 0
    while position < len(value):
        if value[position] in " \t,":  # the list syntax allows empty elements
            position += 1
            continue
        match = _ENTITY_TAG.match(value, position)
        if match is None:
            break
        tags.append(EntityTag(opaque=match.group(2), weak=match.group(1) is not None))
        position = match.end()
        if position < len(value) and value[position] != ",":
            break
    else:
        if tags:
            return tuple(tags)
    raise HTTPProblem(
        400,
        "malformed-if-match",
        "Malformed If-Match",
        'If-Match must be a list of quoted entity-tags, such as the ETag header: "2026-01-01T..."',
    )


def if_match_allows(tags: tuple[EntityTag, ...], current: str) -> bool:
    """True when one of ``tags`` strongly matches the quoted ETag ``current`` (RFC 9110 §8.8.3.2).

    Weak tags never match: approving needs the exact version. Raises nothing.
    """
    return any(not tag.weak and f'"{tag.opaque}"' == current for tag in tags)


# -- identity from an authenticating reverse proxy --------------------------------------------

DEFAULT_IDENTITY_HEADER: Final = "X-Forwarded-User"
"""The header an authenticating proxy (oauth2-proxy, Apache/nginx auth) sets to the user's name."""

ProxyNetworks = tuple["ipaddress.IPv4Network | ipaddress.IPv6Network", ...]
"""The networks whose identity header is trusted, as :func:`parse_trusted_proxies` returns them."""


def parse_trusted_proxies(
    value: object, *, setting: str = "APPROVALS_TRUSTED_PROXIES"
) -> ProxyNetworks:
    """Return the networks of ``value``: None (no proxy is trusted), or an iterable of addresses
    and CIDR networks (``["10.0.0.5", "fd00::/64"]``); one string is one entry.

    ValidationError naming ``setting`` for anything that is not an address or network.
    """
    if value is None:
        return ()
    entries = [value] if isinstance(value, str) else value
    if not isinstance(entries, Iterable):
        raise ValidationError(f"{setting} must be a list of proxy addresses", field=setting)
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(str(entry).strip(), strict=False))
        except ValueError:
            raise ValidationError(
                f"{setting}: {str(entry)[:60]!r} is not an IP address or network", field=setting
            ) from None
    return tuple(networks)


def proxy_identity(
    value: str | None, remote_addr: str | None, trusted: ProxyNetworks
) -> str | None:
    """Return ``value``, the identity header's value (``X-Forwarded-User``), when the connection
    comes from a trusted proxy and the value is not blank; otherwise None: nobody is signed in.

    ``remote_addr`` must be the TCP peer's address (Flask's ``request.remote_addr``, Django's
    ``REMOTE_ADDR``), never one read from ``X-Forwarded-For``, which any client can write.
    """
    if not trusted or not remote_addr or not value or not value.strip():
        return None
    try:
        peer = ipaddress.ip_address(remote_addr.split("%", 1)[0])
    except ValueError:
        return None
    if not any(peer in network for network in trusted):
        return None
    return value.strip()
