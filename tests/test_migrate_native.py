"""DynamoDB's own export and import: read_table_export, export_table_to_s3, import_table_from_s3.

moto (5.2) runs ExportTableToPointInTime but writes only the data file: no
manifest-summary.json or manifest-files.json, which every AWS export has and which the reader
requires (they say the export is complete, and how many items each file holds). The tests
therefore check that moto's export is refused as incomplete, then add the two manifests in the
documented AWS format beside moto's data file and read it back; and read a locally built export
(the documented layout) from a directory.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config

from approvals import DynamoDBStore, StoreError, ValidationError
from approvals.migrate import (
    encode_item,
    export_jsonl,
    export_table_to_s3,
    import_table_from_s3,
    read_table_export,
    scan_requests,
    upload_for_import,
)
from tests.helpers import REGION, go_written_items, make_dynamodb_store
from tests.migrate_support import RawItem, put_raw, stored_raw, synthetic_item

BUCKET = "exports"
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def s3(moto: None) -> Any:
    client = boto3.client("s3", region_name=REGION)
    client.create_bucket(Bucket=BUCKET)
    return client


@pytest.fixture
def table(moto: None) -> DynamoDBStore:
    store = make_dynamodb_store()
    put_raw(store, [synthetic_item(n) for n in range(150)] + go_written_items())
    return store


def add_manifests(s3: Any, data_key: str, export_arn: str) -> None:
    """Write manifest-files.json and manifest-summary.json beside a data file, as AWS does."""
    body = s3.get_object(Bucket=BUCKET, Key=data_key)["Body"].read()
    count = gzip.decompress(body).count(b"\n")
    export_dir = data_key.rpartition("/data/")[0]
    files_key = f"{export_dir}/manifest-files.json"
    entry = {
        "itemCount": count,
        "md5Checksum": base64.b64encode(hashlib.md5(body).digest()).decode(),
        "etag": hashlib.md5(body).hexdigest(),
        "dataFileS3Key": data_key,
    }
    s3.put_object(Bucket=BUCKET, Key=files_key, Body=json.dumps(entry).encode() + b"\n")
    summary = summary_for(export_arn, files_key, count)
    s3.put_object(Bucket=BUCKET, Key=f"{export_dir}/manifest-summary.json", Body=summary)


def summary_for(export_arn: str, files_key: str, count: int, **overrides: str) -> bytes:
    summary = {
        "version": "2020-06-30",
        "exportArn": export_arn,
        "startTime": "2026-12-01T10:00:00.000Z",
        "endTime": "2026-12-01T10:05:00.000Z",
        "tableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/sentinel-requests",
        "exportTime": "2026-12-01T10:00:00.000Z",
        "s3Bucket": BUCKET,
        "s3Prefix": "nightly",
        "manifestFilesS3Key": files_key,
        "billedSizeBytes": 1000,
        "itemCount": count,
        "outputFormat": "DYNAMODB_JSON",
        "exportType": "FULL_EXPORT",
        **overrides,
    }
    return json.dumps(summary).encode()


def jsonl_lines(store: DynamoDBStore) -> Counter[str]:
    out = io.StringIO()
    export_jsonl(store, out)
    return Counter(out.getvalue().splitlines())


def test_a_native_export_reads_back_exactly_as_a_scan(table: DynamoDBStore, s3: Any) -> None:
    client = table.dynamodb_table().client
    client.update_continuous_backups(
        TableName=table.table_name,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )

    description = export_table_to_s3(table, f"s3://{BUCKET}/nightly", poll_interval=0.05)

    assert description["ExportStatus"] == "COMPLETED"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    with pytest.raises(ValidationError, match="no complete table export"):
        read_table_export(f"s3://{BUCKET}/nightly", s3_client=s3)  # moto wrote no manifest
    [data_key] = keys
    add_manifests(s3, data_key, description["ExportArn"])

    export = read_table_export(f"s3://{BUCKET}/nightly", s3_client=s3)

    assert export.item_count == len(stored_raw(table))
    assert {item["id"]["S"]: item for item in export.items()} == stored_raw(table)
    assert sorted(export.requests(), key=lambda r: r.id) == sorted(
        scan_requests(table), key=lambda r: r.id
    )
    out = io.StringIO()
    report = export.write_jsonl(out)
    assert report.written == export.item_count
    assert Counter(out.getvalue().splitlines()) == jsonl_lines(table)


def test_an_export_needs_point_in_time_recovery(table: DynamoDBStore, s3: Any) -> None:
    with pytest.raises(StoreError, match="point-in-time recovery"):
        export_table_to_s3(table, f"s3://{BUCKET}/nightly", poll_interval=0.05)


def build_export(root: Path, files: list[list[RawItem]], **summary: str) -> Path:
    """A complete export in the documented layout under ``root`` (the prefix "nightly")."""
    export_dir = root / "AWSDynamoDB" / "01764590400000-a1b2c3d4"
    (export_dir / "data").mkdir(parents=True)
    key_dir = "nightly/AWSDynamoDB/01764590400000-a1b2c3d4"
    entries = []
    for number, items in enumerate(files):
        body = gzip.compress(b"".join(json.dumps({"Item": i}).encode() + b"\n" for i in items))
        name = f"data/file{number}.json.gz"
        (export_dir / name).write_bytes(body)
        entries.append(
            {
                "itemCount": len(items),
                "md5Checksum": base64.b64encode(hashlib.md5(body).digest()).decode(),
                "etag": hashlib.md5(body).hexdigest(),
                "dataFileS3Key": f"{key_dir}/{name}",
            }
        )
    files_text = "".join(json.dumps(entry) + "\n" for entry in entries)
    (export_dir / "manifest-files.json").write_text(files_text)
    count = sum(len(items) for items in files)
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/t/export/01764590400000-a1b2c3d4"
    summary_bytes = summary_for(arn, f"{key_dir}/manifest-files.json", count, **summary)
    (export_dir / "manifest-summary.json").write_bytes(summary_bytes)
    return export_dir


def test_a_local_copy_of_an_export_reads_every_item_of_every_file(tmp_path: Path) -> None:
    items = [synthetic_item(n) for n in range(30)] + go_written_items()
    export_dir = build_export(tmp_path, [items[:10], items[10:]])

    for location in (tmp_path, export_dir):  # the prefix, or the export's own directory
        export = read_table_export(location)
        assert list(export.items()) == items
        out = io.StringIO()
        export.write_jsonl(out)
        assert out.getvalue() == "".join(encode_item(item) for item in items)


def test_a_damaged_data_file_is_refused(tmp_path: Path) -> None:
    export_dir = build_export(tmp_path, [[synthetic_item(n) for n in range(5)]])
    data = export_dir / "data" / "file0.json.gz"
    data.write_bytes(gzip.compress(gzip.decompress(data.read_bytes()).replace(b"user", b"resu")))

    with pytest.raises(StoreError, match="MD5"):
        list(read_table_export(tmp_path).items())


def test_a_data_file_with_other_items_than_its_manifest_is_refused(tmp_path: Path) -> None:
    export_dir = build_export(tmp_path, [[synthetic_item(n) for n in range(5)]])
    files = export_dir / "manifest-files.json"
    entry = json.loads(files.read_text())
    files.write_text(json.dumps({**entry, "itemCount": 6, "md5Checksum": None}) + "\n")

    with pytest.raises(StoreError, match="5 items, its manifest says 6"):
        list(read_table_export(tmp_path).items())


def test_a_summary_without_its_file_list_is_refused(tmp_path: Path) -> None:
    export_dir = build_export(tmp_path, [[synthetic_item(1)]])
    (export_dir / "manifest-summary.json").write_text("{}")
    with pytest.raises(ValidationError, match="not an export's manifest summary"):
        read_table_export(export_dir)


def test_an_incremental_export_is_refused(tmp_path: Path) -> None:
    build_export(tmp_path, [[synthetic_item(1)]], exportType="INCREMENTAL_EXPORT")
    with pytest.raises(ValidationError, match="only full DYNAMODB_JSON"):
        read_table_export(tmp_path)


def test_a_native_import_creates_the_table_from_our_jsonl(s3: Any, tmp_path: Path) -> None:
    items = [synthetic_item(n) for n in range(120)] + go_written_items()
    text = "".join(encode_item(item) for item in items)
    target = DynamoDBStore("imported-requests", region=REGION)

    key, count = upload_for_import(io.StringIO(text), f"s3://{BUCKET}/to-import", s3)
    description = import_table_from_s3(target, f"s3://{BUCKET}/to-import", poll_interval=0.05)

    assert (key, count) == ("to-import/approvals-import.json.gz", len(items))
    assert description["ImportStatus"] == "COMPLETED"
    assert stored_raw(target) == {item["id"]["S"]: item for item in items}
    indexes = target.dynamodb_table().client.describe_table(TableName="imported-requests")
    assert sorted(i["IndexName"] for i in indexes["Table"]["GlobalSecondaryIndexes"]) == [
        "gsi-profile",
        "gsi-requester",
        "gsi-status",
    ]


def test_an_invalid_line_is_refused_before_anything_is_uploaded(s3: Any) -> None:
    bad = {**synthetic_item(2), "status": {"S": "on-hold"}}
    text = encode_item(synthetic_item(1)) + encode_item(bad)

    with pytest.raises(ValidationError, match="line 2"):
        upload_for_import(io.StringIO(text), f"s3://{BUCKET}/to-import", s3)
    assert "Contents" not in s3.list_objects_v2(Bucket=BUCKET)


def test_an_unreachable_s3_is_a_retryable_store_error() -> None:
    s3 = boto3.client(
        "s3",
        region_name=REGION,
        endpoint_url="http://127.0.0.1:9",  # nothing listens there
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )
    text = encode_item(synthetic_item(1))

    with pytest.raises(StoreError, match="S3 unreachable") as raised:
        upload_for_import(io.StringIO(text), f"s3://{BUCKET}/to-import", s3)
    assert raised.value.retryable


def test_the_command_line_runs_a_native_export_and_import_on_moto_server(
    moto_server_endpoint: str, tmp_path: Path
) -> None:
    store = make_dynamodb_store(moto_server_endpoint)
    items = [synthetic_item(n) for n in range(40)]
    put_raw(store, items)
    aws = {"region_name": REGION, "endpoint_url": moto_server_endpoint}
    boto3.client("dynamodb", **aws).update_continuous_backups(
        TableName=store.table_name,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    s3 = boto3.client("s3", **aws)
    bucket = f"cli-{store.table_name}"
    s3.create_bucket(Bucket=bucket)
    env = {**os.environ, "AWS_REGION": REGION, "PYTHONPATH": str(ROOT)}

    def approvals(table: str, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "approvals", "--endpoint-url", moto_server_endpoint]
        return subprocess.run(
            [*command, "--table", table, *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    exported = approvals(store.table_name, "export", "--native", f"s3://{bucket}/nightly")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("export COMPLETED: 40 items")
    [data] = s3.list_objects_v2(Bucket=bucket, Prefix="nightly/")["Contents"]
    body = s3.get_object(Bucket=bucket, Key=data["Key"])["Body"].read()
    assert gzip.decompress(body).count(b"\n") == 40

    source = tmp_path / "requests.jsonl"
    source.write_text("".join(encode_item(item) for item in items), encoding="utf-8")
    new_table = f"{store.table_name}-copy"
    imported = approvals(new_table, "import", str(source), "--native", f"s3://{bucket}/in")
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout.startswith("import COMPLETED: 40 items")
    copy = DynamoDBStore(new_table, region=REGION, host=moto_server_endpoint)
    assert stored_raw(copy) == {item["id"]["S"]: item for item in items}
