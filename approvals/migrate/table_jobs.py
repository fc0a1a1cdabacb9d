"""DynamoDB's own export and import jobs (``ExportTableToPointInTime``, ``ImportTable``): they
run inside DynamoDB, consume no read or write capacity, and go through S3."""

from __future__ import annotations

import gzip
import json
import tempfile
import time
from typing import IO, Any

from botocore.exceptions import ClientError

from approvals.errors import StoreError, ValidationError
from approvals.migrate.format import decode_line
from approvals.migrate.generic import item_codec
from approvals.migrate.importer import validated_line
from approvals.migrate.native import parse_s3_url, s3_errors
from approvals.store import Store
from approvals.store.table import DynamoDBTable
from approvals.store.translate import error_code

__all__ = ["export_table_to_s3", "import_table_from_s3", "upload_for_import"]

_PITR_OFF = "PointInTimeRecoveryUnavailableException"
IMPORT_FILE = "approvals-import.json.gz"
"""The name :func:`upload_for_import` gives its file under the prefix."""


def export_table_to_s3(
    store: Store, url: str, *, wait: bool = True, poll_interval: float = 5.0
) -> dict[str, Any]:
    """Start an ExportTableToPointInTime of the store's table to ``s3://bucket/prefix`` (full,
    DYNAMODB_JSON) and, with ``wait``, poll until it ends; return its ExportDescription.

    The table needs point-in-time recovery enabled. Read the result with
    :func:`~approvals.migrate.read_table_export` (its manifest is under
    ``prefix/AWSDynamoDB/EXPORT-ID/``). Raises ValidationError for a store without DynamoDB
    table access or a bad URL, StoreError when DynamoDB refuses or the export fails.
    """
    table = _table(store)
    bucket, prefix = parse_s3_url(url)
    with table.operation("export_table"):
        try:
            arn = table.client.describe_table(TableName=table.table_name)["Table"]["TableArn"]
            request = {"TableArn": arn, "S3Bucket": bucket, "ExportFormat": "DYNAMODB_JSON"}
            if prefix:
                request["S3Prefix"] = prefix
            started = table.client.export_table_to_point_in_time(**request)
        except ClientError as exc:
            if error_code(exc) != _PITR_OFF:
                raise
            raise StoreError(
                f"table {table.table_name!r} has point-in-time recovery off; enable it (aws "
                "dynamodb update-continuous-backups --point-in-time-recovery-specification "
                "PointInTimeRecoveryEnabled=true) to export it",
                retryable=False,
            ) from exc
    return _follow(table, "Export", started["ExportDescription"], wait, poll_interval)


def import_table_from_s3(
    store: Store,
    url: str,
    *,
    compression: str = "GZIP",
    wait: bool = True,
    poll_interval: float = 5.0,
) -> dict[str, Any]:
    """Create the store's table, in the Go service's schema, with ImportTable from the
    DynamoDB JSON files under ``s3://bucket/prefix`` (``compression``: GZIP or NONE); with
    ``wait``, poll until it ends, then enable TTL on ``ttl``. Return its ImportTableDescription.

    The table must not exist yet (DynamoDB imports only into a new table). The files are an
    export's data files or what :func:`upload_for_import` wrote. Raises ValidationError for
    bad arguments, StoreError when DynamoDB refuses or the import fails.
    """
    if compression not in ("GZIP", "NONE"):
        raise ValidationError("compression must be GZIP or NONE", field="compression")
    table = _table(store)
    bucket, prefix = parse_s3_url(url)
    with table.operation("import_table"):
        started = table.client.import_table(
            S3BucketSource={"S3Bucket": bucket, "S3KeyPrefix": prefix},
            InputFormat="DYNAMODB_JSON",
            InputCompressionType=compression,
            TableCreationParameters=_creation_parameters(table),
        )
    description = _follow(table, "Import", started["ImportTableDescription"], wait, poll_interval)
    if wait:
        create_table = getattr(store, "create_table", None)
        if callable(create_table):
            create_table(wait=True)  # the table exists: this only turns TTL on
    return description


def upload_for_import(fp: IO[str], url: str, s3_client: Any) -> tuple[str, int]:
    """Write the JSON Lines requests of ``fp`` (validated as :func:`import_jsonl` does) to
    ``s3://bucket/prefix/approvals-import.json.gz`` as gzipped DynamoDB JSON, one
    ``{"Item": ...}`` a line, for :func:`import_table_from_s3`; return (the S3 key, the item
    count). One PutObject, so at most 5 GB compressed.

    Raises ValidationError naming the first invalid line, StoreError when S3 refuses.
    """
    bucket, prefix = parse_s3_url(url)
    key = f"{prefix}/{IMPORT_FILE}" if prefix else IMPORT_FILE
    codec = item_codec()
    count = 0
    with tempfile.TemporaryFile() as spool:
        with gzip.GzipFile(fileobj=spool, mode="wb") as packed:
            for number, text in enumerate(fp, 1):
                raw = decode_line(text, number)
                if raw is None:
                    continue
                validated_line(codec, raw, number)
                packed.write(json.dumps({"Item": raw}, ensure_ascii=False).encode() + b"\n")
                count += 1
        spool.seek(0)
        with s3_errors(f"s3://{bucket}/{key}"):
            s3_client.put_object(Bucket=bucket, Key=key, Body=spool)
    return key, count


def _follow(
    table: DynamoDBTable, job: str, description: dict[str, Any], wait: bool, poll_interval: float
) -> dict[str, Any]:
    """With ``wait``, describe the ``job`` (Export or Import) every ``poll_interval`` seconds
    while it is IN_PROGRESS; return its last description, StoreError when it failed."""
    status = f"{job}Status"
    while wait and description.get(status) == "IN_PROGRESS":
        time.sleep(poll_interval)
        with table.operation(f"{job.lower()}_table"):
            if job == "Export":
                response = table.client.describe_export(ExportArn=description["ExportArn"])
                description = response["ExportDescription"]
            else:
                response = table.client.describe_import(ImportArn=description["ImportArn"])
                description = response["ImportTableDescription"]
    if description.get(status) in ("FAILED", "CANCELLED", "CANCELLING"):
        what = "export of" if job == "Export" else "import into"
        raise StoreError(
            f"the {what} {table.table_name!r} failed ({description.get('FailureCode')}: "
            f"{description.get('FailureMessage')})",
            retryable=False,
        )
    return description


def _table(store: Store) -> DynamoDBTable:
    table_access = getattr(store, "dynamodb_table", None)
    if not callable(table_access):
        raise ValidationError(
            f"{type(store).__name__} has no DynamoDB table to export or import", field="store"
        )
    table: DynamoDBTable = table_access()
    return table


def _creation_parameters(table: DynamoDBTable) -> dict[str, Any]:
    """The table's schema (keys, the three indexes, on-demand billing) as ImportTable takes it."""
    schema = table.model._get_schema()  # PynamoDB's own CreateTable description of the model
    return {
        "TableName": table.table_name,
        "AttributeDefinitions": schema["attribute_definitions"],
        "KeySchema": schema["key_schema"],
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": index["index_name"],
                "KeySchema": index["key_schema"],
                "Projection": index["projection"],
            }
            for index in schema["global_secondary_indexes"]
        ],
    }
