"""approvals.migrate on the HTTP backends (moto's server and dynalite) with Go-written items.

dynalite ignores ReturnValuesOnConditionCheckFailure and has no TTL: the conflict paths must
still classify refused writes, by reading the item.
"""

from __future__ import annotations

import io
from datetime import datetime, timezone

import pytest

from approvals import DynamoDBStore, RequestStatus
from approvals.migrate import encode_item, export_jsonl, import_jsonl, normalize, sweep_expired
from tests.helpers import go_written_items, make_dynamodb_store
from tests.migrate_support import put_raw, stored_raw

GO_ITEMS = {item["id"]["S"]: item for item in go_written_items()}


@pytest.fixture(params=["moto_server_endpoint", "dynalite_endpoint"])
def server_table(request: pytest.FixtureRequest) -> DynamoDBStore:
    return make_dynamodb_store(request.getfixturevalue(request.param))


def test_go_items_round_trip_exactly_through_a_server(server_table: DynamoDBStore) -> None:
    put_raw(server_table, GO_ITEMS.values())
    out = io.StringIO()
    export_jsonl(server_table, out, segments=2)
    copy = make_dynamodb_store(server_table.host)

    first = import_jsonl(copy, io.StringIO(out.getvalue()))
    again = import_jsonl(copy, io.StringIO(out.getvalue()))

    assert stored_raw(copy) == GO_ITEMS
    assert (first.written, again.already_present) == (6, 6)


def test_a_conflicting_import_is_reported_on_a_server(server_table: DynamoDBStore) -> None:
    put_raw(server_table, [GO_ITEMS["3f9a1c0d5e7b2a41"]])
    changed = {**GO_ITEMS["3f9a1c0d5e7b2a41"], "approver_comment": {"S": "edited"}}
    report = import_jsonl(server_table, io.StringIO(encode_item(changed)))

    assert report.conflict_ids == ["3f9a1c0d5e7b2a41"]
    assert stored_raw(server_table)["3f9a1c0d5e7b2a41"] == GO_ITEMS["3f9a1c0d5e7b2a41"]


def test_sweep_and_normalize_on_a_server(server_table: DynamoDBStore) -> None:
    put_raw(server_table, GO_ITEMS.values())

    swept = sweep_expired(server_table, now=datetime(2027, 1, 1, tzinfo=timezone.utc))
    normalized = normalize(server_table)

    assert swept.written == 2  # the two pending Go items
    assert (normalized.written, normalized.unchanged) == (5, 1)
    assert normalize(server_table).written == 0
    statuses = {r: server_table.get(r).status for r in ("3f9a1c0d5e7b2a41", "feedfacefeedface")}
    assert set(statuses.values()) == {RequestStatus.EXPIRED}
