"""Create-only import in transactions: 100 conditional puts per TransactWriteItems.

The counts are exact (new, already present and identical, present and different), a stored
item is never overwritten, and 1,000 new items take at most 10 round trips. On a server without
transactions (dynalite) the import falls back to single conditional puts with the same counts.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

from approvals import DynamoDBStore
from approvals.migrate import encode_item, import_jsonl
from tests.helpers import make_dynamodb_store
from tests.migrate_support import RawItem, RoundTrips, put_raw, stored_raw, synthetic_item


def jsonl(items: list[RawItem]) -> io.StringIO:
    return io.StringIO("".join(encode_item(item) for item in items))


def changed(item: RawItem) -> RawItem:
    return {**item, "justification": {"S": "Another justification, written by someone else"}}


@pytest.fixture(params=["moto", "moto-server"])
def transactional(request: pytest.FixtureRequest) -> DynamoDBStore:
    if request.param == "moto":
        request.getfixturevalue("moto")
        return make_dynamodb_store()
    return make_dynamodb_store(request.getfixturevalue("moto_server_endpoint"))


def test_a_thousand_new_items_take_ten_round_trips(transactional: DynamoDBStore) -> None:
    items = [synthetic_item(n) for n in range(1000)]

    with RoundTrips(transactional.dynamodb_table().client) as trips:
        report = import_jsonl(transactional, jsonl(items))

    assert (report.written, report.already_present, report.conflicts) == (1000, 0, 0)
    assert dict(trips.counts) == {"TransactWriteItems": 10}
    assert stored_raw(transactional) == {item["id"]["S"]: item for item in items}


def test_existing_ids_are_counted_exactly_and_never_overwritten(
    transactional: DynamoDBStore,
) -> None:
    items = [synthetic_item(n) for n in range(250)]
    identical = items[10:40]  # stored exactly as the lines say
    different = [changed(item) for item in items[100:250:10]]  # stored with other content
    put_raw(transactional, identical + different)

    report = import_jsonl(transactional, jsonl(items))

    assert report.written == 250 - len(identical) - len(different)
    assert report.already_present == len(identical)
    assert report.conflicts == len(different)
    assert sorted(report.conflict_ids) == sorted(item["id"]["S"] for item in different)
    stored = stored_raw(transactional)
    assert len(stored) == 250
    for item in different:
        assert stored[item["id"]["S"]] == item  # the other writer's content stays


def test_a_rerun_counts_everything_as_already_present(transactional: DynamoDBStore) -> None:
    items = [synthetic_item(n) for n in range(150)]
    import_jsonl(transactional, jsonl(items))

    again = import_jsonl(transactional, jsonl(items))

    assert (again.written, again.already_present, again.conflicts) == (0, 150, 0)


def test_without_transactions_single_conditional_puts_give_the_same_counts(
    dynalite_endpoint: str,
) -> None:
    store = make_dynamodb_store(dynalite_endpoint)
    items = [synthetic_item(n) for n in range(120)]
    different = [changed(item) for item in items[:5]]
    put_raw(store, items[5:20] + different)

    with RoundTrips(store.dynamodb_table().client) as trips:
        report = import_jsonl(store, jsonl(items))

    assert (report.written, report.already_present, report.conflicts) == (100, 15, 5)
    counts: dict[str, Any] = dict(trips.counts)
    # One refused transaction, then a conditional put per line and a read per refused put.
    assert counts == {"TransactWriteItems": 1, "PutItem": 120, "GetItem": 20}
    stored = stored_raw(store)
    assert [stored[item["id"]["S"]] for item in different] == different
