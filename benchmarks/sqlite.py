"""Part 6: SQLiteStore, the local store: operations per second, and start-up at 100,000 requests.

``python -m benchmarks.sqlite [--quick]`` runs only this part and prints its table and JSON;
``python -m benchmarks.run --parts sqlite`` runs it as part of the suite.

Every figure is one thread of one process on a file in a temporary directory (on the disk the
system keeps ``/tmp`` on), with the store's own settings: write-ahead logging and
``synchronous=FULL``, so each create and update is one transaction that reaches the disk before
the call returns. Start-up is measured in a fresh process per sample: the time from
``SQLiteStore(path)`` to the first ``get`` returning, on a file already holding the requests
(the OS has the file cached, as it would for a CLI run after an earlier one).
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from approvals import Request, RequestStatus, SQLiteStore
from approvals.migrate import encode_item, import_jsonl
from approvals.store._sqlite import COLUMNS, encode
from benchmarks.common import REPO, machine, median, sample_request, sample_requests

TARGETS = {"create_per_s": 2_000.0, "get_per_s": 20_000.0, "startup_ms": 100.0}
COMMAND = "python -m benchmarks.sqlite"
SYNCHRONOUS: tuple[Literal["full", "normal"], ...] = ("full", "normal")

_CHILD = """
import json, sys, time
started = time.perf_counter()
from approvals import SQLiteStore
imported = time.perf_counter()
store = SQLiteStore(sys.argv[1])
request = store.get(sys.argv[2])
ready = time.perf_counter()
store.list_by_status("pending", limit=100)
listed = time.perf_counter()
print(json.dumps({
    "import_ms": (imported - started) * 1000,
    "open_and_first_get_ms": (ready - imported) * 1000,
    "first_list_ms": (listed - ready) * 1000,
}))
"""


def fsync_ms(path: Path, writes: int = 200) -> float:
    """Median milliseconds of one 4 kB write + fsync on the disk of ``path``: the floor under a
    ``synchronous="full"`` write, which flushes the write-ahead log once per transaction."""
    samples = []
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for _ in range(writes):
            started = time.perf_counter()
            os.write(descriptor, b"x" * 4096)
            os.fsync(descriptor)
            samples.append((time.perf_counter() - started) * 1000)
    finally:
        os.close(descriptor)
    return round(median(samples), 2)


def _rate(calls: int, action: Callable[[int], Any], rounds: int) -> float:
    """Median calls per second of ``action(0..calls-1)`` over ``rounds`` timed rounds."""
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        for number in range(calls):
            action(number)
        samples.append(calls / (time.perf_counter() - started))
    return median(samples)


def operations(
    path: Path, calls: int, gets: int, rounds: int, synchronous: Literal["full", "normal"]
) -> dict[str, float]:
    """Calls per second of each store operation on a new file at ``path``."""
    with SQLiteStore(path, synchronous=synchronous) as store:
        fresh = [
            [sample_request(n, requester=f"user-{n % 50:02d}") for n in range(calls)]
            for _ in range(rounds)
        ]
        batches = iter(fresh)
        current: list[Any] = []

        def create(number: int) -> None:
            nonlocal current
            if number == 0:
                current = next(batches)
            store.create(current[number])

        rates = {"create_per_s": _rate(calls, create, rounds)}
        ids = [r.id for batch in fresh for r in batch]
        chosen = random.Random(1).choices(ids, k=gets)
        rates["get_per_s"] = _rate(gets, lambda n: store.get(chosen[n]), rounds)
        reads = iter([store.get(request_id) for request_id in ids])
        rates["update_per_s"] = _rate(
            calls, lambda n: store.update(next(reads).approve("approver-1")), rounds
        )
    return rates


def imports(workdir: Path, lines: int, rounds: int) -> dict[str, float]:
    """Seconds to import ``lines`` JSON lines into a new file (median of ``rounds``), per mode."""
    text = "".join(encode_item(raw) for raw in map(_raw_item, sample_requests(lines)))
    seconds: dict[str, float] = {}
    for synchronous in SYNCHRONOUS:
        samples = []
        for number in range(rounds):
            path = workdir / f"import-{synchronous}-{number}.sqlite3"
            with SQLiteStore(path, synchronous=synchronous) as store:
                started = time.perf_counter()
                import_jsonl(store, io.StringIO(text))
                samples.append(time.perf_counter() - started)
        seconds[synchronous] = round(median(samples), 2)
    return seconds


def _raw_item(request: Request) -> dict[str, dict[str, str]]:
    """The DynamoDB item of ``request``, as an export writes it."""
    row = dict(zip(COLUMNS, encode(request), strict=True))
    return {
        name: {"N": str(value)} if isinstance(value, int) else {"S": value}
        for name, value in row.items()
    }


def lists(path: Path, rounds: int) -> dict[str, float]:
    """Lists of 100 per second on the seeded file (requests a second apart, 50 requesters)."""
    with SQLiteStore(path) as store:
        return {
            "list_by_requester_100_per_s": _rate(
                200, lambda n: store.list_by_requester(f"user-{n % 50:02d}", limit=100), rounds
            ),
            "list_by_status_100_per_s": _rate(
                200, lambda n: store.list_by_status(RequestStatus.PENDING, limit=100), rounds
            ),
        }


def seed(path: Path, count: int) -> str:
    """Fill a new file at ``path`` with ``count`` requests in one transaction (setup, not
    measured, without the store's per-call checks); return the id of one of them."""
    SQLiteStore(path).close()  # the schema, as the store makes it
    # sample_requests spaces requests a second apart, all still open: at most a day's worth
    # per call.
    now, chunk = datetime.now(timezone.utc), 50_000
    requests = [
        request
        for start in range(0, count, chunk)
        for request in sample_requests(
            min(chunk, count - start), now=now - timedelta(seconds=start)
        )
    ]
    connection = sqlite3.connect(path)
    try:
        with connection:
            connection.executemany(
                f"INSERT INTO requests ({', '.join(COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(COLUMNS))})",
                (encode(r) for r in requests),
            )
    finally:
        connection.close()
    return requests[count // 2].id


def startup(path: Path, request_id: str, samples: int) -> dict[str, float]:
    """Median milliseconds of a fresh process's import, open + first get, and first list."""
    runs = []
    for _ in range(samples):
        answer = subprocess.run(
            [sys.executable, "-c", _CHILD, str(path), request_id],
            cwd=REPO,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(answer.stdout))
    return {name: round(median([run[name] for run in runs]), 2) for name in runs[0]}


def measure(
    workdir: Path,
    *,
    calls: int = 3_000,
    gets: int = 20_000,
    startup_rows: int = 100_000,
    rounds: int = 3,
    startup_samples: int = 7,
) -> dict[str, Any]:
    """Run the part in ``workdir``; return its figures, each with its target and verdict."""
    # The disk's flush time varies with what else runs: measured just before each mode.
    flush_ms, rates = {}, {}
    for synchronous in SYNCHRONOUS:
        flush_ms[synchronous] = fsync_ms(workdir / "fsync")
        rates[synchronous] = operations(
            workdir / f"operations-{synchronous}.sqlite3", calls, gets, rounds, synchronous
        )
    big = workdir / "startup.sqlite3"
    request_id = seed(big, startup_rows)
    started = startup(big, request_id, startup_samples)
    listed = lists(big, rounds)
    imported = imports(workdir, calls, rounds)
    return {
        "calls": calls,
        "gets": gets,
        "rounds": rounds,
        "startup_rows": startup_rows,
        "startup_samples": startup_samples,
        "file_mb": round(big.stat().st_size / 2**20, 1),
        "fsync_ms": flush_ms,
        "per_s": {
            synchronous: {name: round(value) for name, value in figures.items()}
            for synchronous, figures in rates.items()
        },
        "startup_ms": started,
        "lists_per_s": {name: round(value) for name, value in listed.items()},
        "import_s": imported,
        "targets": TARGETS,
        "met": {
            **{
                f"{name} ({synchronous})": figures[name] >= TARGETS[name]
                for synchronous, figures in rates.items()
                for name in ("create_per_s", "get_per_s")
            },
            "startup_ms": started["open_and_first_get_ms"] < TARGETS["startup_ms"],
        },
    }


def report(part: dict[str, Any]) -> None:
    """Print the part's table."""
    print(
        f"\nSQLiteStore, one thread (median of {part['rounds']} rounds; {part['calls']} "
        f"creates/updates, {part['gets']} gets per round)"
    )
    print(f"  {'calls per second':<18}" + "".join(f"{f'synchronous={s}':>20}" for s in SYNCHRONOUS))
    for name in part["per_s"][SYNCHRONOUS[0]]:
        cells = []
        for synchronous in SYNCHRONOUS:
            value = part["per_s"][synchronous][name]
            verdict = part["met"].get(f"{name} ({synchronous})")
            mark = "" if verdict is None else (" met" if verdict else " MISSED")
            cells.append(f"{value:>,}{mark}")
        target = TARGETS.get(name)
        goal = "" if target is None else f"  (goal >= {target:,.0f})"
        print(f"  {name:<18}" + "".join(f"{cell:>20}" for cell in cells) + goal)
    print(
        f"  {'one 4 kB fsync ms':<18}"
        + "".join(f"{part['fsync_ms'][s]:>20}" for s in SYNCHRONOUS)
        + "  (just before)"
    )
    times = part["startup_ms"]
    verdict = "met" if part["met"]["startup_ms"] else "MISSED"
    print(
        f"Start-up on {part['startup_rows']:,} requests ({part['file_mb']} MB), fresh process, "
        f"median of {part['startup_samples']}:"
    )
    print(
        f"  open + first get {times['open_and_first_get_ms']:.1f} ms "
        f"(goal < {TARGETS['startup_ms']:.0f}: {verdict}); first list of 100 "
        f"{times['first_list_ms']:.1f} ms; import approvals {times['import_ms']:.1f} ms"
    )
    for name, value in part["lists_per_s"].items():
        print(f"  {name:<28}{value:>8,}")
    print(
        f"import_jsonl of {part['calls']:,} lines into a new file: "
        + ", ".join(f"{seconds} s ({mode})" for mode, seconds in part["import_s"].items())
    )


def main(argv: list[str] | None = None) -> int:
    """Run this part alone; print its table and its JSON (with the machine)."""
    parser = argparse.ArgumentParser(prog=COMMAND, description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)
    sizes: dict[str, int] = (
        {"calls": 300, "gets": 2_000, "startup_rows": 5_000, "startup_samples": 3}
        if args.quick
        else {}
    )
    with tempfile.TemporaryDirectory() as scratch:
        part = measure(Path(scratch), **sizes)
    report(part)
    print(json.dumps({"command": COMMAND, "machine": machine(), "sqlite": part}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
