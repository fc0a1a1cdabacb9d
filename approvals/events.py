"""Lifecycle events: one :class:`Event` per successful transition, given to notifiers.

Wrap any :class:`~approvals.Store` in a :class:`NotifyingStore` (built-in notifiers are in
:mod:`approvals.notifiers`)::

    store = NotifyingStore(DynamoDBStore(), LoggingNotifier(), WebhookNotifier(url, secret))
    created = store.create(Request.new(...))          # one "created" event
    store.update(created.approve("bob"))              # one "approved" event, actor "bob"

Refused or failed writes, reads and deletes emit nothing; a notifier that raises is logged on
``approvals.events`` and fails nothing. A :class:`BackgroundDispatcher` runs the notifiers on a
worker thread instead of before the write returns.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from approvals.dispatch import BackgroundDispatcher, deliver
from approvals.errors import ApprovalsError
from approvals.request import DEFAULT_QUERY_LIMIT, Request, RequestStatus
from approvals.store.base import Store
from approvals.times import stored_form

__all__ = [
    "BackgroundDispatcher",
    "Event",
    "EventKind",
    "NotificationError",
    "Notifier",
    "NotifyingStore",
    "deliver",
]


class EventKind(str, enum.Enum):
    """What happened to a request: one kind per lifecycle transition."""

    CREATED = "created"
    APPROVED = "approved"
    DENIED = "denied"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    __str__ = str.__str__  # str() and f-strings give the value

    @classmethod
    def for_status(cls, status: RequestStatus) -> EventKind:
        """Return the kind of the transition that leads to ``status`` (pending: created)."""
        status = RequestStatus(status)
        return cls.CREATED if status is RequestStatus.PENDING else cls(status.value)


@dataclass(frozen=True)
class Event:
    """One transition of one request.

    ``request`` is the request as stored after the change; ``actor`` is who made it: the requester
    for created, the approver for approved/denied, and for cancelled/expired whatever the caller
    passed as ``actor`` (``""`` when it passed nothing: the store cannot know). ``at`` is when the
    transition was stored: the request's ``updated_at`` after the write.
    """

    kind: EventKind
    request: Request
    actor: str
    at: datetime

    @property
    def request_id(self) -> str:
        """The id of the request the event is about."""
        return self.request.id

    def to_dict(self, *, include_text: bool = True) -> dict[str, Any]:
        """Return the event as JSON-ready data (times in RFC 3339 UTC, duration in seconds).

        ``include_text=False`` leaves out the free text people typed (the justification and the
        approver's comment), e.g. for logs or channels that must not carry it.
        """
        request = self.request
        data: dict[str, Any] = {
            "id": request.id,
            "requester": request.requester,
            "profile": request.profile,
            "status": request.status.value,
            "duration_seconds": request.duration.total_seconds(),
            "created_at": stored_form(request.created_at),
            "updated_at": stored_form(request.updated_at),
            "expires_at": stored_form(request.expires_at),
            "approver": request.approver,
        }
        if include_text:
            data["justification"] = request.justification
            data["approver_comment"] = request.approver_comment
        return {
            "kind": self.kind.value,
            "actor": self.actor,
            "at": stored_form(self.at),
            "request": data,
        }


@runtime_checkable
class Notifier(Protocol):
    """Something told about every event. ``notify`` may raise: the failure is logged only."""

    def notify(self, event: Event) -> None:
        """Deliver ``event``; returns None, raises any exception on failure."""
        ...


class NotificationError(ApprovalsError):
    """A notifier could not deliver an event; ``retryable`` says whether a later try may work."""

    def __init__(
        self, message: str, *, request_id: str | None = None, retryable: bool = False
    ) -> None:
        super().__init__(message, request_id=request_id)
        self.retryable = retryable


class NotifyingStore:
    """A :class:`~approvals.Store` that emits an :class:`Event` per successful transition.

    ``create`` emits ``created`` (actor: the requester); ``update`` emits the kind of the stored
    status (approved, denied, cancelled, expired) with the approver as actor for a decision and
    the ``actor`` argument otherwise. Every other method delegates without events. Errors of the
    wrapped store propagate unchanged and emit nothing; a failing notifier is only logged.

    ``dispatcher`` runs the notifiers in the background (see :class:`BackgroundDispatcher`);
    without one they run before ``create``/``update`` return. Close the store (or use it as a
    context manager) to flush a dispatcher.

    Any other attribute is the wrapped store's: what it can do beyond the protocol (such as
    ``DynamoDBStore.dynamodb_table()``) the wrapper can do too, and ``hasattr`` tells the same.
    Writes made through such a capability bypass the wrapper and emit no event.
    """

    def __init__(
        self,
        store: Store,
        *notifiers: Notifier,
        dispatcher: BackgroundDispatcher | None = None,
    ) -> None:
        for notifier in notifiers:
            if not callable(getattr(notifier, "notify", None)):
                raise TypeError(f"{notifier!r} is not a Notifier: it has no notify(event) method")
        self.store = store
        self.notifiers: tuple[Notifier, ...] = notifiers
        self.dispatcher = dispatcher

    def __repr__(self) -> str:
        return f"NotifyingStore({self.store!r}, {len(self.notifiers)} notifiers)"

    def __getattr__(self, name: str) -> Any:
        # Only called for names the wrapper lacks. "store" itself is looked up on the instance,
        # so a half-built wrapper (copy, unpickling) raises AttributeError instead of recursing.
        if name == "store" or name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.store, name)

    def __enter__(self) -> NotifyingStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self, timeout: float | None = None) -> None:
        """Flush and stop the dispatcher, if any (waiting at most ``timeout`` s). Returns None."""
        if self.dispatcher is not None:
            self.dispatcher.close(timeout)

    def create(self, request: Request, *, actor: str | None = None) -> Request:
        """Store a new request (see :meth:`Store.create`) and emit ``created``.

        ``actor`` defaults to the requester. Raises what the wrapped store raises.
        """
        stored = self.store.create(request)
        self._emit(stored, stored.requester if actor is None else actor)
        return stored

    def update(self, request: Request, *, actor: str | None = None) -> Request:
        """Write a transition (see :meth:`Store.update`) and emit the event of the stored status.

        ``actor`` defaults to the approver for approved/denied and to ``""`` (unknown) for
        cancelled/expired: pass who cancelled, or which job expired the request. Raises what the
        wrapped store raises (RequestNotFound, ConcurrentModification, InvalidStateTransition,
        ValidationError, StoreError).
        """
        stored = self.store.update(request)
        if actor is None:
            actor = stored.approver if stored.status in _DECISIONS else ""
        self._emit(stored, actor)
        return stored

    def get(self, request_id: str) -> Request:
        """Return the stored request (see :meth:`Store.get`); no event."""
        return self.store.get(request_id)

    def delete(self, request_id: str) -> None:
        """Remove the request if it exists (see :meth:`Store.delete`); no event."""
        self.store.delete(request_id)

    def iter_by_requester(
        self, requester: str, *, until: datetime | None = None
    ) -> Iterator[Request]:
        """Yield every request of ``requester``, newest first (from ``until``); no event."""
        return self.store.iter_by_requester(requester, until=until)

    def iter_by_status(
        self, status: RequestStatus, *, until: datetime | None = None
    ) -> Iterator[Request]:
        """Yield every request in ``status``, newest first (from ``until``); no event."""
        return self.store.iter_by_status(status, until=until)

    def iter_by_profile(self, profile: str, *, until: datetime | None = None) -> Iterator[Request]:
        """Yield every request for ``profile``, newest first (from ``until``); no event."""
        return self.store.iter_by_profile(profile, until=until)

    def list_by_requester(self, requester: str, limit: int = DEFAULT_QUERY_LIMIT) -> list[Request]:
        """Return up to ``limit`` requests of ``requester``, newest first; no event."""
        return self.store.list_by_requester(requester, limit)

    def list_by_status(
        self, status: RequestStatus, limit: int = DEFAULT_QUERY_LIMIT
    ) -> list[Request]:
        """Return up to ``limit`` requests in ``status``, newest first; no event."""
        return self.store.list_by_status(status, limit)

    def list_by_profile(self, profile: str, limit: int = DEFAULT_QUERY_LIMIT) -> list[Request]:
        """Return up to ``limit`` requests for ``profile``, newest first; no event."""
        return self.store.list_by_profile(profile, limit)

    def _emit(self, stored: Request, actor: str) -> None:
        if not self.notifiers:
            return
        # A copy of its own: the caller may change the returned Request while notifiers read it.
        event = Event(
            kind=EventKind.for_status(stored.status),
            request=dataclasses.replace(stored),
            actor=actor,
            at=stored.updated_at,
        )
        if self.dispatcher is None:
            deliver(event, self.notifiers)
        else:
            self.dispatcher.submit(event, self.notifiers)


_DECISIONS = (RequestStatus.APPROVED, RequestStatus.DENIED)

if TYPE_CHECKING:
    # mypy proves the wrapper still satisfies the Store protocol when either one changes.
    _store_check: type[Store] = NotifyingStore
