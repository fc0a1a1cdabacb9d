"""Part 3b: peak RSS of export_jsonl at two table sizes, each in its own child process.

``python -m benchmarks.memory ENDPOINT TABLE OUTPUT`` exports ``TABLE`` to ``OUTPUT`` and prints
one JSON line: the child's peak RSS after start-up and after the export, in MB. A fresh process
per size keeps one size's peak from hiding the other's.

The peak is ``VmHWM`` from ``/proc/self/status`` (Linux), the high-water mark of this process
image's memory. ``resource.getrusage(RUSAGE_SELF).ru_maxrss`` is recorded beside it but is not
used: Linux carries it across fork and exec, so a child started by a large parent (this runner
holds matplotlib and 20k requests) reports the parent's size until it grows past it.
"""

from __future__ import annotations

import json
import logging
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, Server, drop_table, new_store, sample_requests, seed

GROWTH_LIMIT_MB = 30.0


def _peak_mb() -> float:
    """Peak RSS of this process image in MB (VmHWM; ru_maxrss where /proc is missing)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024.0
    except OSError:
        pass
    return _maxrss_mb()


def _maxrss_mb() -> float:
    # ru_maxrss is in kilobytes on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _child(endpoint: str, table: str, output: str) -> None:
    from approvals import DynamoDBStore
    from approvals.migrate import export_jsonl
    from benchmarks.common import REGION, use_dummy_aws_environment

    use_dummy_aws_environment()
    logging.getLogger("approvals").setLevel(logging.ERROR)
    store = DynamoDBStore(table, region=REGION, host=endpoint)
    started = _peak_mb()
    with open(output, "w", encoding="utf-8") as out:
        written = export_jsonl(store, out).written
    print(
        json.dumps(
            {
                "items": written,
                "peak_mb_before": started,
                "peak_mb_after": _peak_mb(),
                "ru_maxrss_mb": _maxrss_mb(),
            }
        )
    )


def measure(server: Server, sizes: tuple[int, ...], workdir: Path) -> dict[str, Any]:
    """Export tables of each size on ``server`` in a child process; return the peaks."""
    rows = []
    for size in sizes:
        store = new_store(server.endpoint, f"rss{size}")
        try:
            seed(store, sample_requests(size))
            output = workdir / f"rss-{size}.jsonl"
            finished = subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "benchmarks.memory",
                    server.endpoint,
                    store.table_name,
                    str(output),
                ],
                cwd=REPO,
                check=True,
                capture_output=True,
                text=True,
            )
            output.unlink()
            row = json.loads(finished.stdout.strip().splitlines()[-1])
            rows.append({"size": size, **row})
        finally:
            drop_table(store)
    growth = rows[-1]["peak_mb_after"] - rows[0]["peak_mb_after"]
    return {
        "server": server.name,
        "rows": rows,
        "growth_mb": growth,
        "limit_mb": GROWTH_LIMIT_MB,
        "met": growth < GROWTH_LIMIT_MB,
    }


if __name__ == "__main__":
    _child(*sys.argv[1:4])
