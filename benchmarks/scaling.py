"""Part 4: export/import throughput against scan segments / writer threads (1, 2, 4, 8).

``export_jsonl(segments=n)`` reads the table with ``n`` parallel Scan segments, one thread each;
``import_jsonl(workers=n)`` (create-only, the default mode) sends ``n`` conditional PutItems at a
time on a server without transactions (dynalite). Where the server has transactions (moto),
create-only sends one TransactWriteItems of 100 puts at a time whatever ``workers`` says, so
that curve is measured on dynalite only. On loopback with 2 cores the server's CPU, not latency,
bounds both: the curve shows what parallelism costs or gains here, not what it gains against
DynamoDB's network latency.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

from benchmarks.bulk import _timed, library_export, library_import
from benchmarks.common import Server, drop_table, median, new_store, seed

PARALLELISM = (1, 2, 4, 8)


def measure(
    server: Server,
    source: Path,
    requests: list[Any],
    workdir: Path,
    export_repeats: int = 1,
    import_curve: bool = True,
) -> dict[str, Any]:
    """Measure both curves on ``server`` with the requests in ``source`` (the import curve only
    with ``import_curve``); return them.

    Each export runs ``export_repeats`` times (the segment counts interleaved) and the median
    is kept: on a fast server one export takes a fraction of a second.
    """
    exported = new_store(server.endpoint, "scaling")
    seed(exported, requests)
    export: list[dict[str, float]] = []
    imports: list[dict[str, float]] = []
    try:
        target = workdir / "scaling.jsonl"
        runs: dict[int, list[float]] = {segments: [] for segments in PARALLELISM}
        for _ in range(export_repeats):
            for segments in PARALLELISM:
                sample = _timed(partial(library_export, exported, target, segments))
                target.unlink()
                runs[segments].append(sample["items_per_s"])
        export = [{"segments": n, "items_per_s": median(runs[n])} for n in PARALLELISM]
    finally:
        drop_table(exported)
    for workers in PARALLELISM if import_curve else ():
        store = new_store(server.endpoint, "scaling")
        try:
            sample = _timed(partial(library_import, store, source, "create-only", workers))
            imports.append({"workers": workers, "items_per_s": sample["items_per_s"]})
        finally:
            drop_table(store)
    return {
        "server": server.name,
        "items": len(requests),
        "export": export,
        "import": imports,
    }
