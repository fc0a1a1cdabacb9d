"""The loopback DynamoDB servers work, and behave as ``tests/servers/plugin.py`` documents.

The behaviour tests pin facts the rest of the suite relies on (raw boto3, no PynamoDB), so an
upgrade of dynalite or moto that changes one of them fails here first, with a clear name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import pytest
from botocore.awsrequest import AWSPreparedRequest
from botocore.exceptions import ClientError

from tests.servers.plugin import (
    DUMMY_ACCESS_KEY_ID,
    DUMMY_REGION,
    dynamodb_client,
    unique_table_name,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb.client import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import WriteRequestTypeDef

SERVER_FIXTURES = ["dynalite_endpoint", "moto_server_endpoint"]
GSI_NAME = "by_owner"


def _create_table(client: DynamoDBClient) -> str:
    """Create a PAY_PER_REQUEST table with hash key ``id`` (S) and one GSI; wait until ACTIVE."""
    name = unique_table_name("servers")
    client.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "owner", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": GSI_NAME,
                "KeySchema": [{"AttributeName": "owner", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )
    client.get_waiter("table_exists").wait(
        TableName=name, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    return name


@pytest.fixture(params=SERVER_FIXTURES)
def endpoint(request: pytest.FixtureRequest) -> str:
    """Each server's endpoint in turn."""
    url: str = request.getfixturevalue(request.param)
    return url


@pytest.fixture
def client(endpoint: str) -> Iterator[DynamoDBClient]:
    """A boto3 client for the server under test."""
    dynamodb = dynamodb_client(endpoint)
    yield dynamodb
    dynamodb.close()


@pytest.fixture
def table(client: DynamoDBClient) -> Iterator[str]:
    """A fresh table on the server under test, deleted afterwards."""
    name = _create_table(client)
    yield name
    client.delete_table(TableName=name)


@contextmanager
def _client_and_table(endpoint_url: str) -> Iterator[tuple[DynamoDBClient, str]]:
    """A client for ``endpoint_url`` and a fresh table there, deleted afterwards."""
    dynamodb = dynamodb_client(endpoint_url)
    name = _create_table(dynamodb)
    try:
        yield dynamodb, name
    finally:
        dynamodb.delete_table(TableName=name)
        dynamodb.close()


@pytest.fixture
def dynalite(dynalite_endpoint: str) -> Iterator[tuple[DynamoDBClient, str]]:
    """A client for dynalite and a fresh table there."""
    with _client_and_table(dynalite_endpoint) as client_and_table:
        yield client_and_table


@pytest.fixture
def moto(moto_server_endpoint: str) -> Iterator[tuple[DynamoDBClient, str]]:
    """A client for the moto server and a fresh table there."""
    with _client_and_table(moto_server_endpoint) as client_and_table:
        yield client_and_table


def _error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    """The DynamoDB error code of a raised ``ClientError``."""
    return excinfo.value.response["Error"]["Code"]


PENDING_ITEM = {"id": {"S": "req-1"}, "state": {"S": "PENDING"}}


def _refused_put(
    client: DynamoDBClient, table: str, **options: Any
) -> pytest.ExceptionInfo[ClientError]:
    """Put PENDING_ITEM, then (with ``options``) an APPROVED item with its id only if the id is
    new; return what that refused second put raised."""
    client.put_item(TableName=table, Item=PENDING_ITEM)
    with pytest.raises(ClientError) as excinfo:
        client.put_item(
            TableName=table,
            Item={"id": {"S": "req-1"}, "state": {"S": "APPROVED"}},
            ConditionExpression="attribute_not_exists(id)",
            **options,
        )
    return excinfo


# --- Both servers serve a working DynamoDB API -----------------------------------------------


def test_endpoint_is_loopback_url(endpoint: str) -> None:
    assert endpoint.startswith("http://127.0.0.1:")
    assert int(endpoint.rsplit(":", 1)[1]) > 0


def test_client_signs_with_dummy_credentials_and_region(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The developer's own AWS settings must not leak into the client.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAREALKEY")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "real-token")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    dynamodb = dynamodb_client(endpoint)
    sent: list[AWSPreparedRequest] = []
    dynamodb.meta.events.register("before-send", lambda request, **_: sent.append(request))

    dynamodb.list_tables()

    authorization = sent[0].headers["Authorization"]
    assert isinstance(authorization, bytes | str)
    authorization = authorization.decode() if isinstance(authorization, bytes) else authorization
    assert f"Credential={DUMMY_ACCESS_KEY_ID}/" in authorization
    assert f"/{DUMMY_REGION}/dynamodb/aws4_request" in authorization
    assert "X-Amz-Security-Token" not in sent[0].headers


def test_created_table_is_active_with_its_gsi(client: DynamoDBClient, table: str) -> None:
    description = client.describe_table(TableName=table)["Table"]
    assert description["TableStatus"] == "ACTIVE"
    assert [gsi["IndexName"] for gsi in description.get("GlobalSecondaryIndexes", [])] == [GSI_NAME]
    assert table in client.list_tables()["TableNames"]


def test_put_get_and_query_gsi(client: DynamoDBClient, table: str) -> None:
    item = {"id": {"S": "req-1"}, "owner": {"S": "alice"}, "minutes": {"N": "30"}}
    client.put_item(TableName=table, Item=item)

    got = client.get_item(TableName=table, Key={"id": {"S": "req-1"}}, ConsistentRead=True)
    assert got["Item"] == item

    by_owner = client.query(
        TableName=table,
        IndexName=GSI_NAME,
        KeyConditionExpression="#o = :o",
        ExpressionAttributeNames={"#o": "owner"},
        ExpressionAttributeValues={":o": {"S": "alice"}},
    )
    assert by_owner["Items"] == [item]


def test_failed_conditional_put_raises_conditional_check_failed(
    client: DynamoDBClient, table: str
) -> None:
    excinfo = _refused_put(client, table)

    assert _error_code(excinfo) == "ConditionalCheckFailedException"
    assert isinstance(excinfo.value, client.exceptions.ConditionalCheckFailedException)
    got = client.get_item(TableName=table, Key={"id": {"S": "req-1"}}, ConsistentRead=True)
    assert got["Item"] == PENDING_ITEM


def test_successful_conditional_update(client: DynamoDBClient, table: str) -> None:
    client.put_item(TableName=table, Item={"id": {"S": "req-1"}, "state": {"S": "PENDING"}})

    updated = client.update_item(
        TableName=table,
        Key={"id": {"S": "req-1"}},
        UpdateExpression="SET #s = :new",
        ConditionExpression="#s = :old",
        ExpressionAttributeNames={"#s": "state"},
        ExpressionAttributeValues={":new": {"S": "APPROVED"}, ":old": {"S": "PENDING"}},
        ReturnValues="ALL_NEW",
    )

    assert updated["Attributes"] == {"id": {"S": "req-1"}, "state": {"S": "APPROVED"}}


# --- Facts about dynalite ---------------------------------------------------------------------


def test_dynalite_update_time_to_live_is_unknown_operation(
    dynalite: tuple[DynamoDBClient, str],
) -> None:
    client, name = dynalite

    with pytest.raises(ClientError) as excinfo:
        client.update_time_to_live(
            TableName=name,
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
        )

    assert _error_code(excinfo) == "UnknownOperationException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_dynalite_describe_time_to_live_is_always_disabled(
    dynalite: tuple[DynamoDBClient, str],
) -> None:
    client, name = dynalite

    description = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]

    assert description == {"TimeToLiveStatus": "DISABLED"}
    with pytest.raises(ClientError) as excinfo:
        client.describe_time_to_live(TableName=unique_table_name("missing"))
    assert _error_code(excinfo) == "ResourceNotFoundException"


def test_dynalite_has_no_transactions(dynalite: tuple[DynamoDBClient, str]) -> None:
    client, name = dynalite

    with pytest.raises(ClientError) as write_excinfo:
        client.transact_write_items(
            TransactItems=[{"Put": {"TableName": name, "Item": {"id": {"S": "tx-1"}}}}]
        )
    with pytest.raises(ClientError) as get_excinfo:
        client.transact_get_items(
            TransactItems=[{"Get": {"TableName": name, "Key": {"id": {"S": "tx-1"}}}}]
        )

    assert _error_code(write_excinfo) == "UnknownOperationException"
    assert _error_code(get_excinfo) == "UnknownOperationException"
    assert "Item" not in client.get_item(TableName=name, Key={"id": {"S": "tx-1"}})


def test_dynalite_ignores_return_values_on_condition_check_failure(
    dynalite: tuple[DynamoDBClient, str],
) -> None:
    excinfo = _refused_put(*dynalite, ReturnValuesOnConditionCheckFailure="ALL_OLD")

    assert _error_code(excinfo) == "ConditionalCheckFailedException"
    assert "Item" not in excinfo.value.response


def test_dynalite_rejects_unused_expression_attribute_values(
    dynalite: tuple[DynamoDBClient, str],
) -> None:
    excinfo = _refused_put(*dynalite, ExpressionAttributeValues={":unused": {"S": "x"}})

    assert _error_code(excinfo) == "ValidationException"


def test_dynalite_rejects_numbers_over_38_significant_digits(
    dynalite: tuple[DynamoDBClient, str],
) -> None:
    client, name = dynalite
    client.put_item(TableName=name, Item={"id": {"S": "n38"}, "n": {"N": "9" * 38}})

    with pytest.raises(ClientError) as excinfo:
        client.put_item(TableName=name, Item={"id": {"S": "n39"}, "n": {"N": "9" * 39}})

    assert _error_code(excinfo) == "ValidationException"


def test_dynalite_limits_batch_write_to_25_requests(dynalite: tuple[DynamoDBClient, str]) -> None:
    client, name = dynalite
    requests: list[WriteRequestTypeDef] = [
        {"PutRequest": {"Item": {"id": {"S": f"batch-{i}"}}}} for i in range(26)
    ]

    client.batch_write_item(RequestItems={name: requests[:25]})
    with pytest.raises(ClientError) as excinfo:
        client.batch_write_item(RequestItems={name: requests})

    assert _error_code(excinfo) == "ValidationException"


def test_dynalite_accepts_empty_string_gsi_key(dynalite: tuple[DynamoDBClient, str]) -> None:
    # AWS (and moto) reject this with a ValidationException: do not rely on it.
    client, name = dynalite

    client.put_item(TableName=name, Item={"id": {"S": "req-1"}, "owner": {"S": ""}})

    got = client.get_item(TableName=name, Key={"id": {"S": "req-1"}}, ConsistentRead=True)
    assert got["Item"]["owner"] == {"S": ""}


def test_dynalite_rejects_table_names_shorter_than_three(dynalite_endpoint: str) -> None:
    client = dynamodb_client(dynalite_endpoint)

    with pytest.raises(ClientError) as excinfo:
        client.create_table(
            TableName="ab",
            BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        )

    assert _error_code(excinfo) == "ValidationException"


def test_dynalite_shares_tables_across_regions(
    dynalite: tuple[DynamoDBClient, str], dynalite_endpoint: str
) -> None:
    _, name = dynalite
    other_region = dynamodb_client(dynalite_endpoint, region_name="eu-west-1")

    assert other_region.meta.region_name == "eu-west-1"
    assert other_region.describe_table(TableName=name)["Table"]["TableStatus"] == "ACTIVE"


def test_moto_keeps_tables_per_region(
    moto: tuple[DynamoDBClient, str], moto_server_endpoint: str
) -> None:
    _, name = moto
    other_region = dynamodb_client(moto_server_endpoint, region_name="eu-west-1")

    assert name not in other_region.list_tables()["TableNames"]


# --- Facts about the moto server ----------------------------------------------------------------


def test_moto_returns_old_item_on_condition_check_failure(moto: tuple[DynamoDBClient, str]) -> None:
    excinfo = _refused_put(*moto, ReturnValuesOnConditionCheckFailure="ALL_OLD")

    assert _error_code(excinfo) == "ConditionalCheckFailedException"
    assert excinfo.value.response.get("Item") == PENDING_ITEM


def test_moto_rejects_empty_string_gsi_key(moto: tuple[DynamoDBClient, str]) -> None:
    client, name = moto

    with pytest.raises(ClientError) as excinfo:
        client.put_item(TableName=name, Item={"id": {"S": "req-1"}, "owner": {"S": ""}})

    assert _error_code(excinfo) == "ValidationException"


def test_moto_supports_time_to_live(moto: tuple[DynamoDBClient, str]) -> None:
    client, name = moto

    client.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"},
    )

    description = client.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
    assert description["TimeToLiveStatus"] == "ENABLED"
    assert description["AttributeName"] == "expires_at"


def test_moto_supports_transactions(moto: tuple[DynamoDBClient, str]) -> None:
    client, name = moto

    client.transact_write_items(
        TransactItems=[{"Put": {"TableName": name, "Item": {"id": {"S": "tx-1"}}}}]
    )

    got = client.transact_get_items(
        TransactItems=[{"Get": {"TableName": name, "Key": {"id": {"S": "tx-1"}}}}]
    )
    assert got["Responses"] == [{"Item": {"id": {"S": "tx-1"}}}]
