"""Helpers shared by the approvals.migrate and CLI tests."""

from __future__ import annotations

import dataclasses
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

import boto3

from approvals import DynamoDBStore, Request, Store
from tests.helpers import REGION

RawItem = dict[str, dict[str, Any]]


def raw_client(store: DynamoDBStore) -> Any:
    """A boto3 client on the store's endpoint, for writing and reading items as they are."""
    return boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=store.host,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def put_raw(store: DynamoDBStore, items: Iterable[RawItem]) -> None:
    """Write ``items`` exactly as given (as the Go service or an old version wrote them)."""
    client = raw_client(store)
    batch: list[RawItem] = []
    for item in items:
        batch.append(item)
        if len(batch) == 25:
            client.batch_write_item(
                RequestItems={store.table_name: [{"PutRequest": {"Item": i}} for i in batch]}
            )
            batch = []
    if batch:
        client.batch_write_item(
            RequestItems={store.table_name: [{"PutRequest": {"Item": i}} for i in batch]}
        )


def stored_raw(store: DynamoDBStore) -> dict[str, RawItem]:
    """Every stored item, exactly as stored, by id."""
    client = raw_client(store)
    items: dict[str, RawItem] = {}
    for page in client.get_paginator("scan").paginate(
        TableName=store.table_name, ConsistentRead=True
    ):
        for item in page["Items"]:
            items[item["id"]["S"]] = item
    return items


def synthetic_item(number: int) -> RawItem:
    """A valid item in the canonical form, with id ``number`` in hex."""
    return {
        "id": {"S": f"{number:016x}"},
        "requester": {"S": f"user-{number % 97}"},
        "profile": {"S": "production"},
        "justification": {"S": f"Synthetic load for the migration tests, item {number}"},
        "duration": {"N": "3600000000000"},
        "status": {"S": "approved" if number % 3 else "pending"},
        "created_at": {"S": "2026-11-20T09:15:02.120783001Z"},
        "updated_at": {"S": "2026-11-20T09:20:02.120783001Z"},
        "expires_at": {"S": "2026-11-21T09:15:02.120783001Z"},
        "ttl": {"N": "1795252502"},
        "approver": {"S": "bob" if number % 3 else ""},
        "approver_comment": {"S": ""},
    }


def request_data(**overrides: Any) -> dict[str, Any]:
    """Keyword arguments for Request.new with valid defaults."""
    fields: dict[str, Any] = {
        "requester": "alice",
        "profile": "production",
        "justification": "Deploy the hotfix for INC-4821",
        "duration": timedelta(hours=1),
    }
    fields.update(overrides)
    return fields


def new_requests(count: int, **overrides: Any) -> list[Request]:
    """``count`` valid pending requests."""
    return [Request.new(**request_data(**overrides)) for _ in range(count)]


class RoundTrips:
    """Counts the HTTP requests a botocore client sends, by DynamoDB operation name.

    A ``before-send`` hook sees every request on the wire, SDK retries included. Use it as a
    context manager around the calls to count; ``counts`` maps e.g. ``"PutItem"`` to a number.
    """

    def __init__(self, client: Any) -> None:
        self.events = client.meta.events
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()

    def _seen(self, request: Any, **kwargs: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        name = target.decode() if isinstance(target, bytes) else str(target)
        with self._lock:
            self.counts[name.rpartition(".")[2]] += 1

    def __enter__(self) -> RoundTrips:
        self.events.register("before-send.dynamodb", self._seen)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.events.unregister("before-send.dynamodb", self._seen)


def approving_meanwhile(writer: Store) -> Callable[[Request], Request]:
    """A rewrite transform during which another writer approves the request it was given (between
    the rewrite's read and its write), then renames the profile."""

    def transform(current: Request) -> Request:
        writer.update(current.approve("bob"))
        return dataclasses.replace(current, profile="production-eu")

    return transform
