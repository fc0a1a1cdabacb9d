"""Newest-first by instant from every read path, over the time forms the Go service writes.

The Go service writes trimmed fractions (``…:09Z``, ``…:09.5Z``), which the GSIs order as text:
wrong within one second. Every store buffers a second's items and sorts them by instant, then id.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from approvals import Request, RequestStatus, Store, find_approved_request
from approvals.contrib.api import list_requests
from approvals.times import instant_ns, parse_time
from tests.gotime import go_parse
from tests.helpers import make_dynamodb_store

PROFILE = "production"
# One second written by the Go service in every width, with its neighbours.
SECOND = [
    "2026-11-20T10:00:09Z",
    "2026-11-20T10:00:09.5Z",
    "2026-11-20T10:00:09.05Z",
    "2026-11-20T10:00:09.123Z",
    "2026-11-20T10:00:09.123456789Z",
    "2026-11-20T10:00:09.123456Z",
    "2026-11-20T10:00:09.000000001Z",
    "2026-11-20T10:00:09.999999999Z",
    "2026-11-20T10:00:09.9Z",
    "2026-11-20T10:00:09.120783001Z",  # the form this library writes
]
NEIGHBOURS = ["2026-11-20T10:00:08.9Z", "2026-11-20T10:00:10Z", "2026-11-20T10:00:08Z"]
TIES = ["2026-11-20T10:00:09.5Z", "2026-11-20T10:00:09.500000001Z"]  # two more at .5 (ids break it)


def _request(number: int, created_at: str, status: RequestStatus, justification: str) -> Request:
    created = parse_time(created_at)
    decided = status is not RequestStatus.PENDING
    return Request(
        id=f"{number:016x}",
        requester="alice",
        profile=PROFILE,
        justification=justification,
        duration=timedelta(hours=8),
        status=status,
        created_at=created,
        updated_at=created,
        expires_at=parse_time("2999-01-01T00:00:00Z"),
        approver="bob" if decided else "",
    )


def _seed(
    store: Store, forms: list[str], status: RequestStatus = RequestStatus.APPROVED
) -> list[Request]:
    order = list(range(len(forms)))
    random.Random(7).shuffle(order)  # the store, not the insertion order, decides the order
    made = [_request(n + 1, forms[n], status, "Deploy the hotfix for INC-4821") for n in order]
    for request in made:
        store.create(request)
    return _expected(made)


def _expected(requests: list[Request]) -> list[Request]:
    # By instant as Go parses the stored string (to the nanosecond), then id, newest first.
    def key(request: Request) -> tuple[int, str]:
        return (go_parse(request.created_at.wire or "")[0], request.id)

    return sorted(requests, key=key, reverse=True)


def _ids(requests: Any) -> list[str]:
    return [r.id for r in requests]


def _walk(store: Store, limit: int) -> Iterator[str]:
    query = {"profile": PROFILE, "limit": str(limit)}
    while True:
        page = list_requests(store, query)
        yield from (r.id for r in page.items)
        if page.next_cursor is None:
            return
        query = {**query, "cursor": page.next_cursor}


def test_every_read_path_is_newest_first_by_instant_within_one_second(store: Store) -> None:
    expected = _ids(_seed(store, SECOND + NEIGHBOURS + TIES))
    assert _ids(store.iter_by_requester("alice")) == expected
    assert _ids(store.iter_by_profile(PROFILE)) == expected
    assert _ids(store.iter_by_status(RequestStatus.APPROVED)) == expected
    for limit in range(1, len(expected) + 1):
        assert _ids(store.list_by_requester("alice", limit=limit)) == expected[:limit]
        assert _ids(store.list_by_profile(PROFILE, limit=limit)) == expected[:limit]
        assert _ids(store.list_by_status(RequestStatus.APPROVED, limit=limit)) == expected[:limit]
        assert list(_walk(store, limit)) == expected


def test_until_includes_every_item_of_its_second_at_or_before_it(store: Store) -> None:
    expected = _seed(store, SECOND + NEIGHBOURS + TIES)
    for request in expected:
        until = request.created_at
        at_or_before = [r.id for r in expected if instant_ns(r.created_at) <= instant_ns(until)]
        assert _ids(store.iter_by_profile(PROFILE, until=until)) == at_or_before
        assert _ids(store.iter_by_requester("alice", until=until)) == at_or_before


def test_find_approved_request_returns_the_newest_within_a_second(store: Store) -> None:
    expected = _seed(store, SECOND)
    now = parse_time("2026-11-20T10:00:10Z")
    found = find_approved_request(store, "alice", PROFILE, now=now)
    assert found is not None and found.id == expected[0].id
    assert found.created_at.wire == "2026-11-20T10:00:09.999999999Z"


def test_a_whole_second_go_item_does_not_displace_a_newer_one_from_a_short_list(
    store: Store,
) -> None:
    # Measured before the fix: list_by_requester(limit=3) returned the ...:09Z item.
    expected = _seed(store, ["2026-11-20T10:00:09Z", *SECOND[1:4], "2026-11-20T10:00:08Z"])
    assert _ids(store.list_by_requester("alice", limit=3)) == _ids(expected[:3])
    assert "2026-11-20T10:00:09Z" not in [r.created_at.wire for r in expected[:3]]


@pytest.mark.slow
@pytest.mark.parametrize("server", ["moto", "dynalite"])
def test_one_seconds_items_straddling_a_dynamodb_page_are_read_in_order(
    server: str, request: pytest.FixtureRequest
) -> None:
    # About 650 bytes an item: a 1 MB query page ends inside one of these four seconds.
    if server == "moto":
        request.getfixturevalue("moto")
        store = make_dynamodb_store()
    else:
        store = make_dynamodb_store(request.getfixturevalue("dynalite_endpoint"))
    generator = random.Random(11)
    forms = []
    for second in range(4):
        for _ in range(600):
            fraction = f"{generator.randrange(10**9):09d}"[: generator.randrange(0, 10)]
            dot = f".{fraction}" if fraction else ""
            forms.append(f"2026-11-20T10:00:1{second}{dot}Z")
    justification = "x" * 500
    made = [
        _request(n + 1, form, RequestStatus.PENDING, justification) for n, form in enumerate(forms)
    ]
    for item in made:
        store.create(item)
    client = store.dynamodb_table().client
    queries: list[str] = []
    client.meta.events.register(
        "before-send.dynamodb.Query", lambda request, **_: queries.append("Query")
    )
    expected = _ids(_expected(made))
    assert _ids(store.iter_by_profile(PROFILE)) == expected
    assert len(queries) >= 2, "the seeded items must span more than one query page"
    until = _expected(made)[1000].created_at
    later = [r.id for r in _expected(made) if instant_ns(r.created_at) <= instant_ns(until)]
    assert _ids(store.iter_by_status(RequestStatus.PENDING, until=until)) == later


def test_the_expected_order_is_by_instant_not_by_text() -> None:
    # A guard on this module's own oracle: text order and instant order differ here.
    texts = ["2026-11-20T10:00:09Z", "2026-11-20T10:00:09.5Z"]
    assert sorted(texts, reverse=True) == texts
    by_instant = sorted(texts, key=lambda t: go_parse(t)[0], reverse=True)
    assert by_instant == list(reversed(texts))
    assert isinstance(parse_time(texts[0]), datetime)
