"""The Store protocol and the rules every store shares.

Every store checks its input with the ``check_*`` functions here, orders reads with
:func:`newest_first` and decides a refused update with :func:`refusal`, so all stores report the
same error for the same situation.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Protocol, runtime_checkable

from approvals.errors import (
    ApprovalsError,
    ConcurrentModification,
    InvalidStateTransition,
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
from approvals.times import instant_ns, stored_form

__all__ = [
    "ITEM_ATTRIBUTES",
    "IndexedQueries",
    "Store",
    "check_key",
    "check_request",
    "check_request_id",
    "check_status",
    "check_until",
    "effective_limit",
    "index_bound",
    "index_group",
    "newest_first",
    "order_key",
    "refusal",
    "same_token",
]


ITEM_ATTRIBUTES = (
    "id",
    "requester",
    "profile",
    "justification",
    "duration",
    "status",
    "created_at",
    "updated_at",
    "expires_at",
    "ttl",
    "approver",
    "approver_comment",
)
"""The attributes of a stored request, in the Go service's table and every store's item form."""


@runtime_checkable
class Store(Protocol):
    """Where requests live. Every method raises only :class:`~approvals.ApprovalsError`s.

    A store may offer more than the protocol; code asks for such a capability by name, never by
    class: ``hasattr(store, "dynamodb_table")`` (DynamoDBStore, and wrappers that forward it)
    gives :class:`~approvals.store.DynamoDBTable` access for direct DynamoDB calls.
    """

    def create(self, request: Request) -> Request:
        """Store a new request and return it as stored; RequestExists if the id is taken."""
        ...

    def get(self, request_id: str) -> Request:
        """Return the stored request; RequestNotFound if there is none."""
        ...

    def update(self, request: Request) -> Request:
        """Write a transition of a request read earlier and return it as stored.

        RequestNotFound, ConcurrentModification, InvalidStateTransition or ValidationError when
        refused (the first that applies, in that order).
        """
        ...

    def delete(self, request_id: str) -> None:
        """Remove the request if it exists (idempotent)."""
        ...

    def iter_by_requester(
        self, requester: str, *, until: datetime | None = None
    ) -> Iterator[Request]:
        """Yield every request of ``requester``, newest first, fetched lazily.

        With ``until``, start at the requests created at or before it (for pagination).
        """
        ...

    def iter_by_status(
        self, status: RequestStatus, *, until: datetime | None = None
    ) -> Iterator[Request]:
        """Yield every request in ``status``, newest first (from ``until``), fetched lazily."""
        ...

    def iter_by_profile(self, profile: str, *, until: datetime | None = None) -> Iterator[Request]:
        """Yield every request for ``profile``, newest first (from ``until``), fetched lazily."""
        ...

    def list_by_requester(self, requester: str, limit: int = DEFAULT_QUERY_LIMIT) -> list[Request]:
        """Return up to ``limit`` requests of ``requester``, newest first."""
        ...

    def list_by_status(
        self, status: RequestStatus, limit: int = DEFAULT_QUERY_LIMIT
    ) -> list[Request]:
        """Return up to ``limit`` requests in ``status``, newest first."""
        ...

    def list_by_profile(self, profile: str, limit: int = DEFAULT_QUERY_LIMIT) -> list[Request]:
        """Return up to ``limit`` requests for ``profile``, newest first."""
        ...


def check_request_id(request_id: object) -> str:
    """Return ``request_id`` if well-formed; raises ValidationError (field ``id``) otherwise."""
    if not is_valid_request_id(request_id):
        raise ValidationError(
            f"request id must be 16 lowercase hex characters, got {request_id!r:.40}", field="id"
        )
    assert isinstance(request_id, str)
    return request_id


def check_status(status: object) -> RequestStatus:
    """Return ``status`` as a RequestStatus; raises ValidationError (field ``status``)."""
    try:
        return RequestStatus(status)
    except ValueError:
        raise ValidationError(
            f"status must be one of {[s.value for s in RequestStatus]}, got {status!r:.40}",
            field="status",
        ) from None


def check_key(field: str, value: object) -> str:
    """Return ``value``, a query's partition key (``requester``, ``profile``), if it is a
    non-empty string; ValidationError naming ``field`` otherwise."""
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{field} must be a non-empty string", field=field)
    return value


def check_request(request: object) -> Request:
    """Return ``request`` if a store may write it: a valid Request with a well-formed id.

    Raises ValidationError naming the field otherwise (``request`` when it is no Request).
    """
    if not isinstance(request, Request):
        raise ValidationError(f"expected a Request, got {type(request).__name__}", field="request")
    check_request_id(request.id)
    request.validate()
    return request


def effective_limit(limit: int) -> int:
    """Return the limit a list call uses: DEFAULT_QUERY_LIMIT for <= 0, at most MAX_QUERY_LIMIT.

    ValidationError (field ``limit``) when ``limit`` is not an integer.
    """
    if not isinstance(limit, int) or isinstance(limit, bool):
        raise ValidationError(f"limit must be an integer, got {limit!r:.40}", field="limit")
    if limit <= 0:
        return DEFAULT_QUERY_LIMIT
    return min(limit, MAX_QUERY_LIMIT)


def check_until(until: datetime | None) -> None:
    """Refuse a naive ``until`` (ValidationError, field ``until``)."""
    if until is not None and (not isinstance(until, datetime) or until.utcoffset() is None):
        raise ValidationError("until must be a timezone-aware datetime", field="until")


def index_group(value: datetime) -> str:
    """The run of a GSI that a created_at belongs to: the text of its second for every RFC 3339
    form (``2026-11-20T10:00:09``), the whole string for Unix seconds.

    All strings of one group are adjacent in the index; across groups the index order is right
    for UTC strings.
    """
    wire = stored_form(value)
    return wire[:19] if len(wire) >= 20 and wire[10] in "Tt" else wire


def order_key(created_at: datetime, request_id: str) -> tuple[int, int, str, str]:
    """A request's place within the :func:`index_group` of its ``created_at``, compared
    descending.

    UTC ("Z") times come first, newest instant first (exact to the nanosecond), then by id; a
    time stored with an offset or as Unix seconds follows them, by its text, then by id.
    """
    wire = stored_form(created_at)
    if wire[-1] in "Zz" and len(wire) >= 20 and wire[19] in ".Zz":
        return (1, instant_ns(created_at), "", request_id)
    return (0, 0, wire, request_id)


def _order_key(request: Request) -> tuple[int, int, str, str]:
    return order_key(request.created_at, request.id)


def index_bound(until: datetime) -> str:
    """The largest created_at string a read from ``until`` includes: all of until's group."""
    group = index_group(until)
    return group + "~" if len(group) == 19 else group


def newest_first(indexed: Iterable[Request], until: datetime | None = None) -> Iterator[Request]:
    """Yield requests given in a GSI's order (created_at strings descending) in the order every
    store returns: by :func:`index_group` as the index has them, and within a group by
    :func:`order_key`. With ``until``, UTC times of until's own group after it are left out.

    The index orders UTC strings correctly across seconds but not within one (the Go service
    writes trimmed fractions: ``…:09Z`` sorts after ``…:09.5Z``), so a group is buffered and
    sorted before any of it is yielded.
    """
    first = None if until is None else index_group(until)
    latest = None if until is None else instant_ns(until)
    buffer: list[Request] = []
    group: str | None = None
    for request in indexed:
        current = index_group(request.created_at)
        if buffer and current != group:
            yield from _in_order(buffer, group == first, latest)
            buffer = []
        group = current
        buffer.append(request)
    if buffer:
        yield from _in_order(buffer, group == first, latest)


def _in_order(group: list[Request], is_until_group: bool, latest: int | None) -> list[Request]:
    if len(group) > 1:  # most seconds hold one request: nothing to order, no keys to compute
        group.sort(key=_order_key, reverse=True)
    if is_until_group and latest is not None:
        return [r for r in group if _order_key(r)[0] == 0 or instant_ns(r.created_at) <= latest]
    return group


def same_token(stored: datetime, read: datetime) -> bool:
    """True when the lock token the caller read still matches the stored one.

    Tokens read from a table are compared as stored strings (the Go service writes nanoseconds,
    finer than a datetime holds); a token built by hand is compared as a time.
    """
    stored_wire = getattr(stored, "wire", None)
    read_wire = getattr(read, "wire", None)
    if stored_wire is not None and read_wire is not None:
        return bool(stored_wire == read_wire)
    return stored == read


def refusal(stored: Request | None, request: Request) -> ApprovalsError | None:
    """Return why ``request`` may not replace ``stored``, or None when it may.

    The order is the contract's: RequestNotFound, ConcurrentModification,
    InvalidStateTransition, then ValidationError for a changed immutable field.
    """
    if stored is None:
        return RequestNotFound(request.id)
    if not same_token(stored.updated_at, request.updated_at):
        return ConcurrentModification(request.id)
    if not stored.can_transition_to(request.status):
        return InvalidStateTransition(
            request.id, f"cannot move the request from {stored.status} to {request.status}"
        )
    changed = stored.immutable_difference(request)
    if changed is not None:
        return ValidationError(
            f"{changed} cannot change after a request is created",
            field=changed,
            request_id=request.id,
        )
    return None


class IndexedQueries:
    """The Store protocol's six queries over one primitive every store implements:
    :meth:`_index` yields the requests of one GSI partition in the index's order.

    Input is checked here, once, for every store; the order every store returns comes from
    :func:`newest_first`; a list reads one item past its limit, which shows where the last
    item's second ends, most often without another page.
    """

    def _index(
        self, operation: str, name: str, value: str, bound: str | None, page_size: int | None
    ) -> Iterator[Request]:
        """Yield the requests whose ``name`` (requester, status or profile) is ``value``, by
        created_at string descending, from ``bound`` (inclusive) when given, fetched in pages of
        ``page_size`` (None: the store's own size)."""
        raise NotImplementedError

    def _one_operation(self, operation: str) -> AbstractContextManager[object]:
        """The context a whole list runs in (DynamoDBStore: one log record for all its pages)."""
        return nullcontext()

    def iter_by_requester(
        self, requester: str, *, until: datetime | None = None
    ) -> Iterator[Request]:
        """Yield every request of ``requester``, newest first, fetched lazily.

        With ``until``, start at the requests created at or before it (for pagination).
        """
        check_key("requester", requester)
        return self._ordered("iter_by_requester", "requester", requester, until)

    def iter_by_status(
        self, status: RequestStatus, *, until: datetime | None = None
    ) -> Iterator[Request]:
        """Yield every request in ``status``, newest first (from ``until``), fetched lazily."""
        wanted = check_status(status)
        return self._ordered("iter_by_status", "status", wanted.value, until)

    def iter_by_profile(self, profile: str, *, until: datetime | None = None) -> Iterator[Request]:
        """Yield every request for ``profile``, newest first (from ``until``), fetched lazily."""
        check_key("profile", profile)
        return self._ordered("iter_by_profile", "profile", profile, until)

    def list_by_requester(self, requester: str, limit: int = DEFAULT_QUERY_LIMIT) -> list[Request]:
        """Return up to ``limit`` requests of ``requester``, newest first."""
        check_key("requester", requester)
        return self._list("list_by_requester", "requester", requester, limit)

    def list_by_status(
        self, status: RequestStatus, limit: int = DEFAULT_QUERY_LIMIT
    ) -> list[Request]:
        """Return up to ``limit`` requests in ``status``, newest first."""
        wanted = check_status(status)
        return self._list("list_by_status", "status", wanted.value, limit)

    def list_by_profile(self, profile: str, limit: int = DEFAULT_QUERY_LIMIT) -> list[Request]:
        """Return up to ``limit`` requests for ``profile``, newest first."""
        check_key("profile", profile)
        return self._list("list_by_profile", "profile", profile, limit)

    def _ordered(
        self,
        operation: str,
        name: str,
        value: str,
        until: datetime | None,
        page_size: int | None = None,
    ) -> Iterator[Request]:
        check_until(until)
        # Every item of until's own group is read (the index does not order within a second);
        # newest_first drops those after until.
        bound = None if until is None else index_bound(until)
        return newest_first(self._index(operation, name, value, bound, page_size), until)

    def _list(self, operation: str, name: str, value: str, limit: int) -> list[Request]:
        wanted = effective_limit(limit)
        with self._one_operation(operation):
            found = self._ordered(operation, name, value, None, wanted + 1)
            return list(itertools.islice(found, wanted))
