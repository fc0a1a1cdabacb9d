"""Shared fixtures: the backends every store contract test runs against.

``store`` is parametrised over the backends in ``STORE_BACKENDS``; each yields a fresh, empty store
on its own table. DynamoDB tables are created with raw boto3 exactly as the production Terraform
creates them, so the library is tested against the schema it will meet, not the one it makes.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from approvals import DynamoDBStore, MemoryStore, Store
from approvals.events import NotifyingStore
from approvals.notifiers import LoggingNotifier

pytest_plugins = ["tests.servers.plugin"]

FIXTURES = Path(__file__).parent / "fixtures"
REGION = "us-east-1"
_table_numbers = itertools.count()


def go_written_items() -> list[dict[str, Any]]:
    """The items the Go service writes, in DynamoDB JSON (tests/fixtures/go-written-items.json)."""
    document = json.loads((FIXTURES / "go-written-items.json").read_text())
    items: list[dict[str, Any]] = document["items"]
    return items


def terraform_table(table_name: str) -> dict[str, Any]:
    """CreateTable arguments for the production schema, as Terraform declares it."""
    gsis = [
        ("gsi-requester", "requester"),
        ("gsi-status", "status"),
        ("gsi-profile", "profile"),
    ]
    return {
        "TableName": table_name,
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"}
            for name in ("id", "requester", "status", "profile", "created_at")
        ],
        "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index,
                "KeySchema": [
                    {"AttributeName": key, "KeyType": "HASH"},
                    {"AttributeName": "created_at", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
            for index, key in gsis
        ],
    }


def new_table_name() -> str:
    """A table name no other test in this session uses."""
    return f"requests-{os.getpid()}-{next(_table_numbers)}"


@pytest.fixture(autouse=True)
def _aws_test_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    # Never reach a real account from tests, whatever the developer's environment holds.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def moto() -> Iterator[None]:
    """moto's in-process DynamoDB for the duration of a test."""
    with mock_aws():
        yield


def make_dynamodb_store(endpoint_url: str | None = None, **options: Any) -> DynamoDBStore:
    """A DynamoDBStore on a fresh Terraform-made table (in-process moto when no endpoint)."""
    table_name = new_table_name()
    client = boto3.client(
        "dynamodb",
        region_name=REGION,
        endpoint_url=endpoint_url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    client.create_table(**terraform_table(table_name))
    client.get_waiter("table_exists").wait(
        TableName=table_name, WaiterConfig={"Delay": 0.1, "MaxAttempts": 100}
    )
    return DynamoDBStore(table_name, region=REGION, host=endpoint_url, **options)


def _memory(request: pytest.FixtureRequest) -> Store:
    return MemoryStore()


def _moto(request: pytest.FixtureRequest) -> Store:
    request.getfixturevalue("moto")
    return make_dynamodb_store()


def _moto_server(request: pytest.FixtureRequest) -> Store:
    return make_dynamodb_store(request.getfixturevalue("moto_server_endpoint"))


def _dynalite(request: pytest.FixtureRequest) -> Store:
    return make_dynamodb_store(request.getfixturevalue("dynalite_endpoint"))


def _notifying_memory(request: pytest.FixtureRequest) -> Store:
    # Events are built and delivered on every write, so the contract covers the wrapper's path.
    return NotifyingStore(MemoryStore(), LoggingNotifier())


# Backends of the store contract suite: name -> factory. Later backends (servers, wrappers)
# register themselves here.
STORE_BACKENDS: dict[str, Callable[[pytest.FixtureRequest], Store]] = {
    "memory": _memory,
    "moto": _moto,
    "moto-server": _moto_server,
    "dynalite": _dynalite,
    "notifying-memory": _notifying_memory,
}


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the reliability figures the race and fault tests recorded (docs/reliability.md)."""
    from tests.reliability import summary_lines

    lines = summary_lines()
    if lines:
        terminalreporter.section("reliability figures")
        for line in lines:
            terminalreporter.write_line(line)


@pytest.fixture(params=sorted(STORE_BACKENDS))
def store(request: pytest.FixtureRequest) -> Store:
    """A fresh empty store, once per backend."""
    return STORE_BACKENDS[request.param](request)
