"""Small builders shared by the tests."""

from __future__ import annotations

import dataclasses
import json
import signal
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import boto3

from approvals import DynamoDBStore, Request

NOW = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=timezone.utc)


def new_request(
    requester: str = "alice",
    profile: str = "production",
    *,
    now: datetime | None = None,
    **overrides: Any,
) -> Request:
    """A valid pending request created at ``now`` (default: the real current time)."""
    fields: dict[str, Any] = {
        "justification": "Deploy the hotfix for INC-4821",
        "duration": timedelta(hours=1),
    }
    fields.update(overrides)
    return Request.new(
        requester=requester, profile=profile, now=now or datetime.now(timezone.utc), **fields
    )


def pending_request_at(created_at: datetime, expires_at: datetime) -> Request:
    """A valid pending request created (and last updated) at ``created_at``, expiring at
    ``expires_at``: the times are kept as given, so a parsed time keeps its stored form."""
    return dataclasses.replace(
        new_request(), created_at=created_at, updated_at=created_at, expires_at=expires_at
    )


REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
REGION = "us-east-1"


def run_python(script: str, *, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``script`` (dedented) in a fresh interpreter at the repository root, where it can
    import ``tests``; return what it printed, as text, whatever its exit code."""
    command = [sys.executable, "-c", textwrap.dedent(script)]
    return subprocess.run(
        command, cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False
    )


def kill_once_it_reports(script: str, args: Sequence[str], after: int) -> None:
    """Run ``script`` with ``args`` in a fresh interpreter at the repository root; it prints a
    count a line. SIGKILL it once a count reaches ``after``; fail if it ended any other way."""
    command = [sys.executable, "-c", script, *args]
    with subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None
        for line in child.stdout:
            if int(line) >= after:
                child.send_signal(signal.SIGKILL)
                break
        child.wait()
        stderr = child.stderr.read() if child.stderr else ""
    assert child.returncode == -signal.SIGKILL, f"not killed mid-way ({' '.join(args)}): {stderr}"


def go_written_items() -> list[dict[str, Any]]:
    """The items the Go service writes, in DynamoDB JSON (tests/fixtures/go-written-items.json)."""
    document = json.loads((FIXTURES / "go-written-items.json").read_text())
    items: list[dict[str, Any]] = document["items"]
    return items


def go_written_item(request_id: str) -> dict[str, Any]:
    """The one item of :func:`go_written_items` with ``request_id``."""
    return next(item for item in go_written_items() if item["id"]["S"] == request_id)


def field_by_field(request: Request) -> dict[str, tuple[Any, ...]]:
    """Each field of ``request``: its type, its value and what it remembers of its stored form
    (a read time's ``wire`` string, a read duration's ``nanoseconds``), to compare two readings
    exactly."""
    values = {field.name: getattr(request, field.name) for field in dataclasses.fields(request)}
    return {
        name: (
            type(value),
            value,
            getattr(value, "wire", None),
            getattr(value, "nanoseconds", None),
        )
        for name, value in values.items()
    }


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
    return f"requests-{uuid.uuid4().hex[:16]}"


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
