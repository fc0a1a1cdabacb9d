"""Part 1: DynamoDB round trips per store operation, beside the Go service's count.

Every HTTP request the store's botocore client sends is counted with a ``before-send`` hook,
SDK retries included. Each operation runs against moto's server (which returns the old item when
a condition fails) and dynalite (which does not, so classifying a lost race costs one consistent
read more).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from approvals import ConcurrentModification, DynamoDBStore, find_approved_request
from benchmarks.common import UTC, Server, drop_table, new_store, sample_request, seed

LISTED = 250

# The Go service's round trips for the same operation, read from its request store.
GO_ROUND_TRIPS: dict[str, tuple[int, str]] = {
    "create": (1, "PutItem with attribute_not_exists(id)"),
    "get": (1, "GetItem"),
    "update": (2, "GetItem, then a conditional PutItem of the whole item"),
    "delete": (1, "DeleteItem"),
    f"list {LISTED}": (1, "one Query (Limit = the list limit)"),
    "find_approved_request": (1, "one Query capped at 1000 items"),
    "update that loses a race": (3, "GetItem, failed conditional PutItem, GetItem to classify"),
}
SINGLE_ITEM = ("create", "get", "update", "delete", "update that loses a race")


class RoundTripCounter:
    """Records the DynamoDB operation of every HTTP request a botocore client sends."""

    def __init__(self, botocore_client: Any) -> None:
        self.calls: list[str] = []
        botocore_client.meta.events.register("before-send.dynamodb.*", self._count)

    def _count(self, request: Any, **_: Any) -> None:
        # Returns None: a value returned from before-send would replace the HTTP response.
        target = request.headers["X-Amz-Target"]
        name = target.decode() if isinstance(target, bytes) else str(target)
        self.calls.append(name.rsplit(".", 1)[-1])

    @contextmanager
    def counting(self) -> Iterator[list[str]]:
        """Yield the list the calls made inside the ``with`` block are appended to."""
        self.calls = []
        yield self.calls


def _scenarios(store: DynamoDBStore, now: datetime) -> list[tuple[str, Callable[[], str]]]:
    """(operation, run it and return what it answered) in the order they must run."""
    request = sample_request(0, requester="carol", now=now)
    state: dict[str, Any] = {}

    def create() -> str:
        state["created"] = store.create(request)
        return "created"

    def get() -> str:
        state["read"] = store.get(request.id)
        return "read"

    def update() -> str:
        return store.update(state["read"].approve("bob")).status.value

    def delete() -> str:
        store.delete(request.id)
        return "deleted"

    def listed() -> str:
        return f"{len(store.list_by_requester('dave', limit=LISTED))} requests"

    def find() -> str:
        found = find_approved_request(store, "dave", "production", now=now)
        return "found the oldest" if found is not None and found.id == state["oldest"] else "?"

    def lost_race() -> str:
        # The caller read the request, then another writer cancelled it.
        try:
            store.update(state["stale"].approve("bob"))
        except ConcurrentModification:
            return "ConcurrentModification"
        return "written (the race was not lost?)"

    # Setup, not counted: dave has LISTED requests; only the oldest one grants access, so
    # find_approved_request has to read all of them.
    history = [
        sample_request(minutes * 60, requester="dave", now=now).cancel(now=now)
        for minutes in range(1, LISTED)
    ]
    oldest = dataclasses.replace(
        sample_request(LISTED * 60, requester="dave", now=now), duration=timedelta(hours=8)
    ).approve("bob", now=now)
    seed(store, [*history, oldest])
    state["oldest"] = oldest.id
    stale = store.create(sample_request(1, requester="erin", now=now))
    store.update(stale.cancel())
    state["stale"] = stale

    return [
        ("create", create),
        ("get", get),
        ("update", update),
        ("delete", delete),
        (f"list {LISTED}", listed),
        ("find_approved_request", find),
        ("update that loses a race", lost_race),
    ]


def measure(server: Server) -> dict[str, Any]:
    """Count the round trips of each operation on ``server``; return them with Go's and targets."""
    store = new_store(server.endpoint, "roundtrips")
    try:
        counter = RoundTripCounter(store.dynamodb_table().client)
        rows = []
        for operation, run in _scenarios(store, datetime.now(UTC)):
            with counter.counting() as calls:
                answer = run()
            go_count, go_calls = GO_ROUND_TRIPS[operation]
            target = _target(operation, server, go_count)
            rows.append(
                {
                    "operation": operation,
                    "round_trips": len(calls),
                    "calls": list(calls),
                    "answer": answer,
                    "go_round_trips": go_count,
                    "go_calls": go_calls,
                    "target": target,
                    "met": None if target is None else len(calls) <= target,
                }
            )
        return {"server": server.name, "returns_old_item": server.returns_old_item, "rows": rows}
    finally:
        drop_table(store)


def _target(operation: str, server: Server, go_count: int) -> int | None:
    if operation == "update that loses a race" and not server.returns_old_item:
        return None  # the target applies where the server returns the old item
    return 1 if operation in SINGLE_ITEM else go_count
