"""Races: 16 threads on one store, every scenario repeated; nothing is lost or doubled.

They run on MemoryStore, SQLiteStore and dynalite (an HTTP server that serializes conditional
writes). moto, in-process or as a server, does not serialize concurrent conditional writes (raw
boto3 sees two winners of one conditional UpdateItem), so a race there would measure moto, not
this library. SQLiteStore also races across processes: several processes, each with its own
store on one file, as the CLI, a web app and a migration script share the local store.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest

from approvals import (
    ApprovalsError,
    ConcurrentModification,
    InvalidStateTransition,
    MemoryStore,
    RequestExists,
    RequestStatus,
    SQLiteStore,
    Store,
)
from tests.helpers import make_dynamodb_store, new_request
from tests.reliability import record

THREADS = 16
ROUNDS = 50
T = TypeVar("T")


@pytest.fixture(params=["memory", "sqlite", "dynalite"])
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def race_store(request: pytest.FixtureRequest, backend: str) -> Store:
    if backend == "memory":
        return MemoryStore()
    if backend == "sqlite":
        store = SQLiteStore(request.getfixturevalue("tmp_path") / "requests.sqlite3")
        request.addfinalizer(store.close)
        return store
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


PROCESSES = 4
PROCESS_ROUNDS = 25


@contextmanager
def _processes(
    target: Callable[..., None], leading: Callable[[int], tuple[Any, ...]], parties: int
) -> Iterator[tuple[list[Any], Any]]:
    """Start PROCESSES spawned processes, process ``n`` running ``target(*leading(n), tasks[n],
    results, barrier)`` with a barrier of ``parties``; yield the task queues and the shared
    results queue. On the way out give each process None, join it, and check it exited with 0."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(parties, timeout=60)
    results = context.Queue()
    tasks = [context.Queue() for _ in range(PROCESSES)]
    workers = [
        context.Process(target=target, args=(*leading(n), tasks[n], results, barrier))
        for n in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        yield tasks, results
    finally:
        for queue in tasks:
            queue.put(None)
        for worker in workers:
            worker.join(timeout=60)
    assert all(worker.exitcode == 0 for worker in workers)


def _approve_in_a_process(path: str, worker: int, tasks: Any, results: Any, barrier: Any) -> None:
    """A process with its own store on ``path``: for every request id it is given, its
    THREADS // PROCESSES threads read the request, wait for every racer, then approve it."""
    store = SQLiteStore(path)
    while (request_id := tasks.get()) is not None:
        read = store.get(request_id)
        outcomes: list[tuple[str, str]] = []

        def approve(n: int, read: Any = read, outcomes: Any = outcomes) -> None:
            name = f"approver-{worker}-{n}"
            barrier.wait()
            try:
                store.update(read.approve(name))
                outcomes.append((name, "success"))
            except ApprovalsError as error:
                outcomes.append((name, type(error).__name__))

        threads = [threading.Thread(target=approve, args=(n,)) for n in range(THREADS // PROCESSES)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        results.put(outcomes)
    store.close()


def test_approvers_in_several_processes_on_one_file_exactly_one_wins(tmp_path: Path) -> None:
    path = str(tmp_path / "requests.sqlite3")
    totals: Counter[str] = Counter()
    with (
        SQLiteStore(path) as store,
        _processes(_approve_in_a_process, lambda n: (path, n), THREADS) as (tasks, results),
    ):
        for _ in range(PROCESS_ROUNDS):
            request_id = store.create(new_request()).id
            for queue in tasks:
                queue.put(request_id)
            outcomes = [o for _ in range(PROCESSES) for o in results.get(timeout=120)]
            winners = [name for name, outcome in outcomes if outcome == "success"]
            assert len(winners) == 1
            losers = {outcome for _, outcome in outcomes if outcome != "success"}
            assert losers <= {"ConcurrentModification", "InvalidStateTransition"}
            stored = store.get(request_id)
            assert stored.status is RequestStatus.APPROVED and stored.approver == winners[0]
            totals += Counter(outcome for _, outcome in outcomes)
    record(
        "races",
        f"{THREADS} approvers in {PROCESSES} processes, one request (sqlite file)",
        rounds=PROCESS_ROUNDS,
        **totals,
    )


def _open_new_files_in_a_process(tasks: Any, results: Any, barrier: Any) -> None:
    """For every path it is given, wait for every process, then open a store on the (new) file
    and create one request in it."""
    while (path := tasks.get()) is not None:
        barrier.wait()
        try:
            with SQLiteStore(path) as store:
                store.create(new_request())
            results.put("success")
        except ApprovalsError as error:
            results.put(type(error).__name__)


def test_processes_opening_a_new_file_at_once_all_get_one_schema(tmp_path: Path) -> None:
    rounds = 5
    totals: Counter[str] = Counter()
    with _processes(_open_new_files_in_a_process, lambda n: (), PROCESSES) as (tasks, results):
        for number in range(rounds):
            path = tmp_path / f"round-{number}" / "requests.sqlite3"
            for queue in tasks:
                queue.put(str(path))
            outcomes = Counter(results.get(timeout=120) for _ in range(PROCESSES))
            assert outcomes == {"success": PROCESSES}
            with SQLiteStore(path) as store:
                assert len(store.list_by_requester("alice")) == PROCESSES
            totals += outcomes
    record("races", f"{PROCESSES} processes creating one new file", rounds=rounds, **totals)
