"""Part 3: bulk throughput, ``approvals.migrate`` beside plain boto3, on loopback servers.

Contenders, on the same JSON Lines file of ``count`` requests and the same server:

``import_jsonl (create-only)``
    the library's default import: every line validated as a request, then TransactWriteItems
    of 100 puts, each conditional on the id being new (never replaces a stored item). Its HTTP
    requests are counted (botocore ``before-send``): the target is at most 10 per 1,000 items.
    moto copies the whole table for every TransactWriteItems call (its rollback), so a
    transaction's time there grows with the table: on moto's server this contender imports only
    the first ``create_only_items`` lines.
``import_jsonl (overwrite)``
    every line validated, then BatchWriteItem calls of 25 items with retries of unprocessed items:
    the same writes as ``batch_writer``, so the like-for-like comparison.
``boto3 batch_writer``
    ``Table.batch_writer()``: each line ``json.loads``-ed and ``put_item``-ed, no validation.
``export_jsonl``
    the library's default export: parallel Scan of 4 segments (one thread each), pages of
    ``approvals.migrate.DEFAULT_PAGE_SIZE`` items (or 1 MB, whichever ends first), consistent
    reads, each item written as a line in the library's format.
``boto3 scan paginator``
    ``client.get_paginator("scan")`` with consistent reads, DynamoDB's 1 MB pages, each item
    written as a line of DynamoDB JSON.

Throughput is items / wall-clock second of the whole call (the server's CPU counts: it runs in
its own process); the client's CPU seconds are recorded beside it. Contenders alternate order
round by round; the median per contender over rounds is reported. Imports and exports have
their own round counts: a 20k-item export takes about a second on dynalite, 20 s on moto.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import boto3

from approvals import DynamoDBStore
from approvals.migrate import DEFAULT_PAGE_SIZE, encode_item, export_jsonl, import_jsonl
from benchmarks.common import REGION, Server, client, drop_table, median, new_store

CREATE_ONLY = "import_jsonl (create-only)"
IMPORTS = (CREATE_ONLY, "import_jsonl (overwrite)", "boto3 batch_writer")
EXPORTS = ("export_jsonl", "boto3 scan paginator")
TARGET_RATIO = 1.0


def write_jsonl_for(requests: list[Any], path: Path) -> Path:
    """Write ``requests`` to ``path`` in the library's JSON Lines format; return ``path``."""
    table = DynamoDBStore(region=REGION, host="http://127.0.0.1:9").dynamodb_table()
    with path.open("w", encoding="utf-8") as out:  # conversions only: no call is made
        out.writelines(encode_item(table.to_item(request)) for request in requests)
    return path


def _timed(call: Callable[[], int]) -> dict[str, float]:
    started, cpu = time.perf_counter(), time.process_time()
    items = call()
    seconds = time.perf_counter() - started
    return {
        "items": items,
        "seconds": seconds,
        "items_per_s": items / seconds,
        "client_cpu_s": time.process_time() - cpu,
    }


class _RoundTrips:
    """Counts the HTTP requests the store's client sends (botocore ``before-send``)."""

    def __init__(self, store: DynamoDBStore) -> None:
        self.events = store.dynamodb_table().client.meta.events
        self.count = 0
        self.transactions = 0

    def _seen(self, request: Any, **kwargs: Any) -> None:
        self.count += 1
        if b"TransactWriteItems" in request.headers.get("X-Amz-Target", b""):
            self.transactions += 1

    def __enter__(self) -> _RoundTrips:
        self.events.register("before-send.dynamodb", self._seen)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.events.unregister("before-send.dynamodb", self._seen)


def library_import(store: DynamoDBStore, source: Path, mode: str, workers: int = 8) -> int:
    """Import ``source`` into ``store`` with import_jsonl; return the items written."""
    with source.open(encoding="utf-8") as lines:
        report = import_jsonl(store, lines, mode=mode, workers=workers)  # type: ignore[arg-type]
    return report.written


def batch_writer_import(store: DynamoDBStore, source: Path) -> int:
    """Import ``source`` into the store's table with boto3's batch_writer; return the items."""
    table = boto3.resource(
        "dynamodb",
        region_name=REGION,
        endpoint_url=store.host,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    ).Table(store.table_name)
    written = 0
    with source.open(encoding="utf-8") as lines, table.batch_writer() as writer:
        for line in lines:
            writer.put_item(Item=json.loads(line))
            written += 1
    return written


def library_export(
    store: DynamoDBStore, target: Path, segments: int = 4, page_size: int = DEFAULT_PAGE_SIZE
) -> int:
    """Export the store's table to ``target`` with export_jsonl; return the lines written."""
    with target.open("w", encoding="utf-8") as out:
        return export_jsonl(store, out, segments=segments, page_size=page_size).written


def paginator_export(store: DynamoDBStore, target: Path) -> int:
    """Export the store's table to ``target`` with a plain boto3 Scan paginator."""
    pages = client(store.host or "").get_paginator("scan")
    written = 0
    with target.open("w", encoding="utf-8") as out:
        for page in pages.paginate(TableName=store.table_name, ConsistentRead=True):
            for item in page["Items"]:
                out.write(json.dumps(item, separators=(",", ":")) + "\n")
                written += 1
    return written


def measure(
    server: Server,
    source: Path,
    count: int,
    workdir: Path,
    *,
    import_rounds: int,
    export_rounds: int,
    create_only_items: int | None = None,
) -> dict[str, Any]:
    """Run interleaved rounds of the imports, then of the exports, on ``server``.

    The first import that writes all ``count`` items leaves its table for the exports. Returns
    the per-contender medians, the ratios against boto3 and every sample.
    """
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in (*IMPORTS, *EXPORTS)}
    create_source = source
    if create_only_items is not None:
        create_source = workdir / f"create-only-{server.name}.jsonl"
        with source.open(encoding="utf-8") as lines:
            head = [line for _, line in zip(range(create_only_items), lines, strict=False)]
        create_source.write_text("".join(head), encoding="utf-8")
    exported: DynamoDBStore | None = None
    for number in range(import_rounds):
        for name in IMPORTS if number % 2 == 0 else IMPORTS[::-1]:
            store = new_store(server.endpoint, "import")
            if name == "boto3 batch_writer":
                sample = _timed(partial(batch_writer_import, store, source))
            else:
                mode = name.split("(")[1].rstrip(")")
                path = create_source if name == CREATE_ONLY else source
                with _RoundTrips(store) as counter:
                    sample = _timed(partial(library_import, store, path, mode))
                sample["round_trips_per_1000"] = counter.count * 1000 / max(1, sample["items"])
                sample["transactions"] = counter.transactions
            samples[name].append(sample)
            if exported is None and sample["items"] == count:
                exported = store  # kept for the exports
            else:
                drop_table(store)
    if exported is None:
        raise RuntimeError(f"no import into {server.name} wrote all {count} items")
    target = workdir / f"export-{server.name}.jsonl"
    for number in range(export_rounds):
        for name in EXPORTS if number % 2 == 0 else EXPORTS[::-1]:
            if name == "boto3 scan paginator":
                export = partial(paginator_export, exported, target)
            else:
                export = partial(library_export, exported, target)
            samples[name].append(_timed(export))
            target.unlink()
    drop_table(exported)
    throughput = {name: median([s["items_per_s"] for s in runs]) for name, runs in samples.items()}
    ratios = {
        "import_jsonl (overwrite) / batch_writer": throughput["import_jsonl (overwrite)"]
        / throughput["boto3 batch_writer"],
        "import_jsonl (create-only) / batch_writer": throughput["import_jsonl (create-only)"]
        / throughput["boto3 batch_writer"],
        "export_jsonl / scan paginator": throughput["export_jsonl"]
        / throughput["boto3 scan paginator"],
    }
    trips = [s["round_trips_per_1000"] for s in samples[CREATE_ONLY]]
    return {
        "server": server.name,
        "items": count,
        "create_only_round_trips_per_1000": median(trips),
        # One refused TransactWriteItems means the server has none: single puts followed.
        "create_only_transactional": min(s["transactions"] for s in samples[CREATE_ONLY]) > 1,
        "create_only_items": create_only_items or count,
        "import_rounds": import_rounds,
        "export_rounds": export_rounds,
        "items_per_s": throughput,
        "ratios": ratios,
        "target": TARGET_RATIO,
        "met": {name: ratio >= TARGET_RATIO for name, ratio in ratios.items()},
        "export_page_size": DEFAULT_PAGE_SIZE,
        "samples": samples,
    }
