"""Races: 16 threads on one store, every scenario repeated; nothing is lost or doubled.

They run on MemoryStore and dynalite (an HTTP server that serializes conditional writes). moto,
in-process or as a server, does not serialize concurrent conditional writes (raw boto3 sees two
winners of one conditional UpdateItem), so a race there would measure moto, not this library.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Callable
from typing import Any, TypeVar

import pytest

from approvals import (
    ApprovalsError,
    ConcurrentModification,
    InvalidStateTransition,
    MemoryStore,
    RequestExists,
    RequestStatus,
    Store,
)
from tests.helpers import make_dynamodb_store, new_request
from tests.reliability import record

THREADS = 16
ROUNDS = 50
T = TypeVar("T")


@pytest.fixture(params=["memory", "dynalite"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def race_store(request: pytest.FixtureRequest, backend: str) -> Store:
    if backend == "memory":
        return MemoryStore()
    endpoint = request.getfixturevalue("dynalite_endpoint")
    return make_dynamodb_store(endpoint, max_pool_connections=THREADS * 2)


def race(workers: list[Callable[[], T]]) -> list[T | ApprovalsError]:
    """Run every worker in its own thread, released together; return results or errors."""
    barrier = threading.Barrier(len(workers))
    results: list[T | ApprovalsError] = [None] * len(workers)  # type: ignore[list-item]

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = workers[index]()
        except ApprovalsError as error:
            results[index] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def _outcomes(results: list[Any]) -> Counter[str]:
    return Counter(
        type(r).__name__ if isinstance(r, ApprovalsError) else "success" for r in results
    )


def test_many_approvers_on_one_request_exactly_one_wins(race_store: Store, backend: str) -> None:
    totals: Counter[str] = Counter()
    for _ in range(ROUNDS):
        read = race_store.create(new_request())

        def decide(n: int, read: Any = read) -> Any:
            move = read.approve if n % 2 else read.deny
            return race_store.update(move(f"approver-{n}", f"decision {n}"))

        results = race([lambda n=n: decide(n) for n in range(THREADS)])
        winners = [r for r in results if not isinstance(r, ApprovalsError)]
        assert len(winners) == 1
        losers = [r for r in results if isinstance(r, ApprovalsError)]
        assert all(isinstance(r, ConcurrentModification | InvalidStateTransition) for r in losers)
        assert race_store.get(read.id) == winners[0]
        totals += _outcomes(results)
    record("races", f"{THREADS} approvers, one request ({backend})", rounds=ROUNDS, **totals)


def test_approvers_reading_fresh_never_double_approve(race_store: Store, backend: str) -> None:
    totals: Counter[str] = Counter()
    for _ in range(ROUNDS):
        request_id = race_store.create(new_request()).id

        def approve(n: int, request_id: str = request_id) -> Any:
            return race_store.update(race_store.get(request_id).approve(f"approver-{n}"))

        results = race([lambda n=n: approve(n) for n in range(THREADS)])
        winners = [r for r in results if not isinstance(r, ApprovalsError)]
        assert len(winners) == 1
        assert race_store.get(request_id).approver == winners[0].approver
        totals += _outcomes(results)
    record(
        "races", f"{THREADS} read-then-approve, one request ({backend})", rounds=ROUNDS, **totals
    )


def test_concurrent_creates_of_one_id_exactly_one_succeeds(race_store: Store, backend: str) -> None:
    totals: Counter[str] = Counter()
    for _ in range(ROUNDS):
        template = new_request()
        candidates = [
            dataclasses.replace(new_request(f"user-{n}"), id=template.id) for n in range(THREADS)
        ]
        results = race([lambda c=c: race_store.create(c) for c in candidates])
        winners = [r for r in results if not isinstance(r, ApprovalsError)]
        assert len(winners) == 1
        assert all(isinstance(r, RequestExists) for r in results if r is not winners[0])
        assert race_store.get(template.id) == winners[0]
        totals += _outcomes(results)
    record("races", f"{THREADS} creates, one id ({backend})", rounds=ROUNDS, **totals)


def test_concurrent_creates_of_distinct_ids_are_all_stored(race_store: Store, backend: str) -> None:
    stored = 0
    for round_number in range(ROUNDS):
        requester = f"round-{round_number}"
        requests = [new_request(requester) for _ in range(THREADS)]
        results = race([lambda r=r: race_store.create(r) for r in requests])
        assert not any(isinstance(r, ApprovalsError) for r in results)
        listed = {r.id for r in race_store.iter_by_requester(requester)}
        assert listed == {r.id for r in requests}
        stored += len(listed)
    record("races", f"{THREADS} creates, distinct ids ({backend})", rounds=ROUNDS, stored=stored)


def test_workers_retrying_on_conflict_lose_no_update(race_store: Store, backend: str) -> None:
    """Workers drain a queue of pending requests, retrying on conflicts: every request is
    decided exactly once, by the worker whose update succeeded."""
    per_round = 8
    lost = conflicts_retried = decided = 0
    for round_number in range(ROUNDS):
        profile = f"queue-{round_number}"
        created = {race_store.create(new_request(profile=profile)).id for _ in range(per_round)}
        lock = threading.Lock()
        won: dict[str, str] = {}
        retried = Counter[str]()

        def worker(
            n: int,
            profile: str = profile,
            lock: threading.Lock = lock,
            won: dict[str, str] = won,
            retried: Counter[str] = retried,
        ) -> int:
            name = f"approver-{n}"
            while True:
                pending = race_store.list_by_status(RequestStatus.PENDING, limit=1000)
                candidates = [r for r in pending if r.profile == profile]
                if not candidates:
                    return 0
                target = candidates[n % len(candidates)]
                try:
                    stored = race_store.update(target.approve(name))
                except (ConcurrentModification, InvalidStateTransition):
                    with lock:
                        retried[name] += 1
                    continue
                with lock:
                    assert stored.id not in won
                    won[stored.id] = name

        race([lambda n=n: worker(n) for n in range(THREADS)])
        assert set(won) == created
        for request_id, name in won.items():
            stored = race_store.get(request_id)
            assert stored.status is RequestStatus.APPROVED
            lost += stored.approver != name
        decided += len(won)
        conflicts_retried += sum(retried.values())
    assert lost == 0
    record(
        "races",
        f"{THREADS} workers draining a queue with retries ({backend})",
        rounds=ROUNDS,
        decided=decided,
        conflicts_retried=conflicts_retried,
        lost_updates=lost,
    )
