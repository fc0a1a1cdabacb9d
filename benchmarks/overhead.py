"""Part 2: client CPU per operation, with the HTTP layer replaced by canned responses.

A ``before-send`` handler registered last on each client answers every request with a fixed,
valid DynamoDB response (status 200, ``x-amz-crc32`` header, JSON body; ``ConsumedCapacity``
included exactly when the request asked for it, as DynamoDB does), so no socket is opened and
only client-side work is measured: building and validating the parameters, serializing,
signing (SigV4), botocore's event hooks and retry checks, parsing the JSON, and turning the item
into something the caller can use.

The same logical operation for the three contenders, on the same table schema and item:

``facade``
    ``DynamoDBStore.get(id)`` / ``.create(request)`` / ``.update(approved)``: id and request
    validation, the operation observer, one GetItem (consistent) / PutItem with
    ``attribute_not_exists(id)`` / UpdateItem with the 8-term lock condition and
    ``ReturnValues=ALL_NEW``, then the item parsed into a :class:`~approvals.Request`.
``pynamodb``
    the raw ``RequestModel`` (bound with ``bind_model``): ``Model.get(id, consistent_read=True)``
    / ``Model(**fields).save(condition=Model.id.does_not_exist())`` /
    ``item.update(actions=[4 SETs], condition=Model.lock_condition(item, ...))`` (PynamoDB asks
    ``ReturnValues=ALL_NEW`` and loads the answer into the instance). Result: a model instance
    with datetime/timedelta attributes.
``boto3``
    ``boto3.client("dynamodb")`` with its default config (parameter validation on):
    ``get_item`` / ``put_item`` with ``ConditionExpression="attribute_not_exists(#id)"`` /
    ``update_item`` with the same 4 SETs and 8 condition terms written as expression strings and
    ``ReturnValues=ALL_NEW``; values serialized with boto3's ``TypeSerializer`` and the answer's
    item turned into a dict of Python values with ``TypeDeserializer`` (strings, Decimals; times
    stay strings). For create it formats the times, duration and ttl itself.

Inputs (a Request, a model instance or dict as read earlier) are built outside the timed region.
Contenders run interleaved: every round runs each operation for each contender (the order
rotating per round) for ``batch`` calls timed with :func:`time.process_time` (CPU of this
process, so time other processes take on the shared cores is not counted). Reported: the median
over rounds of the per-call µs, and the facade's ratio to raw boto3 and to raw PynamoDB.
"""

from __future__ import annotations

import json
import math
import time
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.awsrequest import AWSResponse

from approvals import DynamoDBStore, Request, bind_model
from approvals.model import RequestModel
from benchmarks.common import REGION, UTC, client, median

# Nothing listens there: a request the canned handler failed to answer fails fast, locally.
UNREACHABLE = "http://127.0.0.1:9"
TABLE = "sentinel-requests"
OPERATIONS = ("get", "create", "update")
CONTENDERS = ("facade", "pynamodb", "boto3")
TARGET_RATIO = 1.15


class _Body:
    """The raw stream botocore reads a response body from."""

    __slots__ = ("_content",)

    def __init__(self, content: bytes) -> None:
        self._content = content

    def stream(self, **_: Any) -> Any:
        yield self._content


class CannedDynamoDB:
    """A ``before-send`` handler answering each DynamoDB operation with a fixed response."""

    def __init__(self, answers: dict[str, dict[str, Any]]) -> None:
        capacity = {"TableName": TABLE, "CapacityUnits": 1.0}
        self._answers: dict[tuple[str, bool], tuple[bytes, dict[str, str]]] = {}
        self.sent: dict[str, bytes] = {}
        for operation, answer in answers.items():
            for asked in (False, True):
                body = json.dumps(
                    {**answer, "ConsumedCapacity": capacity} if asked else answer
                ).encode()
                headers = {
                    "x-amzn-requestid": "BENCHMARK",
                    "content-type": "application/x-amz-json-1.0",
                    "content-length": str(len(body)),
                    "x-amz-crc32": str(zlib.crc32(body)),
                }
                self._answers[(operation, asked)] = (body, headers)

    def register(self, botocore_client: Any) -> None:
        """Answer every request of ``botocore_client`` (after its other handlers ran)."""
        botocore_client.meta.events.register_last("before-send.dynamodb", self)

    def __call__(self, request: Any, **_: Any) -> AWSResponse:
        target = request.headers["X-Amz-Target"]
        operation = (target.decode() if isinstance(target, bytes) else target).rsplit(".", 1)[1]
        body = request.body if isinstance(request.body, bytes) else request.body.encode()
        self.sent[operation] = body
        content, headers = self._answers[(operation, b'"ReturnConsumedCapacity"' in body)]
        return AWSResponse(request.url, 200, headers, _Body(content))


def _rfc3339(value: datetime) -> str:
    # What a boto3 user writes to match the Go service's format.
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")


def _nanoseconds(value: timedelta) -> int:
    return (value.days * 86_400 + value.seconds) * 1_000_000_000 + value.microseconds * 1_000


@dataclass
class Contenders:
    """The three ways to run each operation, ready to call: name -> operation -> callable."""

    calls: dict[str, dict[str, Callable[[], Any]]]
    handlers: dict[str, CannedDynamoDB]


def build(request: Request) -> Contenders:
    """Set up the three contenders around ``request`` (pending) with canned answers."""
    table = DynamoDBStore(TABLE, region=REGION, host=UNREACHABLE).dynamodb_table()
    read_item = table.to_item(request)
    approved = request.approve("bob", now=request.created_at)
    written = table.to_item(
        Request(**{**approved.__dict__, "updated_at": approved.updated_at + timedelta(seconds=1)})
    )
    answers = {"GetItem": {"Item": read_item}, "PutItem": {}, "UpdateItem": {"Attributes": written}}
    handlers = {name: CannedDynamoDB(answers) for name in CONTENDERS}

    # facade
    store = DynamoDBStore(TABLE, region=REGION, host=UNREACHABLE)
    handlers["facade"].register(store.dynamodb_table().client)
    store_read = store.get(request.id)
    store_approved = store_read.approve("bob", now=request.created_at)

    # raw PynamoDB
    model = bind_model(TABLE, region=REGION, host=UNREACHABLE)
    handlers["pynamodb"].register(model._get_connection().connection.client)
    model_read = model.get(request.id, consistent_read=True)

    def pynamodb_create() -> RequestModel:
        item = model(
            request.id,
            requester=request.requester,
            profile=request.profile,
            justification=request.justification,
            duration=request.duration,
            status=request.status.value,
            created_at=request.created_at,
            updated_at=request.updated_at,
            expires_at=request.expires_at,
            ttl=request.expires_at,
            approver=request.approver,
            approver_comment=request.approver_comment,
        )
        item.save(condition=model.id.does_not_exist())
        return item

    def pynamodb_update() -> RequestModel:
        item = model_read
        item.update(
            actions=[
                model.status.set("approved"),
                model.approver.set("bob"),
                model.approver_comment.set(""),
                model.updated_at.set(datetime.now(UTC)),
            ],
            condition=model.lock_condition(item, expected_status="pending"),
        )
        return item

    # raw boto3
    raw = client(UNREACHABLE)
    handlers["boto3"].register(raw)
    serializer = TypeSerializer()
    deserializer = TypeDeserializer()

    def boto3_get() -> dict[str, Any]:
        answer = raw.get_item(TableName=TABLE, Key={"id": {"S": request.id}}, ConsistentRead=True)
        item = answer.get("Item")
        if item is None:
            raise LookupError(request.id)
        return {name: deserializer.deserialize(value) for name, value in item.items()}

    boto3_read = boto3_get()

    def boto3_create() -> dict[str, Any]:
        item = {
            "id": request.id,
            "requester": request.requester,
            "profile": request.profile,
            "justification": request.justification,
            "duration": _nanoseconds(request.duration),
            "status": request.status.value,
            "created_at": _rfc3339(request.created_at),
            "updated_at": _rfc3339(request.updated_at),
            "expires_at": _rfc3339(request.expires_at),
            "ttl": math.floor(request.expires_at.timestamp()),
            "approver": request.approver,
            "approver_comment": request.approver_comment,
        }
        raw.put_item(
            TableName=TABLE,
            Item={name: serializer.serialize(value) for name, value in item.items()},
            ConditionExpression="attribute_not_exists(#id)",
            ExpressionAttributeNames={"#id": "id"},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return item

    def boto3_update() -> dict[str, Any]:
        read = boto3_read
        values = {
            ":status": "approved",
            ":approver": "bob",
            ":comment": "",
            ":token": _rfc3339(datetime.now(UTC)),
            ":read_token": read["updated_at"],
            ":pending": "pending",
            ":requester": read["requester"],
            ":profile": read["profile"],
            ":justification": read["justification"],
            ":duration": read["duration"],
            ":created_at": read["created_at"],
            ":expires_at": read["expires_at"],
        }
        answer = raw.update_item(
            TableName=TABLE,
            Key={"id": {"S": read["id"]}},
            UpdateExpression=(
                "SET #status = :status, #approver = :approver, #comment = :comment, "
                "#updated_at = :token"
            ),
            ConditionExpression=(
                "#updated_at = :read_token AND #status = :pending AND #requester = :requester "
                "AND #profile = :profile AND #justification = :justification "
                "AND #duration = :duration AND #created_at = :created_at "
                "AND #expires_at = :expires_at"
            ),
            ExpressionAttributeNames={
                "#status": "status",
                "#approver": "approver",
                "#comment": "approver_comment",
                "#updated_at": "updated_at",
                "#requester": "requester",
                "#profile": "profile",
                "#justification": "justification",
                "#duration": "duration",
                "#created_at": "created_at",
                "#expires_at": "expires_at",
            },
            ExpressionAttributeValues={
                name: serializer.serialize(value) for name, value in values.items()
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return {
            name: deserializer.deserialize(value) for name, value in answer["Attributes"].items()
        }

    return Contenders(
        calls={
            "facade": {
                "get": lambda: store.get(request.id),
                "create": lambda: store.create(request),
                "update": lambda: store.update(store_approved),
            },
            "pynamodb": {
                "get": lambda: model.get(request.id, consistent_read=True),
                "create": pynamodb_create,
                "update": pynamodb_update,
            },
            "boto3": {"get": boto3_get, "create": boto3_create, "update": boto3_update},
        },
        handlers=handlers,
    )


def check_same_wire_work(contenders: Contenders) -> dict[str, bool]:
    """Run each operation once per contender and compare what they sent.

    Returns, per operation, True when every contender sent the same item (create), the same key
    (get, update), and the same set of values and number of condition terms (update).
    """
    for calls in contenders.calls.values():
        for call in calls.values():
            call()
    sent = {
        name: {op: json.loads(body) for op, body in handler.sent.items()}
        for name, handler in contenders.handlers.items()
    }
    same: dict[str, bool] = {}
    gets = [sent[name]["GetItem"] for name in CONTENDERS]
    same["get"] = all(g["Key"] == gets[0]["Key"] and g["ConsistentRead"] for g in gets)
    puts = [sent[name]["PutItem"] for name in CONTENDERS]
    same["create"] = all(p["Item"] == puts[0]["Item"] and "ConditionExpression" in p for p in puts)

    def update_shape(body: dict[str, Any]) -> tuple[Any, ...]:
        values = sorted(
            json.dumps(v, sort_keys=True) for v in body["ExpressionAttributeValues"].values()
        )
        return (
            body["Key"],
            body["ReturnValues"],
            body["ConditionExpression"].count(" AND ") + 1,
            body["UpdateExpression"].count(",") + 1,
            len(values),
        )

    updates = [update_shape(sent[name]["UpdateItem"]) for name in CONTENDERS]
    same["update"] = all(u == updates[0] for u in updates)
    return same


def _time_batch(call: Callable[[], Any], batch: int) -> float:
    """Return the CPU µs per call of ``batch`` calls."""
    started = time.process_time()
    for _ in range(batch):
        call()
    return (time.process_time() - started) / batch * 1e6


def measure(*, rounds: int, batch: int, request: Request) -> dict[str, Any]:
    """Run the interleaved rounds; return per-op medians (µs), ratios and the raw samples."""
    contenders = build(request)
    same_wire_work = check_same_wire_work(contenders)
    samples: dict[str, dict[str, list[float]]] = {
        op: {name: [] for name in CONTENDERS} for op in OPERATIONS
    }
    for name in CONTENDERS:  # warm-up: caches, lazily built botocore models
        for op in OPERATIONS:
            _time_batch(contenders.calls[name][op], max(batch // 4, 1))
    for number in range(rounds):
        order = CONTENDERS[number % 3 :] + CONTENDERS[: number % 3]
        for op in OPERATIONS:
            for name in order:
                samples[op][name].append(_time_batch(contenders.calls[name][op], batch))
    results: dict[str, Any] = {}
    for op in OPERATIONS:
        medians = {name: median(samples[op][name]) for name in CONTENDERS}
        paired = [f / b for f, b in zip(samples[op]["facade"], samples[op]["boto3"], strict=True)]
        results[op] = {
            "median_us": medians,
            "facade_vs_boto3": medians["facade"] / medians["boto3"],
            "facade_vs_pynamodb": medians["facade"] / medians["pynamodb"],
            "pynamodb_vs_boto3": medians["pynamodb"] / medians["boto3"],
            "facade_vs_boto3_paired_median": median(paired),
            "target": TARGET_RATIO,
            "met": medians["facade"] / medians["boto3"] <= TARGET_RATIO,
            "samples_us": samples[op],
        }
    return {
        "rounds": rounds,
        "batch": batch,
        "clock": "time.process_time",
        "same_wire_work": same_wire_work,
        "operations": results,
    }
