"""Part 'peers': the facade beside raw boto3 and pydynox, in one interleaved run on one server.

Contenders, each on its own table of the same server (dynalite, else moto's server):

``approvals``
    the facade (``DynamoDBStore``) and ``approvals.migrate``, returning ``Request`` objects.
``boto3``
    a plain boto3 client (``client.get_item`` ...), returning DynamoDB JSON dicts; bulk read is
    the Scan paginator, bulk write ``Table.batch_writer()``.
``pydynox``
    pydynox's ``DynamoDBClient`` (a Rust client, the AWS Rust SDK underneath), returning plain
    dicts; bulk write is its ``sync_batch_write``.

Each contender does the same thing: the same condition on create (the id must be new) and on
update (the facade's eight-term lock), the same 50 newest items of one requester from the GSI.
Client CPU per call is ``time.process_time()`` (every thread of this process, pydynox's Rust
runtime included) over a batch of calls; contenders alternate order round by round and the
median of the rounds is reported. Bulk figures are items per wall-clock second.
"""

from __future__ import annotations

import io
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import Any

import boto3

from approvals import DynamoDBStore, Request
from approvals.migrate import encode_item, import_jsonl, scan_requests
from approvals.times import next_token, stored_form
from benchmarks.common import (
    REGION,
    Server,
    client,
    connection,
    drop_table,
    median,
    new_store,
    seed,
)

CONTENDERS = ("approvals", "boto3", "pydynox")
OPERATIONS = ("get", "create", "update", "query 50")
QUERY_ITEMS = 50
# Targets of issue 14 (ratio to raw boto3 of the facade): CPU at most, throughput at least.
CPU_TARGETS = {"get": 1.10, "create": 1.10, "update": 1.15, "query 50": 1.10}
THROUGHPUT_TARGET = 1.0
# The facade's update condition: lock token, pending, every immutable field unchanged.
_UPDATE: dict[str, Any] = {
    "UpdateExpression": "SET #status = :status, approver = :approver, "
    "approver_comment = :comment, updated_at = :token",
    "ConditionExpression": "updated_at = :old AND #status = :pending AND requester = :requester "
    "AND profile = :profile AND justification = :justification AND #duration = :duration "
    "AND created_at = :created_at AND expires_at = :expires_at",
    "ExpressionAttributeNames": {"#status": "status", "#duration": "duration"},
}


def plain(raw: dict[str, dict[str, str]]) -> dict[str, Any]:
    """Return a DynamoDB JSON item as plain values (what pydynox takes and returns)."""
    return {name: int(v["N"]) if "N" in v else v["S"] for name, v in raw.items()}


def _pydynox(endpoint: str) -> Any:
    """Return a pydynox client for ``endpoint`` with dummy credentials (imported here: the other
    parts run without pydynox)."""
    from pydynox import DynamoDBClient

    return DynamoDBClient(
        region=REGION, endpoint_url=endpoint, access_key="testing", secret_key="testing"
    )


class Contender:
    """One client on its own table: the calls of every operation, fed by prepared items."""

    def __init__(self, name: str, server: Server, requests: list[Request]) -> None:
        self.name = name
        self.store = new_store(server.endpoint, f"peers-{name}")
        self.table = self.store.table_name
        self.items = self.store.dynamodb_table()
        seed(self.store, requests)
        self.ids = [request.id for request in requests]
        self.requester = requests[0].requester
        self.boto3 = client(server.endpoint)
        if name == "pydynox":
            self.pydynox = _pydynox(server.endpoint)

    def raw(self, request: Request) -> dict[str, Any]:
        return self.items.to_item(request)

    def get(self, request_id: str) -> Any:
        if self.name == "approvals":
            return self.store.get(request_id)
        if self.name == "boto3":
            return self.boto3.get_item(
                TableName=self.table, Key={"id": {"S": request_id}}, ConsistentRead=True
            )["Item"]
        return self.pydynox.sync_get_item(self.table, {"id": request_id}, consistent_read=True)

    def create(self, request: Request) -> Any:
        if self.name == "approvals":
            return self.store.create(request)
        condition = "attribute_not_exists(id)"
        if self.name == "boto3":
            return self.boto3.put_item(
                TableName=self.table, Item=self.raw(request), ConditionExpression=condition
            )
        return self.pydynox.sync_put_item(
            self.table, plain(self.raw(request)), condition_expression=condition
        )

    def update(self, pending: Request, decided: Request) -> Any:
        if self.name == "approvals":
            return self.store.update(decided)
        old, new = self.raw(pending), self.raw(decided)
        token = stored_form(next_token(decided.updated_at))
        values = {
            ":status": new["status"],
            ":approver": new["approver"],
            ":comment": new["approver_comment"],
            ":token": {"S": token},
            ":old": old["updated_at"],
            ":pending": {"S": "pending"},
            **{f":{name}": old[name] for name in IMMUTABLE},
        }
        if self.name == "boto3":
            return self.boto3.update_item(
                TableName=self.table,
                Key={"id": old["id"]},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                **_UPDATE,
            )["Attributes"]
        return self.pydynox.sync_update_item(
            self.table,
            {"id": pending.id},
            update_expression=_UPDATE["UpdateExpression"],
            condition_expression=_UPDATE["ConditionExpression"],
            expression_attribute_names=_UPDATE["ExpressionAttributeNames"],
            expression_attribute_values=plain(values),
            return_values="ALL_NEW",
        )

    def query(self) -> list[Any]:
        if self.name == "approvals":
            return self.store.list_by_requester(self.requester, limit=QUERY_ITEMS)
        condition = "requester = :requester"
        if self.name == "boto3":
            return list(
                self.boto3.query(
                    TableName=self.table,
                    IndexName="gsi-requester",
                    KeyConditionExpression=condition,
                    ExpressionAttributeValues={":requester": {"S": self.requester}},
                    ScanIndexForward=False,
                    Limit=QUERY_ITEMS,
                )["Items"]
            )
        return list(
            self.pydynox.sync_query(
                self.table,
                key_condition_expression=condition,
                expression_attribute_values={":requester": self.requester},
                index_name="gsi-requester",
                scan_index_forward=False,
                limit=QUERY_ITEMS,
            )
        )


IMMUTABLE = ("requester", "profile", "justification", "duration", "created_at", "expires_at")


def _cpu_per_call(calls: list[Callable[[], Any]]) -> float:
    started = time.process_time()
    for call in calls:
        call()
    return (time.process_time() - started) / len(calls) * 1e6


def _batch(contender: Contender, op: str, calls: int, now: datetime) -> list[Callable[[], Any]]:
    """Prepared calls of ``op`` (the items they need are written beforehand, not timed)."""
    from benchmarks.common import sample_request

    if op == "get":
        return [partial(contender.get, i) for i in contender.ids[:calls]]
    fresh = [sample_request(n, requester="peer", now=now) for n in range(calls)]
    if op == "create":
        return [partial(contender.create, r) for r in fresh]
    if op == "update":
        stored = [contender.store.create(r) for r in fresh]
        return [partial(contender.update, r, r.approve("bob")) for r in stored]
    return [contender.query for _ in range(calls)]


def _compared(
    samples: dict[str, list[float]], unit: str, target: float, *, at_most: bool
) -> dict[str, Any]:
    """Return the contenders' medians (under the key ``unit``), their ratios to boto3, the
    target and whether the facade's ratio is at most (``at_most``) or else at least it."""
    medians = {name: median(values) for name, values in samples.items()}
    ratio = medians["approvals"] / medians["boto3"]
    return {
        unit: medians,
        "approvals_vs_boto3": ratio,
        "pydynox_vs_boto3": medians["pydynox"] / medians["boto3"],
        "target": target,
        "met": ratio <= target if at_most else ratio >= target,
    }


def single_ops(server: Server, *, rounds: int, calls: int) -> dict[str, Any]:
    """Client CPU per call (µs) of every operation for every contender, interleaved."""
    from benchmarks.common import sample_request

    now = datetime.now().astimezone()
    base = [sample_request(n, requester="alice", now=now) for n in range(max(calls, 60))]
    contenders = [Contender(name, server, base) for name in CONTENDERS]
    samples: dict[str, dict[str, list[float]]] = {
        op: {c.name: [] for c in contenders} for op in OPERATIONS
    }
    try:
        for round_number in range(rounds):
            order = contenders[round_number % 3 :] + contenders[: round_number % 3]
            for op in OPERATIONS:
                for contender in order:
                    batch = _batch(contender, op, calls, now)
                    samples[op][contender.name].append(_cpu_per_call(batch))
    finally:
        for contender in contenders:
            drop_table(contender.store)
    rows = {
        op: _compared(by_name, "median_us", CPU_TARGETS[op], at_most=True)
        for op, by_name in samples.items()
    }
    return {"server": server.name, "rounds": rounds, "calls": calls, "operations": rows}


def _bulk_read(name: str, store: DynamoDBStore, endpoint: str) -> int:
    if name == "approvals":
        return sum(1 for _ in scan_requests(store, segments=1))
    if name == "boto3":
        pages = client(endpoint).get_paginator("scan").paginate(TableName=store.table_name)
        return sum(len(page["Items"]) for page in pages)
    return sum(1 for _ in _pydynox(endpoint).sync_scan(store.table_name))


def _bulk_write(name: str, store: DynamoDBStore, endpoint: str, raws: list[Any]) -> int:
    if name == "approvals":
        lines = io.StringIO("".join(encode_item(raw) for raw in raws))
        return import_jsonl(store, lines, mode="overwrite").written
    if name == "boto3":
        table = boto3.resource("dynamodb", **connection(endpoint)).Table(store.table_name)
        with table.batch_writer() as writer:
            for raw in raws:
                writer.put_item(Item=plain(raw))
        return len(raws)
    _pydynox(endpoint).sync_batch_write(store.table_name, put_items=[plain(raw) for raw in raws])
    return len(raws)


def bulk(server: Server, requests: list[Request], *, rounds: int) -> dict[str, Any]:
    """Items per second of a full read (one-segment scan) and a bulk write, interleaved."""
    codec = DynamoDBStore(region=REGION, host=server.endpoint).dynamodb_table()
    raws = [codec.to_item(request) for request in requests]
    source = new_store(server.endpoint, "peers-read")
    seed(source, requests)
    rates: dict[str, dict[str, list[float]]] = {
        kind: {name: [] for name in CONTENDERS} for kind in ("read", "write")
    }
    try:
        for round_number in range(rounds):
            names = CONTENDERS[round_number % 3 :] + CONTENDERS[: round_number % 3]
            for name in names:
                started = time.perf_counter()
                count = _bulk_read(name, source, server.endpoint)
                rates["read"][name].append(count / (time.perf_counter() - started))
                target = new_store(server.endpoint, f"peers-write-{name}")
                started = time.perf_counter()
                count = _bulk_write(name, target, server.endpoint, raws)
                rates["write"][name].append(count / (time.perf_counter() - started))
                drop_table(target)
    finally:
        drop_table(source)
    result: dict[str, Any] = {"server": server.name, "items": len(requests), "rounds": rounds}
    for kind, by_name in rates.items():
        result[kind] = _compared(by_name, "items_per_s", THROUGHPUT_TARGET, at_most=False)
    return result


def report(part: dict[str, Any]) -> None:
    """Print the peer tables with each target marked met or missed."""
    ops = part["single"]
    print(
        f"\nPeers on {ops['server']}: client CPU per call, µs (median of {ops['rounds']} "
        f"interleaved rounds x {ops['calls']} calls)"
    )
    print(f"{'operation':<10}{'approvals':>11}{'boto3':>9}{'pydynox':>9}  approvals/boto3")
    for op, row in ops["operations"].items():
        _print_row(f"{op:<10}", row["median_us"], row, "<=")
    bulk_part = part["bulk"]
    print(f"  bulk, {bulk_part['items']} items, items/s (median of {bulk_part['rounds']} rounds)")
    for kind in ("read", "write"):
        _print_row(f"  {kind:<8}", bulk_part[kind]["items_per_s"], bulk_part[kind], ">=")


def _print_row(label: str, values: dict[str, float], row: dict[str, Any], bound: str) -> None:
    verdict = "met" if row["met"] else "MISSED"
    print(
        f"{label}{values['approvals']:>11.0f}{values['boto3']:>9.0f}{values['pydynox']:>9.0f}"
        f"  {row['approvals_vs_boto3']:.2f}x (target {bound} {row['target']}: {verdict}); "
        f"pydynox/boto3 {row['pydynox_vs_boto3']:.2f}x"
    )
