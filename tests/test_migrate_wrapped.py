"""approvals.migrate through a wrapper: NotifyingStore(DynamoDBStore) keeps DynamoDB's paths.

A wrapper forwards ``dynamodb_table()``, so a bulk rewrite through it is one conditional PutItem
per item (never get, compare, delete, create, which could overwrite a concurrent approval), and
it emits no event for a rewrite: only real transitions, through the store's update, are events.
"""

from __future__ import annotations

import dataclasses

import pytest

from approvals import DynamoDBStore, RequestStatus
from approvals.events import Event, EventKind, NotifyingStore
from approvals.migrate import rewrite, sweep_expired
from tests.helpers import make_dynamodb_store
from tests.migrate_support import RoundTrips, approving_meanwhile, new_requests

COUNT = 12


class Recorder:
    """A notifier that keeps every event it is given."""

    def __init__(self) -> None:
        self.events: list[Event] = []

    def notify(self, event: Event) -> None:
        self.events.append(event)


@pytest.fixture
def inner(moto: None) -> DynamoDBStore:
    return make_dynamodb_store()


def test_a_rewrite_through_the_wrapper_is_one_conditional_put_per_item_and_no_event(
    inner: DynamoDBStore,
) -> None:
    requests = [inner.create(request) for request in new_requests(COUNT)]
    recorder = Recorder()
    wrapped = NotifyingStore(inner, recorder)

    with RoundTrips(wrapped.dynamodb_table().client) as trips:
        report = rewrite(
            wrapped, lambda r: dataclasses.replace(r, profile="production-eu"), segments=1
        )

    assert (report.scanned, report.written, report.conflicts) == (COUNT, COUNT, 0)
    assert [event.kind for event in recorder.events] == []
    assert dict(trips.counts) == {"Scan": 1, "PutItem": COUNT}
    assert {inner.get(r.id).profile for r in requests} == {"production-eu"}


def test_a_rewrite_through_the_wrapper_never_overwrites_a_concurrent_approval(
    inner: DynamoDBStore,
) -> None:
    request = inner.create(new_requests(1)[0])
    recorder = Recorder()
    wrapped = NotifyingStore(inner, recorder)

    report = rewrite(wrapped, approving_meanwhile(wrapped))

    assert (report.conflicts, report.written) == (1, 0)
    stored = inner.get(request.id)
    assert (stored.status, stored.profile) == (RequestStatus.APPROVED, "production")
    assert [event.kind for event in recorder.events] == [EventKind.APPROVED]


def test_a_sweep_through_the_wrapper_emits_one_expired_event_per_transition(
    inner: DynamoDBStore,
) -> None:
    requests = [inner.create(request) for request in new_requests(3)]
    recorder = Recorder()
    wrapped = NotifyingStore(inner, recorder)
    after_expiry = max(r.expires_at for r in requests) + (requests[0].duration)

    report = sweep_expired(wrapped, now=after_expiry)

    assert report.written == 3
    assert sorted(event.request_id for event in recorder.events) == sorted(r.id for r in requests)
    assert {event.kind for event in recorder.events} == {EventKind.EXPIRED}
