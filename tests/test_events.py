"""NotifyingStore: one event per successful transition, none otherwise; notifier failures isolated.

The store contract itself runs on NotifyingStore through the "notifying-memory" backend of
tests/conftest.py; these tests specify what it adds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

import pytest

from approvals import (
    ConcurrentModification,
    InvalidStateTransition,
    MemoryStore,
    Request,
    RequestExists,
    RequestNotFound,
    RequestStatus,
    Store,
    StoreError,
    ValidationError,
)
from approvals.events import (
    BackgroundDispatcher,
    Event,
    EventKind,
    Notifier,
    NotifyingStore,
    deliver,
)
from approvals.times import format_time
from tests.helpers import make_dynamodb_store, new_request, run_python


class Recorder:
    """A notifier that keeps what it is told."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def notify(self, event: Event) -> None:
        self.events.append(event)

    @property
    def kinds(self) -> list[EventKind]:
        return [event.kind for event in self.events]


class Failing:
    """A notifier that always raises."""

    def notify(self, event: Event) -> None:
        raise RuntimeError("chat service is down")


class Gate:
    """A notifier that blocks until released, telling when it started waiting."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self.release = threading.Event()

    def notify(self, event: Event) -> None:
        self.started.set()
        assert self.release.wait(10), "the test never released the gate"


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def store(recorder: Recorder) -> NotifyingStore:
    return NotifyingStore(MemoryStore(), recorder)


# -- what is emitted ----------------------------------------------------------------------


def test_notifying_store_is_a_store() -> None:
    assert isinstance(NotifyingStore(MemoryStore()), Store)


def test_built_in_recorder_satisfies_the_notifier_protocol(recorder: Recorder) -> None:
    assert isinstance(recorder, Notifier)


def test_create_emits_one_created_event_with_the_requester_as_actor(
    store: NotifyingStore, recorder: Recorder
) -> None:
    created = store.create(new_request("alice"))

    assert recorder.kinds == [EventKind.CREATED]
    event = recorder.events[0]
    assert event.request == created
    assert event.actor == "alice"
    assert event.at == created.updated_at


# transition: (what the caller does, the actor it names, the event, the event's actor)
TRANSITIONS: dict[str, tuple[Callable[[Request], Request], str | None, EventKind, str]] = {
    "approve": (lambda r: r.approve("bob", "go ahead"), None, EventKind.APPROVED, "bob"),
    "deny": (lambda r: r.deny("carol", "not during the freeze"), None, EventKind.DENIED, "carol"),
    "cancel-by-alice": (lambda r: r.cancel(), "alice", EventKind.CANCELLED, "alice"),
    "expire-by-nobody": (lambda r: r.expire(), None, EventKind.EXPIRED, ""),
}


@pytest.mark.parametrize(
    ("transition", "actor", "kind", "event_actor"), TRANSITIONS.values(), ids=TRANSITIONS.keys()
)
def test_a_transition_emits_its_event_with_the_approver_or_the_actor_the_caller_names(
    store: NotifyingStore,
    recorder: Recorder,
    transition: Callable[[Request], Request],
    actor: str | None,
    kind: EventKind,
    event_actor: str,
) -> None:
    created = store.create(new_request("alice"))
    stored = store.update(transition(created), actor=actor)

    assert recorder.kinds == [EventKind.CREATED, kind]
    event = recorder.events[1]
    assert event.actor == event_actor
    assert event.request == stored
    assert event.request.status.value == kind.value


def test_event_time_is_the_stored_updated_at_of_the_transition(
    store: NotifyingStore, recorder: Recorder
) -> None:
    created = store.create(new_request("alice"))
    approved = store.update(created.approve("bob"))

    assert recorder.events[1].at == approved.updated_at
    assert recorder.events[1].at > created.updated_at


def test_reads_and_deletes_emit_nothing(store: NotifyingStore, recorder: Recorder) -> None:
    created = store.create(new_request("alice"))
    recorder.events.clear()

    store.get(created.id)
    list(store.iter_by_requester("alice"))
    list(store.iter_by_status(RequestStatus.PENDING))
    list(store.iter_by_profile("production"))
    store.list_by_requester("alice")
    store.list_by_status(RequestStatus.PENDING)
    store.list_by_profile("production")
    store.delete(created.id)

    assert recorder.events == []


def test_event_request_is_not_the_object_returned_to_the_caller(
    store: NotifyingStore, recorder: Recorder
) -> None:
    created = store.create(new_request("alice"))
    created.approver = "changed by the caller afterwards"

    assert recorder.events[0].request.approver == ""


def test_event_kind_follows_every_status() -> None:
    assert {status: EventKind.for_status(status) for status in RequestStatus} == {
        RequestStatus.PENDING: EventKind.CREATED,
        RequestStatus.APPROVED: EventKind.APPROVED,
        RequestStatus.DENIED: EventKind.DENIED,
        RequestStatus.CANCELLED: EventKind.CANCELLED,
        RequestStatus.EXPIRED: EventKind.EXPIRED,
    }


def test_event_to_dict_is_json_ready_with_rfc3339_times() -> None:
    recorder = Recorder()
    notifying = NotifyingStore(MemoryStore(), recorder)
    created = notifying.create(new_request("alice"))
    notifying.update(created.approve("bob", "go ahead"))

    data = recorder.events[1].to_dict()

    assert data["kind"] == "approved"
    assert data["actor"] == "bob"
    assert data["at"] == format_time(recorder.events[1].at)
    assert data["request"]["id"] == created.id
    assert data["request"]["duration_seconds"] == 3600.0
    assert data["request"]["justification"] == created.justification
    assert data["request"]["approver_comment"] == "go ahead"


def test_event_at_is_the_stored_updated_at_even_when_the_lock_token_was_bumped() -> None:
    # A request stored ahead of the clock gets a token one nanosecond past the one it had.
    recorder = Recorder()
    notifying = NotifyingStore(MemoryStore(), recorder)
    ahead = datetime.now(timezone.utc) + timedelta(hours=1)
    created = notifying.create(new_request("alice", now=ahead))
    notifying.update(created.approve("bob", now=ahead))

    data = recorder.events[1].to_dict()

    assert data["at"] == data["request"]["updated_at"]
    assert data["at"] != format_time(recorder.events[1].at)


def test_event_to_dict_without_text_leaves_out_justification_and_comment() -> None:
    recorder = Recorder()
    notifying = NotifyingStore(MemoryStore(), recorder)
    created = notifying.create(new_request("alice"))
    notifying.update(created.approve("bob", "go ahead"))

    data = recorder.events[1].to_dict(include_text=False)

    assert "justification" not in data["request"]
    assert "approver_comment" not in data["request"]
    assert created.justification not in repr(data)


# -- what is not emitted: refused and failed writes ---------------------------------------


def test_invalid_create_raises_and_emits_nothing(store: NotifyingStore, recorder: Recorder) -> None:
    request = new_request("alice")
    request.justification = "short"

    with pytest.raises(ValidationError):
        store.create(request)
    assert recorder.events == []


def test_duplicate_create_raises_and_emits_nothing(
    store: NotifyingStore, recorder: Recorder
) -> None:
    created = store.create(new_request("alice"))
    recorder.events.clear()

    with pytest.raises(RequestExists):
        store.create(created)
    assert recorder.events == []


def test_update_of_a_missing_request_raises_and_emits_nothing(
    store: NotifyingStore, recorder: Recorder
) -> None:
    with pytest.raises(RequestNotFound):
        store.update(new_request("alice").approve("bob"))
    assert recorder.events == []


def test_losing_update_raises_and_emits_only_the_winners_event(
    store: NotifyingStore, recorder: Recorder
) -> None:
    created = store.create(new_request("alice"))
    store.update(created.approve("bob"))

    with pytest.raises(ConcurrentModification):
        store.update(created.deny("carol"))
    assert recorder.kinds == [EventKind.CREATED, EventKind.APPROVED]


def test_transition_of_a_decided_request_raises_and_emits_nothing(
    store: NotifyingStore, recorder: Recorder
) -> None:
    created = store.create(new_request("alice"))
    approved = store.update(created.approve("bob"))
    recorder.events.clear()
    approved.status = RequestStatus.CANCELLED

    with pytest.raises(InvalidStateTransition):
        store.update(approved)
    assert recorder.events == []


def test_store_error_propagates_without_an_event(moto: None, recorder: Recorder) -> None:
    dynamodb = make_dynamodb_store()
    dynamodb.delete_table()
    store = NotifyingStore(dynamodb, recorder)

    with pytest.raises(StoreError):
        store.create(new_request("alice"))
    assert recorder.events == []


def test_events_over_dynamodb_are_one_per_transition(moto: None, recorder: Recorder) -> None:
    store = NotifyingStore(make_dynamodb_store(), recorder)
    created = store.create(new_request("alice"))
    store.update(created.approve("bob"))
    with pytest.raises(ConcurrentModification):
        store.update(created.cancel())

    assert recorder.kinds == [EventKind.CREATED, EventKind.APPROVED]
    assert recorder.events[1].at == store.get(created.id).updated_at


# -- failing notifiers --------------------------------------------------------------------


def test_failing_notifier_does_not_fail_the_write_nor_stop_the_others(
    recorder: Recorder,
) -> None:
    store = NotifyingStore(MemoryStore(), Failing(), recorder)

    created = store.create(new_request("alice"))

    assert store.get(created.id) == created
    assert recorder.kinds == [EventKind.CREATED]


def test_failing_notifier_is_logged_with_the_event_and_request(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = NotifyingStore(MemoryStore(), Failing())

    with caplog.at_level(logging.ERROR, logger="approvals.events"):
        created = store.create(new_request("alice"))

    [record] = caplog.records
    assert record.name == "approvals.events"
    assert "created" in record.getMessage()
    assert created.id in record.getMessage()
    assert record.exc_info is not None
    assert "chat service is down" in caplog.text


def test_deliver_runs_notifiers_in_order_and_counts_failures() -> None:
    order: list[str] = []

    class Named:
        def __init__(self, name: str) -> None:
            self.name = name

        def notify(self, event: Event) -> None:
            order.append(self.name)

    event = Event(EventKind.CREATED, new_request("alice"), "alice", new_request().created_at)
    failures = deliver(event, [Named("first"), Failing(), Named("second")])

    assert order == ["first", "second"]
    assert failures == 1


def test_an_object_without_notify_is_refused_up_front() -> None:
    with pytest.raises(TypeError, match="not a Notifier"):
        NotifyingStore(MemoryStore(), print)  # type: ignore[arg-type]


# -- background dispatch ------------------------------------------------------------------


def test_background_dispatch_returns_before_a_slow_notifier_finishes(
    recorder: Recorder,
) -> None:
    gate = Gate()
    store = NotifyingStore(MemoryStore(), gate, recorder, dispatcher=BackgroundDispatcher())

    store.create(new_request("alice"))

    assert gate.started.wait(10)
    assert recorder.events == []  # still held by the slow notifier, yet create returned
    gate.release.set()
    assert store.dispatcher is not None and store.dispatcher.flush(10)
    assert recorder.kinds == [EventKind.CREATED]
    store.close()


def test_full_queue_drops_events_and_counts_them(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    gate = Gate()
    dispatcher = BackgroundDispatcher(maxsize=1)
    store = NotifyingStore(MemoryStore(), gate, recorder, dispatcher=dispatcher)
    first = store.create(new_request("alice"))
    assert gate.started.wait(10)  # the worker holds the first event: the queue is empty

    second = store.create(new_request("alice"))  # fills the queue
    with caplog.at_level(logging.WARNING, logger="approvals.events"):
        store.create(new_request("alice"))
        store.create(new_request("alice"))

    assert dispatcher.dropped == 2
    assert "dropped" in caplog.text
    gate.release.set()
    store.close()
    assert [event.request_id for event in recorder.events] == [first.id, second.id]


def test_close_delivers_every_queued_event(recorder: Recorder) -> None:
    gate = Gate()
    store = NotifyingStore(MemoryStore(), gate, recorder, dispatcher=BackgroundDispatcher())
    created = store.create(new_request("alice"))
    store.update(created.approve("bob"))
    assert gate.started.wait(10)

    gate.release.set()
    store.close()

    assert recorder.kinds == [EventKind.CREATED, EventKind.APPROVED]


def test_after_close_events_are_delivered_by_the_caller(recorder: Recorder) -> None:
    with NotifyingStore(MemoryStore(), recorder, dispatcher=BackgroundDispatcher()) as store:
        pass

    store.create(new_request("alice"))

    assert recorder.kinds == [EventKind.CREATED]


def test_background_failing_notifier_is_logged_and_the_worker_goes_on(
    recorder: Recorder, caplog: pytest.LogCaptureFixture
) -> None:
    store = NotifyingStore(MemoryStore(), Failing(), recorder, dispatcher=BackgroundDispatcher())

    with caplog.at_level(logging.ERROR, logger="approvals.events"):
        created = store.create(new_request("alice"))
        store.update(created.approve("bob"))
        store.close()

    assert recorder.kinds == [EventKind.CREATED, EventKind.APPROVED]
    assert len(caplog.records) == 2


def test_queued_events_are_delivered_at_interpreter_exit() -> None:
    result = run_python(
        """
        import atexit, threading
        from approvals import MemoryStore
        from approvals.events import BackgroundDispatcher, NotifyingStore
        from tests.helpers import new_request

        gate = threading.Event()

        class Printer:
            def notify(self, event):
                gate.wait(10)
                print(event.kind.value, flush=True)

        store = NotifyingStore(MemoryStore(), Printer(), dispatcher=BackgroundDispatcher())
        # atexit runs handlers last-in first-out: this opens the gate, then the dispatcher's
        # own handler must deliver what is still queued. Without it the daemon worker dies.
        atexit.register(gate.set)
        created = store.create(new_request("alice"))
        store.update(created.approve("bob"))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["created", "approved"]


# -- capabilities of the wrapped store ------------------------------------------------------


@pytest.mark.usefixtures("moto")
def test_a_wrapped_dynamodb_store_offers_its_table_to_bulk_paths() -> None:
    inner = make_dynamodb_store()
    wrapped = NotifyingStore(inner, Recorder())
    table = wrapped.dynamodb_table()
    assert table is inner.dynamodb_table()
    request = new_request()
    raw = table.to_item(request)
    with table.operation("bulk-put", request.id):
        table.client.put_item(TableName=table.table_name, Item=raw)
    assert wrapped.get(request.id) == table.to_request(raw)


def test_a_wrapped_store_without_a_table_has_no_such_capability() -> None:
    wrapped = NotifyingStore(MemoryStore(), Recorder())
    assert not hasattr(wrapped, "dynamodb_table")
    with pytest.raises(AttributeError):
        wrapped.dynamodb_table()
