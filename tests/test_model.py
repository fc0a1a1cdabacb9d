"""RequestModel and the table schema: identical to the Go service's production table."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Any

import boto3
import pytest

from approvals import DynamoDBStore, RequestModel, bind_model
from approvals.model import INDEX_KEYS, all_of
from approvals.store.base import ITEM_ATTRIBUTES
from tests.helpers import REGION, make_dynamodb_store, new_request, new_table_name, terraform_table

pytestmark = pytest.mark.usefixtures("moto")


def _schema(description: dict[str, Any]) -> dict[str, Any]:
    """The parts of DescribeTable that make a table's schema."""
    table = description["Table"]
    return {
        "keys": table["KeySchema"],
        "attributes": sorted(
            (a["AttributeName"], a["AttributeType"]) for a in table["AttributeDefinitions"]
        ),
        "billing": table.get("BillingModeSummary", {}).get("BillingMode"),
        "indexes": sorted(
            (
                index["IndexName"],
                tuple((k["AttributeName"], k["KeyType"]) for k in index["KeySchema"]),
                index["Projection"]["ProjectionType"],
            )
            for index in table["GlobalSecondaryIndexes"]
        ),
    }


def test_create_table_makes_exactly_the_terraform_schema() -> None:
    client = boto3.client("dynamodb", region_name=REGION)
    theirs = new_table_name()
    client.create_table(**terraform_table(theirs))
    ours = new_table_name()
    DynamoDBStore(ours, region=REGION).create_table()
    assert _schema(client.describe_table(TableName=ours)) == _schema(
        client.describe_table(TableName=theirs)
    )


def test_index_keys_state_the_terraform_indexes_read_only() -> None:
    declared = terraform_table("any")["GlobalSecondaryIndexes"]
    assert dict(INDEX_KEYS) == {
        index["IndexName"]: tuple(key["AttributeName"] for key in index["KeySchema"])
        for index in declared
    }
    with pytest.raises(TypeError):
        INDEX_KEYS["gsi-extra"] = ("extra", "created_at")  # type: ignore[index]


def test_create_table_enables_ttl_on_the_ttl_attribute() -> None:
    table = new_table_name()
    DynamoDBStore(table, region=REGION).create_table()
    ttl = boto3.client("dynamodb", region_name=REGION).describe_time_to_live(TableName=table)
    assert ttl["TimeToLiveDescription"] == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}


def test_create_table_on_a_server_without_ttl_succeeds_and_warns(
    dynalite_endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    store = DynamoDBStore(new_table_name(), region=REGION, host=dynalite_endpoint)
    with caplog.at_level(logging.WARNING, logger="approvals"):
        store.create_table()
    assert any("TTL" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert store.list_by_requester("alice") == []


def test_create_table_is_idempotent_and_keeps_the_data() -> None:
    store = DynamoDBStore(new_table_name(), region=REGION)
    store.create_table()
    created = store.create(new_request())
    store.create_table()
    assert store.get(created.id) == created


def test_create_table_on_an_existing_terraform_table_enables_ttl() -> None:
    store = make_dynamodb_store()
    store.create_table()
    ttl = boto3.client("dynamodb", region_name=REGION).describe_time_to_live(
        TableName=store.table_name
    )
    assert ttl["TimeToLiveDescription"]["TimeToLiveStatus"] == "ENABLED"


def test_written_items_have_the_go_services_attributes_and_types() -> None:
    store = make_dynamodb_store()
    now = datetime(2026, 11, 28, 0, 25, 31, 123456, tzinfo=timezone.utc)
    request = store.create(new_request(now=now, duration=timedelta(minutes=90)))
    store.update(request.approve("bob", "ok", now=now))
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=store.table_name, Key={"id": {"S": request.id}}
    )["Item"]
    assert {name: next(iter(value)) for name, value in item.items()} == {
        "id": "S",
        "requester": "S",
        "profile": "S",
        "justification": "S",
        "duration": "N",
        "status": "S",
        "created_at": "S",
        "updated_at": "S",
        "expires_at": "S",
        "ttl": "N",
        "approver": "S",
        "approver_comment": "S",
    }
    assert item["duration"] == {"N": "5400000000000"}
    assert item["created_at"] == {"S": "2026-11-28T00:25:31.123456001Z"}
    assert item["expires_at"] == {"S": "2026-11-29T00:25:31.123456001Z"}
    # Unix seconds of expires_at, floored as Go's Time.Unix() does.
    assert item["ttl"] == {"N": str(int(request.expires_at.timestamp()))}
    assert (item["status"], item["approver"]) == ({"S": "approved"}, {"S": "bob"})


def test_pending_items_store_empty_approver_strings_like_go() -> None:
    store = make_dynamodb_store()
    request = store.create(new_request())
    item = boto3.client("dynamodb", region_name=REGION).get_item(
        TableName=store.table_name, Key={"id": {"S": request.id}}
    )["Item"]
    assert item["approver"] == {"S": ""}
    assert item["approver_comment"] == {"S": ""}


def test_the_lock_condition_is_one_flat_and() -> None:
    item = RequestModel("0123456789abcdef")
    item.updated_at = datetime(2026, 11, 28, tzinfo=timezone.utc)
    item.created_at = item.expires_at = item.updated_at
    item.duration = timedelta(hours=1)
    item.requester, item.profile, item.justification = "alice", "prod", "because of INC-1"
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    expression = RequestModel.lock_condition(item, expected_status="pending").serialize(
        names, values
    )
    assert expression.count(" AND ") == 7
    assert "((" not in expression
    assert len(values) == 8
    assert all(placeholder.startswith(":") for placeholder in values)
    assert all(placeholder.startswith("#") for placeholder in names.values())
    assert "updated_at" not in expression
    assert "pending" not in expression


def test_all_of_one_condition_is_that_condition() -> None:
    condition = RequestModel.status == "pending"
    assert all_of(condition) is condition


def test_bound_models_on_two_tables_coexist() -> None:
    first, second = make_dynamodb_store(), make_dynamodb_store()
    request = first.create(new_request())
    second.create(new_request("bob"))
    assert [r.id for r in first.list_by_requester("alice")] == [request.id]
    assert second.list_by_requester("alice") == []
    assert first.model is not second.model
    assert first.model.Meta.table_name != second.model.Meta.table_name


def test_bind_model_gives_a_working_pynamodb_model() -> None:
    store = make_dynamodb_store()
    created = store.create(new_request())
    bound = bind_model(store.table_name, region=REGION)
    assert [item.id for item in bound.requester_index.query("alice")] == [created.id]


def test_the_model_declares_exactly_the_item_attributes_every_store_writes() -> None:
    declared = {attribute.attr_name for attribute in RequestModel.get_attributes().values()}
    assert declared == set(ITEM_ATTRIBUTES)
