"""The server's state as journal records, read back through the DynamoDB API (compaction).

Only what the DynamoDB API can describe is captured: tables, key schema, GSIs/LSIs, billing
mode, streams setting, deletion protection, tags, TTL and items.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from approvals.embedded.errors import EmbeddedServerError
from approvals.embedded.journal import Record
from approvals.embedded.protocol import DYNAMODB_PREFIX

__all__ = ["Dispatch", "create_table_params", "snapshot_records"]

#: Applies one request in-process: (``X-Amz-Target``, region, JSON body) -> (status, body).
Dispatch = Callable[[str, str, str], tuple[int, bytes]]

_BATCH_SIZE = 25  # BatchWriteItem's limit


def snapshot_records(dispatch: Dispatch, regions: Iterable[str]) -> Iterator[Record]:
    """The current state as journal records, read back through the DynamoDB API.

    Per table in each of *regions*: ``CreateTable`` (with its tags), ``UpdateTimeToLive`` if TTL
    is on, and the items as ``BatchWriteItem`` requests.  Raises :class:`EmbeddedServerError`
    if a read fails.
    """
    for region in sorted(regions):
        tables = _pages(
            dispatch,
            region,
            "ListTables",
            {},
            results="TableNames",
            answered="LastEvaluatedTableName",
            taken="ExclusiveStartTableName",
        )
        for name in tables:
            table = _api(dispatch, region, "DescribeTable", {"TableName": name})["Table"]
            create = create_table_params(table)
            tags = list(
                _pages(
                    dispatch,
                    region,
                    "ListTagsOfResource",
                    {"ResourceArn": table["TableArn"]},
                    results="Tags",
                    answered="NextToken",
                    taken="NextToken",
                )
            )
            if tags:
                create["Tags"] = tags
            yield Record.api(region, "CreateTable", create)
            ttl = _api(dispatch, region, "DescribeTimeToLive", {"TableName": name})
            ttl_desc = ttl.get("TimeToLiveDescription", {})
            if ttl_desc.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
                spec = {"Enabled": True, "AttributeName": ttl_desc["AttributeName"]}
                yield Record.api(
                    region,
                    "UpdateTimeToLive",
                    {"TableName": name, "TimeToLiveSpecification": spec},
                )
            items = _pages(
                dispatch,
                region,
                "Scan",
                {"TableName": name, "ConsistentRead": True},
                results="Items",
                answered="LastEvaluatedKey",
                taken="ExclusiveStartKey",
            )
            batch: list[dict[str, Any]] = []
            for item in items:
                batch.append({"PutRequest": {"Item": item}})
                if len(batch) == _BATCH_SIZE:
                    yield Record.api(region, "BatchWriteItem", {"RequestItems": {name: batch}})
                    batch = []
            if batch:
                yield Record.api(region, "BatchWriteItem", {"RequestItems": {name: batch}})


def _api(dispatch: Dispatch, region: str, operation: str, params: dict[str, Any]) -> dict[str, Any]:
    status, payload = dispatch(DYNAMODB_PREFIX + operation, region, json.dumps(params))
    if not 200 <= status < 300:
        raise EmbeddedServerError(
            f"{operation} failed during journal compaction (HTTP {status}): "
            f"{payload[:300].decode('utf-8', 'replace')}"
        )
    result: dict[str, Any] = json.loads(payload) if payload else {}
    return result


def _pages(
    dispatch: Dispatch,
    region: str,
    operation: str,
    params: dict[str, Any],
    *,
    results: str,
    answered: str,
    taken: str,
) -> Iterator[Any]:
    """Yield the *results* entries of every page of a paginated read.

    Each page's *answered* field (absent on the last page) is passed back as *taken*.
    """
    while True:
        page = _api(dispatch, region, operation, params)
        yield from page.get(results, [])
        if not page.get(answered):
            return
        params = {**params, taken: page[answered]}


def create_table_params(table: dict[str, Any]) -> dict[str, Any]:
    """Turn a DescribeTable ``Table`` into the CreateTable request that recreates it."""
    billing = table.get("BillingModeSummary", {}).get("BillingMode", "PROVISIONED")
    provisioned = billing == "PROVISIONED"

    def throughput(desc: dict[str, Any]) -> dict[str, Any]:
        pt = desc.get("ProvisionedThroughput", {})
        return {
            "ReadCapacityUnits": pt.get("ReadCapacityUnits", 1) or 1,
            "WriteCapacityUnits": pt.get("WriteCapacityUnits", 1) or 1,
        }

    params: dict[str, Any] = {
        "TableName": table["TableName"],
        "KeySchema": table["KeySchema"],
        "AttributeDefinitions": table["AttributeDefinitions"],
        "BillingMode": billing,
    }
    if provisioned:
        params["ProvisionedThroughput"] = throughput(table)
    gsis = []
    for index in table.get("GlobalSecondaryIndexes") or []:
        gsi = {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
        if provisioned:
            gsi["ProvisionedThroughput"] = throughput(index)
        gsis.append(gsi)
    if gsis:
        params["GlobalSecondaryIndexes"] = gsis
    lsis = [
        {k: index[k] for k in ("IndexName", "KeySchema", "Projection")}
        for index in table.get("LocalSecondaryIndexes") or []
    ]
    if lsis:
        params["LocalSecondaryIndexes"] = lsis
    stream = table.get("StreamSpecification") or {}
    if stream.get("StreamEnabled"):
        params["StreamSpecification"] = {
            "StreamEnabled": True,
            "StreamViewType": stream["StreamViewType"],
        }
    if table.get("DeletionProtectionEnabled"):
        params["DeletionProtectionEnabled"] = True
    return params
