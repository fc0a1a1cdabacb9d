"""Table commands: create-table and check (schema and TTL drift)."""

from __future__ import annotations

import sys
from dataclasses import asdict, dataclass
from typing import Any

import click
from botocore.exceptions import BotoCoreError, ClientError
from rich.console import Console
from rich.table import Table

from approvals.cli.app import CommandError, Session, cli, json_option, pass_session
from approvals.cli.output import Output
from approvals.model import INDEX_KEYS, RequestModel
from approvals.store import DynamoDBStore
from approvals.store.translate import UNSUPPORTED_OPERATION, error_code, translate

__all__ = ["Check", "check", "create_table", "table_checks"]

EXPECTED_KEY = {"id": "HASH"}
# Every key attribute is a string: the table's key, the indexes' partition keys, their sort key.
EXPECTED_ATTRIBUTE_TYPES = dict.fromkeys(
    ["id", *(partition for partition, _ in INDEX_KEYS.values())]
    + [sort for _, sort in INDEX_KEYS.values()],
    "S",
)
EXPECTED_TTL_ATTRIBUTE = RequestModel.ttl.attr_name
EXPECTED_BILLING = "PAY_PER_REQUEST"


@dataclass
class Check:
    """One finding of ``approvals check``.

    ``result`` is ``ok``, ``drift`` (the table differs: the library or the Go service may
    misbehave) or ``warning`` (differs, but nothing breaks).
    """

    name: str
    expected: str
    actual: str
    result: str


def _compare(name: str, expected: str, actual: str, *, warn_only: bool = False) -> Check:
    if expected == actual:
        return Check(name, expected, actual, "ok")
    return Check(name, expected, actual, "warning" if warn_only else "drift")


def _key_text(schema: list[dict[str, str]]) -> str:
    return ", ".join(f"{k['AttributeName']} {k['KeyType']}" for k in schema) or "(none)"


def table_checks(store: DynamoDBStore) -> list[Check]:
    """Compare the live table with the Go service's schema; return every finding.

    A missing table is a single drift finding. Raises StoreError for other backend failures.
    """
    client: Any = store.dynamodb_table().client
    try:
        table = client.describe_table(TableName=store.table_name)["Table"]
    except (ClientError, BotoCoreError) as exc:
        if error_code(exc) == "ResourceNotFoundException":
            return [Check("table", "exists", "missing (run `approvals create-table`)", "drift")]
        raise translate(
            exc, operation="check", table=store.table_name, region=store.region
        ) from exc
    checks = [Check("table", "exists", str(table.get("TableStatus", "exists")).lower(), "ok")]
    checks.append(
        _compare(
            "primary key",
            _key_text([{"AttributeName": k, "KeyType": v} for k, v in EXPECTED_KEY.items()]),
            _key_text(table.get("KeySchema", [])),
        )
    )
    types = {a["AttributeName"]: a["AttributeType"] for a in table.get("AttributeDefinitions", [])}
    for name, kind in EXPECTED_ATTRIBUTE_TYPES.items():
        checks.append(_compare(f"attribute {name}", kind, types.get(name, "(undefined)")))
    indexes = {i["IndexName"]: i for i in table.get("GlobalSecondaryIndexes", [])}
    for index_name, (partition, sort) in INDEX_KEYS.items():
        index = indexes.get(index_name)
        expected = f"{partition} HASH, {sort} RANGE; projection ALL"
        actual = "(missing)"
        if index is not None:
            projection = index.get("Projection", {}).get("ProjectionType", "?")
            actual = f"{_key_text(index.get('KeySchema', []))}; projection {projection}"
        checks.append(_compare(f"index {index_name}", expected, actual))
    for extra in sorted(set(indexes) - set(INDEX_KEYS)):
        checks.append(Check(f"index {extra}", "(none)", "present", "warning"))
    billing = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    checks.append(_compare("billing mode", EXPECTED_BILLING, billing, warn_only=True))
    checks.append(_ttl_check(client, store))
    return checks


def _ttl_check(client: Any, store: DynamoDBStore) -> Check:
    expected = f"enabled on {EXPECTED_TTL_ATTRIBUTE}"
    try:
        ttl = client.describe_time_to_live(TableName=store.table_name)["TimeToLiveDescription"]
    except (ClientError, BotoCoreError) as exc:
        code = error_code(exc)
        if code in UNSUPPORTED_OPERATION:
            return Check("ttl", expected, f"not supported by this server ({code})", "drift")
        raise translate(
            exc, operation="check", table=store.table_name, region=store.region
        ) from exc
    status = str(ttl.get("TimeToLiveStatus", "DISABLED"))
    attribute = ttl.get("AttributeName")
    actual = status.lower() if attribute is None else f"{status.lower()} on {attribute}"
    if status in ("ENABLED", "ENABLING") and attribute == EXPECTED_TTL_ATTRIBUTE:
        return Check("ttl", expected, actual, "ok")
    return Check("ttl", expected, actual, "drift")


@cli.command(name="create-table")
@click.option(
    "--wait/--no-wait", default=True, show_default=True, help="Wait until the table is active."
)
@pass_session
def create_table(session: Session, wait: bool) -> None:
    """Create the table in the Go service's schema, with TTL on ``ttl`` (idempotent).

    On the local store there is no table to create: the file is made on first use.
    """
    if session.target.on_dynamodb:
        session.dynamodb_store().create_table(wait=wait)
    else:
        session.store()  # makes the file
    click.echo(f"{session.target.describe()}: ready")


@cli.command()
@json_option
@pass_session
def check(session: Session, as_json: bool) -> None:
    """Check that the table exists with the expected keys, indexes and TTL.

    Prints every finding; exits 1 when the table is missing or differs (drift). DynamoDB only.
    """
    store = session.dynamodb_store()
    checks = table_checks(store)
    drift = [c for c in checks if c.result == "drift"]
    output = Output(as_json=as_json)
    if as_json:
        output.json(
            {"table": store.table_name, "ok": not drift, "checks": [asdict(c) for c in checks]}
        )
    elif output.rich:
        table = Table(title=session.target.describe())
        for column in ("check", "expected", "actual", "result"):
            table.add_column(column)
        styles = {"ok": "green", "drift": "bold red", "warning": "yellow"}
        for c in checks:
            table.add_row(c.name, c.expected, c.actual, f"[{styles[c.result]}]{c.result}[/]")
        Console(file=sys.stdout).print(table)
    else:
        for c in checks:
            click.echo(f"{c.result}\t{c.name}\texpected: {c.expected}\tactual: {c.actual}")
    if drift:
        names = ", ".join(c.name for c in drift)
        raise CommandError(f"table {store.table_name} differs from the expected schema: {names}")
