"""Tests for the embedded DynamoDB server: persistence, crash safety, locking, isolation.

Everything talks to the server with raw boto3 clients over HTTP, as the CLI will.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from approvals.embedded import (
    JOURNAL_NAME,
    DataDirLockedError,
    EmbeddedDynamoDB,
    EmbeddedServerError,
    JournalCorruptError,
    default_data_dir,
    ensure_dummy_credentials,
)

REPO_ROOT = Path(__file__).resolve().parents[1]


def client(db: EmbeddedDynamoDB) -> Any:
    return boto3.client("dynamodb", **db.client_kwargs())


def create_requests_table(ddb: Any, name: str = "requests") -> None:
    """An on-demand table with a GSI, shaped like the approvals table."""
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "id", "AttributeType": "S"},
            {"AttributeName": "requester", "AttributeType": "S"},
            {"AttributeName": "created", "AttributeType": "N"},
        ],
        BillingMode="PAY_PER_REQUEST",
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by-requester",
                "KeySchema": [
                    {"AttributeName": "requester", "KeyType": "HASH"},
                    {"AttributeName": "created", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    )


def request_item(i: int, requester: str = "alice") -> dict[str, Any]:
    return {
        "id": {"S": f"req-{i:04d}"},
        "requester": {"S": requester},
        "created": {"N": str(1000 + i)},
        "status": {"S": "PENDING"},
    }


def dump(ddb: Any) -> dict[str, list[dict[str, Any]]]:
    """Every table's items, sorted, for comparing states."""
    state = {}
    for name in ddb.list_tables()["TableNames"]:
        pages = ddb.get_paginator("scan").paginate(TableName=name, ConsistentRead=True)
        items = [item for page in pages for item in page["Items"]]
        state[name] = sorted(items, key=lambda item: json.dumps(item, sort_keys=True))
    return state


def copy_journal(src: EmbeddedDynamoDB, dst_dir: Path) -> Path:
    """Copy the live (uncompacted) journal, i.e. what a SIGKILL right now would leave behind."""
    dst_dir.mkdir(parents=True, exist_ok=True)
    target = dst_dir / JOURNAL_NAME
    shutil.copyfile(src.journal_path, target)
    return target


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def db(data_dir: Path) -> Iterator[EmbeddedDynamoDB]:
    with EmbeddedDynamoDB(data_dir) as server:
        yield server


def test_endpoint_is_loopback_and_only_while_running(data_dir: Path) -> None:
    server = EmbeddedDynamoDB(data_dir)
    with pytest.raises(EmbeddedServerError):
        _ = server.endpoint_url
    url = server.start()
    try:
        assert url.startswith("http://127.0.0.1:")
        assert server.endpoint_url == url
        assert server.region == "us-east-1"
        assert server.data_dir == data_dir
        assert client(server).list_tables()["TableNames"] == []
        with pytest.raises(EmbeddedServerError, match="already running"):
            server.start()
    finally:
        server.stop()
    server.stop()  # idempotent
    assert not server.running


def test_tables_items_and_indexes_survive_restart(data_dir: Path, tmp_path: Path) -> None:
    with EmbeddedDynamoDB(data_dir) as first:
        ddb = client(first)
        create_requests_table(ddb)
        ddb.create_table(
            TableName="provisioned",
            KeySchema=[
                {"AttributeName": "pk", "KeyType": "HASH"},
                {"AttributeName": "sk", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
                {"AttributeName": "alt", "AttributeType": "S"},
            ],
            ProvisionedThroughput={"ReadCapacityUnits": 3, "WriteCapacityUnits": 2},
            LocalSecondaryIndexes=[
                {
                    "IndexName": "by-alt",
                    "KeySchema": [
                        {"AttributeName": "pk", "KeyType": "HASH"},
                        {"AttributeName": "alt", "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            ],
            Tags=[{"Key": "team", "Value": "sec"}],
        )
        ddb.update_time_to_live(
            TableName="requests",
            TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"},
        )
        for i in range(30):
            ddb.put_item(TableName="requests", Item=request_item(i, "alice" if i % 2 else "bob"))
        ddb.update_item(
            TableName="requests",
            Key={"id": {"S": "req-0001"}},
            UpdateExpression="SET #s = :s ADD version :one",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":s": {"S": "APPROVED"}, ":one": {"N": "1"}},
        )
        ddb.delete_item(TableName="requests", Key={"id": {"S": "req-0002"}})
        ddb.batch_write_item(
            RequestItems={
                "provisioned": [
                    {
                        "PutRequest": {
                            "Item": {"pk": {"S": "p"}, "sk": {"S": f"{j}"}, "alt": {"S": "a"}}
                        }
                    }
                    for j in range(5)
                ]
            }
        )
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "requests", "Item": request_item(100, "carol")}},
                {
                    "Delete": {
                        "TableName": "provisioned",
                        "Key": {"pk": {"S": "p"}, "sk": {"S": "4"}},
                    }
                },
            ]
        )
        expected = dump(ddb)
        # What a crash at this point would leave: the raw journal, replayed without compaction.
        copy_journal(first, tmp_path / "crashed")

    for directory in (data_dir, tmp_path / "crashed"):
        with EmbeddedDynamoDB(directory) as second:
            ddb = client(second)
            assert dump(ddb) == expected
            table = ddb.describe_table(TableName="requests")["Table"]
            assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
            assert [g["IndexName"] for g in table["GlobalSecondaryIndexes"]] == ["by-requester"]
            alice = ddb.query(
                TableName="requests",
                IndexName="by-requester",
                KeyConditionExpression="requester = :r AND created > :c",
                ExpressionAttributeValues={":r": {"S": "alice"}, ":c": {"N": "1010"}},
            )
            assert [item["id"]["S"] for item in alice["Items"]] == [
                f"req-{i:04d}" for i in range(11, 30, 2)
            ]
            ttl = ddb.describe_time_to_live(TableName="requests")["TimeToLiveDescription"]
            assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
            other = ddb.describe_table(TableName="provisioned")["Table"]
            assert other["ProvisionedThroughput"]["ReadCapacityUnits"] == 3
            assert [i["IndexName"] for i in other["LocalSecondaryIndexes"]] == ["by-alt"]
            tags = ddb.list_tags_of_resource(ResourceArn=other["TableArn"])["Tags"]
            assert tags == [{"Key": "team", "Value": "sec"}]

    # A third generation: writes after a replay append to the compacted journal.
    with EmbeddedDynamoDB(data_dir) as third:
        ddb = client(third)
        ddb.put_item(TableName="requests", Item=request_item(200))
        ddb.delete_table(TableName="provisioned")
    with EmbeddedDynamoDB(data_dir) as fourth:
        ddb = client(fourth)
        assert ddb.list_tables()["TableNames"] == ["requests"]
        assert "Item" in ddb.get_item(TableName="requests", Key={"id": {"S": "req-0200"}})


CHILD_WRITER = textwrap.dedent(
    """
    import sys

    import boto3

    from approvals.embedded import EmbeddedDynamoDB

    db = EmbeddedDynamoDB(sys.argv[1])
    db.start()
    ddb = boto3.client("dynamodb", **db.client_kwargs())
    ddb.create_table(
        TableName="killed",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for i in range(int(sys.argv[2])):
        ddb.put_item(TableName="killed", Item={"id": {"S": f"id-{i:06d}"}, "n": {"N": str(i)}})
        print(f"id-{i:06d}", flush=True)
    print("finished", flush=True)
    """
)


def child_env() -> dict[str, str]:
    path = os.pathsep.join(p for p in (str(REPO_ROOT), os.environ.get("PYTHONPATH")) if p)
    return {**os.environ, "PYTHONPATH": path}


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")
def test_sigkill_loses_nothing_that_was_acknowledged(data_dir: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_WRITER, str(data_dir), "1000000"],
        stdout=subprocess.PIPE,
        text=True,
        env=child_env(),
        cwd=REPO_ROOT,
    )
    assert child.stdout is not None
    acknowledged = []
    try:
        for line in child.stdout:
            acknowledged.append(line.strip())
            if len(acknowledged) == 40:
                child.send_signal(signal.SIGKILL)
                break
    finally:
        child.kill()
        rest, _ = child.communicate()
    acknowledged += rest.split()
    assert child.returncode == -signal.SIGKILL
    assert "finished" not in acknowledged
    assert len(acknowledged) >= 40

    with EmbeddedDynamoDB(data_dir) as after:
        items = dump(client(after))["killed"]
    stored = {item["id"]["S"]: int(item["n"]["N"]) for item in items}
    assert set(acknowledged) <= set(stored)
    # Nothing invented or garbled: ids are consecutive from 0 and carry their own number;
    # at most one write can have been applied without being printed.
    assert sorted(stored) == [f"id-{i:06d}" for i in range(len(stored))]
    assert all(n == int(key[3:]) for key, n in stored.items())
    assert len(stored) - len(acknowledged) <= 1


def test_failed_writes_are_not_replayed(db: EmbeddedDynamoDB, tmp_path: Path) -> None:
    ddb = client(db)
    create_requests_table(ddb)
    ddb.put_item(TableName="requests", Item=request_item(1))
    errors = ddb.exceptions

    with pytest.raises(errors.ConditionalCheckFailedException):
        ddb.put_item(
            TableName="requests",
            Item={**request_item(1), "status": {"S": "OVERWRITTEN"}},
            ConditionExpression="attribute_not_exists(id)",
        )
    with pytest.raises(errors.ConditionalCheckFailedException):
        ddb.update_item(
            TableName="requests",
            Key={"id": {"S": "req-0001"}},
            UpdateExpression="SET #s = :new",
            ConditionExpression="#s = :expected",
            ExpressionAttributeNames={"#s": "status"},
            ExpressionAttributeValues={":new": {"S": "OVERWRITTEN"}, ":expected": {"S": "NOPE"}},
        )
    with pytest.raises(errors.TransactionCanceledException):
        ddb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": "requests", "Item": request_item(2)}},
                {
                    "ConditionCheck": {
                        "TableName": "requests",
                        "Key": {"id": {"S": "req-0001"}},
                        "ConditionExpression": "attribute_not_exists(id)",
                    }
                },
            ]
        )
    with pytest.raises(ClientError):  # validation error
        ddb.update_item(
            TableName="requests",
            Key={"id": {"S": "req-0001"}},
            UpdateExpression="SET status = :s",  # reserved word
            ExpressionAttributeValues={":s": {"S": "OVERWRITTEN"}},
        )

    journal = db.journal_path.read_text()
    assert "OVERWRITTEN" not in journal
    assert "req-0002" not in journal

    copy_journal(db, tmp_path / "replayed")
    with EmbeddedDynamoDB(tmp_path / "replayed") as replayed:
        assert dump(client(replayed)) == {"requests": [request_item(1)]}


def test_torn_journal_tail_is_ignored(db: EmbeddedDynamoDB, tmp_path: Path) -> None:
    ddb = client(db)
    create_requests_table(ddb)
    for i in range(3):
        ddb.put_item(TableName="requests", Item=request_item(i))
    expected = dump(ddb)

    journal = copy_journal(db, tmp_path / "torn")
    last_line = journal.read_bytes().splitlines(keepends=True)[-1]
    with open(journal, "ab") as f:
        f.write(last_line.replace(b"req-0002", b"req-0099")[: len(last_line) // 2])

    with EmbeddedDynamoDB(tmp_path / "torn") as recovered:
        assert dump(client(recovered)) == expected
    # The restart compacted the journal: the torn bytes are gone for good.
    assert journal.read_bytes().endswith(b'{"snapshot_end":true}\n')
    assert b"req-0099" not in journal.read_bytes()
    with EmbeddedDynamoDB(tmp_path / "torn") as again:
        assert dump(client(again)) == expected


def test_damage_before_the_tail_is_an_error(db: EmbeddedDynamoDB, tmp_path: Path) -> None:
    ddb = client(db)
    create_requests_table(ddb)
    ddb.put_item(TableName="requests", Item=request_item(1))
    journal = copy_journal(db, tmp_path / "damaged")
    lines = journal.read_bytes().splitlines(keepends=True)
    lines[1] = b"garbage\n"
    journal.write_bytes(b"".join(lines))

    with pytest.raises(JournalCorruptError, match="line 2"):
        EmbeddedDynamoDB(tmp_path / "damaged").start()
    # A failed start releases the lock and leaves the journal alone.
    assert journal.read_bytes() == b"".join(lines)
    journal.unlink()
    with EmbeddedDynamoDB(tmp_path / "damaged") as fresh:
        assert dump(client(fresh)) == {}


def test_data_dir_lock_refuses_a_second_user_in_process(db: EmbeddedDynamoDB) -> None:
    second = EmbeddedDynamoDB(db.data_dir)
    with pytest.raises(DataDirLockedError, match=str(db.data_dir)):
        second.start()
    assert not second.running
    db.stop()
    with second:
        assert second.running


@pytest.mark.skipif(sys.platform == "win32", reason="lock message test uses POSIX flock")
def test_data_dir_lock_refuses_another_process(db: EmbeddedDynamoDB) -> None:
    code = textwrap.dedent(
        """
        import sys
        from approvals.embedded import DataDirLockedError, EmbeddedDynamoDB
        try:
            EmbeddedDynamoDB(sys.argv[1]).start()
        except DataDirLockedError as e:
            print(e)
            sys.exit(3)
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(db.data_dir)],
        capture_output=True,
        text=True,
        env=child_env(),
        cwd=REPO_ROOT,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert "in use" in result.stdout
    assert f"process {os.getpid()}" in result.stdout


def test_instances_in_one_process_are_isolated(tmp_path: Path) -> None:
    with EmbeddedDynamoDB(tmp_path / "a") as a, EmbeddedDynamoDB(tmp_path / "b") as b:
        assert a.endpoint_url != b.endpoint_url
        ddb_a, ddb_b = client(a), client(b)
        create_requests_table(ddb_a)
        create_requests_table(ddb_b)
        ddb_a.put_item(TableName="requests", Item=request_item(1))
        ddb_b.put_item(TableName="requests", Item=request_item(2))
        assert dump(ddb_a) == {"requests": [request_item(1)]}
        assert dump(ddb_b) == {"requests": [request_item(2)]}
    with EmbeddedDynamoDB(tmp_path / "a") as a:
        assert dump(client(a)) == {"requests": [request_item(1)]}


def test_non_dynamodb_requests_are_refused(db: EmbeddedDynamoDB) -> None:
    # moto's control API would reset every backend in the process.
    request = urllib.request.Request(f"{db.endpoint_url}/moto-api/reset", method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    assert caught.value.code == 400


def test_default_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("APPROVALS_DATA_DIR", str(tmp_path / "explicit"))
    assert default_data_dir() == tmp_path / "explicit"
    assert EmbeddedDynamoDB().data_dir == tmp_path / "explicit"

    monkeypatch.delenv("APPROVALS_DATA_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
        assert default_data_dir() == tmp_path / "xdg" / "approvals"
        monkeypatch.delenv("XDG_DATA_HOME")
        assert default_data_dir() == tmp_path / "home" / ".local" / "share" / "approvals"
        monkeypatch.setattr(sys, "platform", "darwin")
        expected = tmp_path / "home" / "Library" / "Application Support" / "approvals"
        assert default_data_dir() == expected


def test_ensure_dummy_credentials_keeps_existing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "real-secret")
    ensure_dummy_credentials()
    assert os.environ["AWS_ACCESS_KEY_ID"]
    assert os.environ["AWS_SECRET_ACCESS_KEY"] == "real-secret"


def test_an_unreadable_journal_is_an_embedded_server_error(tmp_path: Path) -> None:
    (tmp_path / JOURNAL_NAME).mkdir()
    with pytest.raises(EmbeddedServerError, match="cannot start"):
        EmbeddedDynamoDB(tmp_path).start()
