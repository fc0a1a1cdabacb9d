"""Exporting a large table streams: memory stays flat however many items are exported.

Measured with tracemalloc on dynalite (a server in another process, so only this process's
allocations are traced). moto in-process serializes ~1 ms per item under tracemalloc, so 50k
items would take minutes there; dynalite exports them in seconds.
"""

from __future__ import annotations

import itertools
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from approvals import DynamoDBStore
from approvals.migrate import encode_item, export_jsonl, scan_requests
from tests.migrate_support import put_raw, synthetic_item
from tests.servers.plugin import dynamodb_client, unique_table_name

ITEMS = 50_000
MIB = 1024 * 1024
# Four segments keep about two pages of 100 items each in flight: about 4 MiB measured. The
# export file is 18 MiB; the items as Python objects would take several times that.
PEAK_BOUND = 12 * MIB


def key_only_table(endpoint: str) -> DynamoDBStore:
    """A table with the production key but no indexes: loading 50k items is 3x faster."""
    name = unique_table_name("export-memory")
    client = dynamodb_client(endpoint)
    client.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 0.1})
    return DynamoDBStore(name, region="us-east-1", host=endpoint)


@pytest.mark.slow
def test_exporting_50k_items_does_not_hold_them_in_memory(
    dynalite_endpoint: str, tmp_path: Path
) -> None:
    store = key_only_table(dynalite_endpoint)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda k: put_raw(store, map(synthetic_item, range(k, ITEMS, 4))), range(4)))
    # Warm up: load the SDK's service model and open connections before measuring.
    encode_item(synthetic_item(0))
    warm_up = scan_requests(store, segments=4)
    list(itertools.islice(warm_up, 10))
    warm_up.close()  # type: ignore[attr-defined]

    path = tmp_path / "export.jsonl"
    tracemalloc.start()
    try:
        with path.open("w", encoding="utf-8") as out:
            report = export_jsonl(store, out, segments=4, page_size=100)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()

    assert report.written == ITEMS
    assert path.stat().st_size > PEAK_BOUND  # holding even the lines would exceed the bound
    assert peak < PEAK_BOUND, f"peak {peak / MIB:.1f} MiB while exporting {ITEMS} items"
