"""The Go service decides every request this library writes, and this library every one Go writes.

The Go side is ``goclient/``: the Go service's request code (attributevalue items, times parsed
and printed with ``time.RFC3339Nano``, the lock ``attribute_exists(id) AND updated_at =
:old_updated_at`` built from the re-formatted time it read, ``len()`` for the justification)
driven as a command. Both sides share one table on the moto server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from approvals import (
    ConcurrentModification,
    Request,
    RequestNotFound,
    RequestStatus,
    ValidationError,
    new_request_id,
)
from approvals.migrate import normalize
from approvals.times import instant_ns, is_canonical, stored_form
from tests.helpers import new_request
from tests.interop.gorunner import EXIT_CODES, Interop

TIME_FIELDS = ("created_at", "updated_at", "expires_at")
JUSTIFICATION = "Deploy the hotfix for INC-4821"


def go_create(interop: Interop, *args: str, tz: str = "UTC") -> dict[str, Any]:
    """Create a pending request for alice on production through the Go client."""
    return interop.go.ok(
        "create",
        "--requester",
        "alice",
        "--profile",
        "production",
        "--duration",
        "1h30m",
        *args,
        tz=tz,
    )


def python_view_for_go(request: Request, raw: dict[str, str]) -> dict[str, Any]:
    """What the Go client must report for a request this library stored as ``raw``."""
    view: dict[str, Any] = {
        "id": request.id,
        "requester": request.requester,
        "profile": request.profile,
        "justification": request.justification,
        "justification_bytes": len(request.justification.encode()),
        "duration_ns": request.duration // timedelta(microseconds=1) * 1000,
        "status": request.status.value,
        "ttl": int(raw["ttl"]),
        "approver": request.approver,
        "approver_comment": request.approver_comment,
        "validation_error": "",
    }
    for name in TIME_FIELDS:
        # Go parses the stored string and prints it again with RFC3339Nano: its lock token.
        view[name] = raw[name]
        view[f"{name}_unix_nano"] = instant_ns(getattr(request, name))
    return view


# -- Python writes, Go reads and decides ------------------------------------------------------


@pytest.mark.parametrize(
    ("microsecond", "go_tz"),
    [(None, "UTC"), (0, "Asia/Kolkata"), (120000, "UTC")],
    ids=["now", "whole-second-go-in-kolkata", "trailing-zero-micros"],
)
def test_go_reads_every_field_python_wrote_then_approves_it(
    interop: Interop, microsecond: int | None, go_tz: str
) -> None:
    now = datetime.now(timezone.utc)
    if microsecond is not None:
        now = now.replace(microsecond=microsecond)
    created = interop.store.create(
        new_request(now=now, justification=JUSTIFICATION, duration=timedelta(minutes=90))
    )
    raw = interop.raw_item(created.id)

    seen = interop.go.get(created.id)
    assert seen["request"] == python_view_for_go(created, raw)
    assert seen["item"] == {
        **{name: raw.get(name, "") for name in seen["item"]},
        "duration": int(raw["duration"]),
        "ttl": int(raw["ttl"]),
    }

    read_before = interop.store.get(created.id)
    approved = interop.go.ok(
        "approve", created.id, "--approver", "bob", "--comment", "ok from Go", tz=go_tz
    )
    assert approved["old_updated_at"] == raw["updated_at"]
    if go_tz == "Asia/Kolkata":
        assert approved["item"]["updated_at"].endswith("+05:30")

    after = interop.store.get(created.id)
    assert (after.status, after.approver, after.approver_comment) == (
        RequestStatus.APPROVED,
        "bob",
        "ok from Go",
    )
    assert stored_form(after.updated_at) == approved["item"]["updated_at"]
    assert instant_ns(after.updated_at) == approved["request"]["updated_at_unix_nano"]
    assert instant_ns(after.updated_at) > instant_ns(read_before.updated_at)
    assert [stored_form(getattr(after, n)) for n in ("created_at", "expires_at")] == [
        raw["created_at"],
        raw["expires_at"],
    ]

    with pytest.raises(ConcurrentModification):
        interop.store.update(read_before.deny("carol", "read before Go approved"))


# -- Go writes, Python reads and decides, Go's lock on what Python wrote -----------------------

#: How the Go service's times look: (created_at to pass or None for time.Now(), TZ, pattern).
GO_FORMS: dict[str, tuple[Callable[[str], str] | None, str, str]] = {
    "trimmed-fraction": (lambda second: f"{second}.5Z", "UTC", r":\d\d\.5Z$"),
    "whole-second": (lambda second: f"{second}Z", "UTC", r":\d\dZ$"),
    "go-now-utc": (None, "UTC", r"Z$"),
    "go-now-kolkata": (None, "Asia/Kolkata", r"\+05:30$"),
}

DECISIONS: dict[str, tuple[Callable[[Request], Request], RequestStatus, str, str]] = {
    "approve": (
        lambda r: r.approve("bob", "ok from Python"),
        RequestStatus.APPROVED,
        "bob",
        "ok from Python",
    ),
    "deny": (lambda r: r.deny("bob", "not today"), RequestStatus.DENIED, "bob", "not today"),
    "cancel": (lambda r: r.cancel(), RequestStatus.CANCELLED, "", ""),
}


def create_in_go_form(interop: Interop, form: str) -> tuple[dict[str, Any], str]:
    """Create a request through Go with its times in ``form``; return Go's output and TZ."""
    created_at, tz, pattern = GO_FORMS[form]
    args = ["--justification", JUSTIFICATION]
    if created_at is not None:
        second = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
        args += ["--created-at", created_at(second)]
    created = go_create(interop, *args, tz=tz)
    for name in TIME_FIELDS:
        assert re.search(pattern, created["item"][name]), created["item"]
    return created, tz


@pytest.mark.parametrize("decision", list(DECISIONS))
@pytest.mark.parametrize("form", list(GO_FORMS))
def test_python_decides_what_go_created_and_go_locks_what_python_wrote(
    interop: Interop, form: str, decision: str
) -> None:
    created, tz = create_in_go_form(interop, form)
    go_request, go_item = created["request"], created["item"]
    request_id = go_item["id"]

    read = interop.store.get(request_id)
    assert {n: stored_form(getattr(read, n)) for n in TIME_FIELDS} == {
        n: go_item[n] for n in TIME_FIELDS
    }
    assert {n: instant_ns(getattr(read, n)) for n in TIME_FIELDS} == {
        n: go_request[f"{n}_unix_nano"] for n in TIME_FIELDS
    }
    assert (read.requester, read.profile, read.justification, read.duration, read.status) == (
        "alice",
        "production",
        JUSTIFICATION,
        timedelta(hours=1, minutes=30),
        RequestStatus.PENDING,
    )

    # Go reads the pending request, then Python decides it first: Go's write must be refused.
    go_late = interop.go.paused("approve", request_id, "--approver", "dave", tz=tz)
    decide, status, approver, comment = DECISIONS[decision]
    decided = interop.store.update(decide(read))
    refused = go_late.finish()
    assert (refused.code, refused.error) == (
        EXIT_CODES["concurrent_modification"],
        "concurrent_modification",
    ), refused.doc
    assert refused.doc["old_updated_at"] == go_item["updated_at"]

    python_token = stored_form(decided.updated_at)
    seen = interop.go.get(request_id)["request"]
    assert (seen["status"], seen["approver"], seen["approver_comment"]) == (
        status.value,
        approver,
        comment,
    )
    assert seen["updated_at"] == python_token, "Go's re-formatted lock token differs"
    assert seen["updated_at_unix_nano"] == instant_ns(decided.updated_at)
    assert seen["validation_error"] == ""

    # Go's lock on the item Python last wrote: a fresh read writes, a stale one is refused.
    stale = interop.go.paused("touch", request_id, tz=tz)
    fresh = interop.go.ok("touch", request_id, tz=tz)
    assert fresh["old_updated_at"] == python_token
    stale_result = stale.finish()
    assert stale_result.error == "concurrent_modification", stale_result.doc
    assert stale_result.doc["old_updated_at"] == python_token

    final = interop.store.get(request_id)
    assert stored_form(final.updated_at) == fresh["item"]["updated_at"]
    assert (final.status, final.approver, final.approver_comment) == (status, approver, comment)


# -- normalize keeps every Go request decidable by Go --------------------------------------------


def test_go_decides_every_pending_request_after_normalize(interop: Interop) -> None:
    go_ids = [create_in_go_form(interop, form)[0]["item"]["id"] for form in GO_FORMS]
    python_made = interop.store.create(new_request(justification=JUSTIFICATION))
    python_raw = interop.raw_item(python_made.id)

    report = normalize(interop.store)
    assert report.complete
    assert (report.scanned, report.conflicts, report.invalid) == (len(go_ids) + 1, 0, 0)
    # Only time.Now() in UTC may already be canonical (nine digits, the last not 0).
    assert report.written >= len(go_ids) - 1
    assert interop.raw_item(python_made.id) == python_raw

    for request_id in [*go_ids, python_made.id]:
        raw = interop.raw_item(request_id)
        seen = interop.go.get(request_id)["request"]
        for name in TIME_FIELDS:
            assert is_canonical(raw[name]), raw
            assert seen[name] == raw[name]

    decisions = [
        ("approve", "--approver", "bob", "--comment", "after normalize"),
        ("deny", "--approver", "bob", "--comment", "after normalize"),
        ("cancel",),
    ]
    expected = {"approve": "approved", "deny": "denied", "cancel": "cancelled"}
    for index, request_id in enumerate([*go_ids, python_made.id]):
        command, *args = decisions[index % len(decisions)]
        decided = interop.go.ok(command, request_id, *args)
        assert decided["request"]["status"] == expected[command]
        assert interop.store.get(request_id).status.value == expected[command]


# -- justification length in UTF-8 bytes, as Go's len() ----------------------------------------


@pytest.mark.parametrize(
    "justification",
    ["修复生产故障", "卡" * 166 + "ok"],
    ids=["6-chars-18-bytes", "168-chars-500-bytes"],
)
def test_a_justification_go_accepts_is_decidable_from_python(
    interop: Interop, justification: str
) -> None:
    created = go_create(interop, "--justification", justification)
    assert created["request"]["justification_bytes"] == len(justification.encode())
    request_id = created["item"]["id"]

    read = interop.store.get(request_id)
    assert read.justification == justification
    interop.store.update(read.approve("bob", "ok"))
    assert interop.go.get(request_id)["request"]["status"] == "approved"


def test_a_justification_of_600_bytes_is_refused_by_both(interop: Interop) -> None:
    justification = "修" * 200
    request_id = new_request_id()

    refused = interop.go.run(
        "create",
        "--id",
        request_id,
        "--requester",
        "alice",
        "--profile",
        "production",
        "--justification",
        justification,
    )
    assert (refused.code, refused.error) == (EXIT_CODES["validation"], "validation"), refused.doc
    assert "600 bytes" in refused.doc["message"]
    with pytest.raises(RequestNotFound):
        interop.store.get(request_id)

    with pytest.raises(ValidationError, match="justification"):
        new_request(justification=justification)
