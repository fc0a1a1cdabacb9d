"""The JSON API specification, run against the Flask blueprint and the Django views alike.

A framework's test module subclasses :class:`ApiSpec` (collected as ``Test...``) and provides two
fixtures: ``api`` (an :class:`Api` on a MemoryStore) and ``api_on`` (a factory of an :class:`Api`
on a given store, for the tests that run on every store backend, optionally with an approval
policy and with the identity read from a reverse proxy's header: see :class:`ApiOn`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from json import dumps, loads
from typing import Any, Protocol
from urllib.parse import urlencode

import pytest

from approvals import (
    MAX_QUERY_LIMIT,
    ConcurrentModification,
    InvalidStateTransition,
    MemoryStore,
    Request,
    RequestExists,
    RequestNotFound,
    RequestStatus,
    StoreError,
    StoreUnavailable,
    TableNotFound,
    Throttled,
    ValidationError,
)
from approvals.contrib.http import PROBLEM_CONTENT_TYPE, PROBLEM_TYPE_PREFIX, entity_tag
from approvals.policy import ApprovalPolicy
from approvals.request import AUTO_APPROVED_COMMENT
from approvals.store import Store

HOUR = timedelta(hours=1)

ONCALL_POLICY = """
version: "1"
rules:
  - name: prod-oncall
    profiles: [production, billing]
    approvers: [bob, Carol]
  - name: sandbox-self-service
    profiles: [sandbox]
    approvers: [bob]
    auto_approve:
      users: [alice]
      max_duration: 1h
"""
"""The policy of the security cases: production needs bob or carol; alice's sandbox requests of
at most an hour approve themselves; any other profile has no rule."""


@dataclass
class Reply:
    """What a framework's test client answered, in one shape."""

    status: int
    headers: Mapping[str, str]  # case-insensitive
    body: Any  # parsed JSON, or None

    @classmethod
    def of(cls, status: int, headers: Mapping[str, str], content: bytes) -> Reply:
        """The reply of a response with ``content``, parsed when its type says JSON (a JSON
        response that does not parse fails the test), None otherwise."""
        is_json = "json" in headers.get("Content-Type", "")
        return cls(status, headers, loads(content) if is_json and content else None)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")


@dataclass(frozen=True)
class Call:
    """One HTTP request to the API, as :meth:`Api.send` gets it."""

    method: str
    url: str
    headers: dict[str, str]
    data: str | None = None
    content_type: str | None = None


class Api:
    """A framework's test client on the JSON API mounted at /api, acting as ``user`` (sent in
    the ``user_header``); a framework implements :meth:`send`."""

    store: Store
    user_header = "X-User"

    def get(
        self, path: str, *, user: str | None = "bob", headers: dict[str, str] | None = None
    ) -> Reply:
        return self.send(Call("GET", "/api" + path, self._headers(user, headers)))

    def post(
        self,
        path: str,
        *,
        user: str | None = "bob",
        json: Any = None,
        data: str | None = None,
        content_type: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        if json is not None:
            data, content_type = dumps(json), "application/json"
        call = Call("POST", "/api" + path, self._headers(user, headers), data, content_type)
        return self.send(call)

    def send(self, call: Call) -> Reply:
        raise NotImplementedError

    def _headers(self, user: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        return {**({self.user_header: user} if user else {}), **(headers or {})}


class ApiOn(Protocol):
    """Build an :class:`Api` on ``store``. ``policy`` and ``require_rule`` configure the app's
    approval policy (``APPROVALS_POLICY`` / ``APPROVALS["POLICY"]``). With ``trusted_proxies``
    the app reads the identity with the framework's proxy loader from those addresses only, and
    the client sends ``user`` as ``X-Forwarded-User`` from 127.0.0.1 (the test client's
    address); otherwise the identity travels in a test-only header."""

    def __call__(
        self,
        store: Store,
        *,
        policy: ApprovalPolicy | None = None,
        require_rule: bool = False,
        trusted_proxies: list[str] | None = None,
    ) -> Api: ...


NEW_REQUEST = {
    "profile": "production",
    "justification": "Deploy hotfix for INC-4821",
    "duration_seconds": 3600,
}


def submit(api: Api, user: str = "alice", **fields: Any) -> Reply:
    reply = api.post("/requests", user=user, json={**NEW_REQUEST, **fields})
    assert reply.status == 201, reply.body
    return reply


def act(api: Api, created: Reply, action: str, **options: Any) -> Reply:
    """POST ``action`` on the request ``created`` answered, with its ETag as If-Match."""
    headers = {"If-Match": created.headers["ETag"]}
    return api.post(f"/requests/{created.body['id']}/{action}", headers=headers, **options)


def pending_request(
    store: Store,
    *,
    requester: str = "alice",
    profile: str = "production",
    now: datetime | None = None,
) -> Request:
    return store.create(
        Request.new(
            requester=requester,
            profile=profile,
            justification="Rotate the deploy keys",
            duration=HOUR,
            now=now,
        )
    )


def pending_series(store: Store, count: int) -> list[Request]:
    """``count`` pending requests created a second apart from 30 minutes ago, oldest first."""
    start = datetime.now(timezone.utc) - timedelta(minutes=30)
    return [pending_request(store, now=start + timedelta(seconds=i)) for i in range(count)]


def assert_problem(reply: Reply, status: int, code: str) -> None:
    assert reply.status == status, reply.body
    assert reply.content_type == PROBLEM_CONTENT_TYPE
    assert reply.body["status"] == status
    assert reply.body["type"] == PROBLEM_TYPE_PREFIX + code
    assert reply.body["title"]
    assert reply.body["detail"]


# The error mapping, one row per library error: (error, If-Match sent, status, code, extensions).
ERROR_CASES = [
    pytest.param(
        RequestNotFound("0123456789abcdef"),
        False,
        404,
        "request-not-found",
        {"request_id": "0123456789abcdef"},
        id="not-found-404",
    ),
    pytest.param(
        RequestExists("0123456789abcdef"),
        False,
        409,
        "request-exists",
        {"request_id": "0123456789abcdef"},
        id="exists-409",
    ),
    pytest.param(
        ConcurrentModification("0123456789abcdef"),
        True,
        412,
        "concurrent-modification",
        {"request_id": "0123456789abcdef"},
        id="concurrent-with-if-match-412",
    ),
    pytest.param(
        ConcurrentModification("0123456789abcdef"),
        False,
        409,
        "concurrent-modification",
        {"request_id": "0123456789abcdef"},
        id="concurrent-without-if-match-409",
    ),
    pytest.param(
        InvalidStateTransition("0123456789abcdef", "cannot move"),
        False,
        409,
        "invalid-state-transition",
        {"request_id": "0123456789abcdef"},
        id="invalid-transition-409",
    ),
    pytest.param(
        ValidationError("too short", field="justification"),
        False,
        422,
        "validation-error",
        {"field": "justification"},
        id="validation-422-with-field",
    ),
    pytest.param(
        Throttled("throttled on table 'secret-table'"),
        False,
        503,
        "store-unavailable",
        {},
        id="throttled-503",
    ),
    pytest.param(
        StoreUnavailable("connection reset"),
        False,
        503,
        "store-unavailable",
        {},
        id="unavailable-503",
    ),
    pytest.param(
        TableNotFound("table 'secret-table' does not exist"),
        False,
        503,
        "store-unavailable",
        {},
        id="table-not-found-503",
    ),
    pytest.param(
        StoreError("odd failure", retryable=False),
        False,
        503,
        "store-unavailable",
        {},
        id="store-error-503",
    ),
]


def check_error_reply(
    reply: Reply, error: Exception, status: int, code: str, extensions: dict[str, Any]
) -> None:
    """The assertions every error-mapping test makes, whatever the framework."""
    assert_problem(reply, status, code)
    for key, value in extensions.items():
        assert reply.body[key] == value
    if isinstance(error, StoreError):
        # Backend details (table names, regions) stay in the server's log.
        assert "secret-table" not in reply.body["detail"]
        assert ("Retry-After" in reply.headers) is error.retryable
    else:
        assert "Retry-After" not in reply.headers


class ApiSpec:
    """The behaviours of the JSON API; see approvals.contrib.api for the rules."""

    @pytest.fixture
    def oncall_api(self, api_on: ApiOn) -> Api:
        """The API on a MemoryStore under :data:`ONCALL_POLICY`."""
        return api_on(MemoryStore(), policy=ApprovalPolicy.from_yaml(ONCALL_POLICY))

    # -- identity ----------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("post", "/requests"),
            ("get", "/requests?status=pending"),
            ("get", "/requests/0123456789abcdef"),
            ("post", "/requests/0123456789abcdef/approve"),
        ],
    )
    def test_every_endpoint_answers_401_with_a_challenge_without_identity(
        self, api: Api, method: str, path: str
    ) -> None:
        reply = getattr(api, method)(path, user=None)
        assert_problem(reply, 401, "unauthenticated")
        assert reply.headers["WWW-Authenticate"]

    # -- create ------------------------------------------------------------------------------

    def test_create_returns_201_with_location_etag_and_the_identity_as_requester(
        self, api: Api
    ) -> None:
        reply = submit(api, user="alice")
        created = reply.body
        assert created["requester"] == "alice"
        assert created["status"] == "pending"
        assert created["duration_seconds"] == 3600
        assert reply.headers["Location"].endswith(f"/api/requests/{created['id']}")
        assert reply.headers["ETag"] == f'"{created["updated_at"]}"' == created["etag"]
        assert api.store.get(created["id"]).requester == "alice"

    def test_create_refuses_a_requester_in_the_body(self, api: Api) -> None:
        reply = api.post("/requests", user="mallory", json={**NEW_REQUEST, "requester": "alice"})
        assert_problem(reply, 422, "validation-error")
        assert reply.body["field"] == "requester"

    @pytest.mark.parametrize(
        ("fields", "field"),
        [
            ({"justification": "short"}, "justification"),
            ({"duration_seconds": 9 * 3600}, "duration_seconds"),
            ({"duration_seconds": "1h"}, "duration_seconds"),
            ({"profile": ""}, "profile"),
            ({"colour": "blue"}, "colour"),
        ],
    )
    def test_create_answers_422_naming_the_invalid_field(
        self, api: Api, fields: dict[str, Any], field: str
    ) -> None:
        reply = api.post("/requests", user="alice", json={**NEW_REQUEST, **fields})
        assert_problem(reply, 422, "validation-error")
        assert reply.body["field"] == field

    def test_create_answers_422_naming_a_missing_field(self, api: Api) -> None:
        body = {k: v for k, v in NEW_REQUEST.items() if k != "profile"}
        reply = api.post("/requests", user="alice", json=body)
        assert_problem(reply, 422, "validation-error")
        assert reply.body["field"] == "profile"

    def test_create_answers_415_to_a_body_that_is_not_json(self, api: Api) -> None:
        reply = api.post(
            "/requests",
            user="alice",
            data="profile=production",
            content_type="application/x-www-form-urlencoded",
        )
        assert reply.status == 415
        assert reply.content_type == PROBLEM_CONTENT_TYPE

    def test_create_answers_400_to_unparsable_json(self, api: Api) -> None:
        reply = api.post(
            "/requests", user="alice", data="{not json", content_type="application/json"
        )
        assert reply.status == 400
        assert reply.content_type == PROBLEM_CONTENT_TYPE

    # -- get ---------------------------------------------------------------------------------

    def test_get_returns_the_request_with_its_etag(self, api: Api) -> None:
        stored = pending_request(api.store)
        reply = api.get(f"/requests/{stored.id}")
        assert reply.status == 200
        assert reply.body["id"] == stored.id
        assert reply.headers["ETag"] == reply.body["etag"] == f'"{reply.body["updated_at"]}"'

    def test_get_of_an_unknown_request_is_404(self, api: Api) -> None:
        reply = api.get("/requests/0123456789abcdef")
        assert_problem(reply, 404, "request-not-found")
        assert reply.body["request_id"] == "0123456789abcdef"

    def test_get_of_a_malformed_id_is_404(self, api: Api) -> None:
        assert_problem(api.get("/requests/not-an-id"), 404, "request-not-found")

    # -- transitions -------------------------------------------------------------------------

    def test_approve_with_the_current_etag_records_the_identity_as_approver(self, api: Api) -> None:
        created = submit(api, user="alice")
        reply = act(api, created, "approve", user="bob", json={"comment": "go ahead"})
        assert reply.status == 200, reply.body
        assert (reply.body["status"], reply.body["approver"], reply.body["approver_comment"]) == (
            "approved",
            "bob",
            "go ahead",
        )
        assert reply.headers["ETag"] != created.headers["ETag"]
        assert api.store.get(created.body["id"]).approver == "bob"

    def test_approve_without_a_body_has_an_empty_comment(self, api: Api) -> None:
        created = submit(api)
        reply = act(api, created, "approve")
        assert reply.status == 200, reply.body
        assert reply.body["approver_comment"] == ""

    def test_deny_records_the_approver_and_comment(self, api: Api) -> None:
        created = submit(api)
        reply = act(api, created, "deny", json={"comment": "not during the freeze"})
        assert reply.status == 200, reply.body
        assert (reply.body["status"], reply.body["approver"]) == ("denied", "bob")

    def test_an_approver_in_the_body_is_refused(self, api: Api) -> None:
        created = submit(api)
        reply = act(api, created, "approve", json={"approver": "carol"})
        assert_problem(reply, 422, "validation-error")
        assert api.store.get(created.body["id"]).status is RequestStatus.PENDING

    def test_approve_without_if_match_is_428_and_writes_nothing(self, api: Api) -> None:
        created = submit(api)
        reply = api.post(f"/requests/{created.body['id']}/approve")
        assert_problem(reply, 428, "if-match-required")
        assert api.store.get(created.body["id"]).status is RequestStatus.PENDING

    def test_approve_with_if_match_star_is_428(self, api: Api) -> None:
        created = submit(api)
        reply = api.post(f"/requests/{created.body['id']}/approve", headers={"If-Match": "*"})
        assert_problem(reply, 428, "if-match-required")

    def test_approve_with_an_unquoted_if_match_is_400(self, api: Api) -> None:
        created = submit(api)
        unquoted = created.headers["ETag"].strip('"')
        reply = api.post(f"/requests/{created.body['id']}/approve", headers={"If-Match": unquoted})
        assert_problem(reply, 400, "malformed-if-match")

    def test_approve_with_a_weak_etag_is_412(self, api: Api) -> None:
        created = submit(api)
        reply = api.post(
            f"/requests/{created.body['id']}/approve",
            headers={"If-Match": "W/" + created.headers["ETag"]},
        )
        assert_problem(reply, 412, "concurrent-modification")

    def test_approve_accepts_the_current_etag_among_several(self, api: Api) -> None:
        created = submit(api)
        tags = f'"2020-01-01T00:00:00Z", {created.headers["ETag"]}'
        reply = api.post(f"/requests/{created.body['id']}/approve", headers={"If-Match": tags})
        assert reply.status == 200, reply.body

    def test_approve_with_a_stale_etag_is_412_and_keeps_the_first_decision(self, api: Api) -> None:
        created = submit(api)
        request_id, read_etag = created.body["id"], created.headers["ETag"]
        first = api.post(
            f"/requests/{request_id}/approve", user="bob", headers={"If-Match": read_etag}
        )
        assert first.status == 200
        second = api.post(
            f"/requests/{request_id}/deny", user="carol", headers={"If-Match": read_etag}
        )
        assert_problem(second, 412, "concurrent-modification")
        assert "approved" in second.body["detail"]
        stored = api.store.get(request_id)
        assert (stored.status, stored.approver) == (RequestStatus.APPROVED, "bob")

    def test_self_approval_is_422_naming_the_approver(self, api: Api) -> None:
        created = submit(api, user="alice")
        reply = act(api, created, "approve", user="alice")
        assert_problem(reply, 422, "validation-error")
        assert reply.body["field"] == "approver"
        assert api.store.get(created.body["id"]).status is RequestStatus.PENDING

    def test_acting_on_a_decided_request_with_its_current_etag_is_409(self, api: Api) -> None:
        created = submit(api)
        decided = act(api, created, "deny")
        reply = api.post(
            f"/requests/{created.body['id']}/approve",
            user="carol",
            headers={"If-Match": decided.headers["ETag"]},
        )
        assert_problem(reply, 409, "invalid-state-transition")

    def test_approving_an_expired_request_is_409(self, api: Api) -> None:
        stored = pending_request(api.store, now=datetime.now(timezone.utc) - timedelta(days=2))
        etag = api.get(f"/requests/{stored.id}").headers["ETag"]
        reply = api.post(f"/requests/{stored.id}/approve", headers={"If-Match": etag})
        assert_problem(reply, 409, "invalid-state-transition")

    def test_acting_on_an_unknown_request_is_404(self, api: Api) -> None:
        reply = api.post(
            "/requests/0123456789abcdef/approve", headers={"If-Match": '"2026-01-01T00:00:00Z"'}
        )
        assert_problem(reply, 404, "request-not-found")

    @pytest.mark.parametrize("user", ["alice", "Alice"])
    def test_the_requester_may_cancel_in_any_spelling(self, api: Api, user: str) -> None:
        created = submit(api, user="alice")
        reply = act(api, created, "cancel", user=user)
        assert reply.status == 200, reply.body
        assert reply.body["status"] == "cancelled"

    def test_someone_else_cannot_cancel(self, api: Api) -> None:
        created = submit(api, user="alice")
        reply = act(api, created, "cancel", user="bob")
        assert_problem(reply, 403, "not-requester")
        assert api.store.get(created.body["id"]).status is RequestStatus.PENDING

    def test_a_race_lost_in_the_store_is_412(self, api_on: ApiOn) -> None:
        store = _DecidesBehindTheReader()
        api = api_on(store)
        stored = pending_request(store)
        etag = api.get(f"/requests/{stored.id}").headers["ETag"]
        store.race_on = stored.id  # carol decides between the API's read and its write
        reply = api.post(f"/requests/{stored.id}/approve", user="bob", headers={"If-Match": etag})
        assert_problem(reply, 412, "concurrent-modification")
        assert store.get(stored.id).approver == "carol"

    def test_the_store_lock_refuses_a_stale_etag_on_every_backend(
        self, api_on: ApiOn, store: Store
    ) -> None:
        api = api_on(store)
        created = submit(api)
        request_id, read_etag = created.body["id"], created.headers["ETag"]
        assert (
            api.post(
                f"/requests/{request_id}/approve", user="bob", headers={"If-Match": read_etag}
            ).status
            == 200
        )
        reply = api.post(
            f"/requests/{request_id}/approve", user="carol", headers={"If-Match": read_etag}
        )
        assert_problem(reply, 412, "concurrent-modification")
        assert store.get(request_id).approver == "bob"

    # -- approval policy and identity --------------------------------------------------------

    @pytest.mark.parametrize("action", ["approve", "deny"])
    def test_someone_the_policy_does_not_list_is_403_naming_the_rule(
        self, oncall_api: Api, action: str
    ) -> None:
        created = submit(oncall_api, user="alice", profile="production")
        reply = act(oncall_api, created, action, user="dave")
        assert_problem(reply, 403, "not-approver")
        assert reply.body["rule"] == "prod-oncall"
        assert "prod-oncall" in reply.body["detail"]
        assert reply.body["request_id"] == created.body["id"]
        assert oncall_api.store.get(created.body["id"]).status is RequestStatus.PENDING

    def test_an_approver_the_policy_lists_in_another_spelling_may_approve(
        self, oncall_api: Api
    ) -> None:
        created = submit(oncall_api, user="alice", profile="billing")
        reply = act(oncall_api, created, "approve", user="carol")  # listed as Carol
        assert reply.status == 200, reply.body
        assert reply.body["approver"] == "carol"

    def test_a_profile_no_rule_covers_may_be_decided_by_anyone_but_the_requester(
        self, oncall_api: Api
    ) -> None:
        created = submit(oncall_api, user="alice", profile="staging")
        reply = act(oncall_api, created, "approve", user="dave")
        assert reply.status == 200, reply.body

    @pytest.mark.parametrize("by", ["the app's setting", "the policy itself"])
    def test_requiring_a_rule_refuses_a_profile_no_rule_covers(
        self, api_on: ApiOn, by: str
    ) -> None:
        policy = ApprovalPolicy.from_yaml(ONCALL_POLICY, require_rule=by == "the policy itself")
        api = api_on(MemoryStore(), policy=policy, require_rule=by == "the app's setting")
        created = submit(api, user="alice", profile="staging")
        reply = act(api, created, "approve", user="bob")
        assert_problem(reply, 403, "no-rule")
        assert "staging" in reply.body["detail"]
        assert api.store.get(created.body["id"]).status is RequestStatus.PENDING

    @pytest.mark.parametrize("action", ["approve", "deny"])
    @pytest.mark.parametrize("approver", ["Alice", "ALICE", "\uff41lice"])  # fullwidth a: NFKC
    def test_deciding_ones_own_request_in_another_spelling_is_422(
        self, oncall_api: Api, action: str, approver: str
    ) -> None:
        created = submit(oncall_api, user="alice", profile="staging")
        reply = act(oncall_api, created, action, user=approver)
        assert_problem(reply, 422, "validation-error")
        assert reply.body["field"] == "approver"
        assert oncall_api.store.get(created.body["id"]).status is RequestStatus.PENDING

    def test_a_forged_identity_header_from_an_untrusted_address_is_401(self, api_on: ApiOn) -> None:
        api = api_on(MemoryStore(), trusted_proxies=["192.0.2.10"])  # the proxy is elsewhere
        stored = pending_request(api.store, requester="alice")
        etag = entity_tag(stored)
        reply = api.post(f"/requests/{stored.id}/approve", user="Alice", headers={"If-Match": etag})
        assert_problem(reply, 401, "unauthenticated")
        assert api.store.get(stored.id).status is RequestStatus.PENDING

    def test_the_identity_header_from_the_trusted_proxy_names_the_user(self, api_on: ApiOn) -> None:
        api = api_on(MemoryStore(), trusted_proxies=["127.0.0.0/8"])
        stored = pending_request(api.store, requester="alice")
        etag = entity_tag(stored)
        self_approval = api.post(
            f"/requests/{stored.id}/approve", user="Alice", headers={"If-Match": etag}
        )
        assert_problem(self_approval, 422, "validation-error")
        reply = api.post(f"/requests/{stored.id}/approve", user="bob", headers={"If-Match": etag})
        assert reply.status == 200, reply.body
        assert reply.body["approver"] == "bob"

    def test_create_auto_approved_by_the_policy_is_201_approved_as_go_stores_it(
        self, oncall_api: Api
    ) -> None:
        reply = submit(oncall_api, user="alice", profile="sandbox", duration_seconds=1800)
        assert (reply.body["status"], reply.body["approver"], reply.body["approver_comment"]) == (
            "approved",
            "alice",
            AUTO_APPROVED_COMMENT,
        )
        stored = oncall_api.store.get(reply.body["id"])
        assert stored.is_auto_approved
        assert reply.headers["ETag"] == entity_tag(stored)

    @pytest.mark.parametrize(
        ("user", "fields"),
        [
            ("alice", {"profile": "sandbox", "duration_seconds": 7200}),  # over max_duration
            ("dave", {"profile": "sandbox", "duration_seconds": 1800}),  # not in users
            ("alice", {"profile": "production", "duration_seconds": 1800}),  # no auto_approve
        ],
    )
    def test_create_the_policy_does_not_auto_approve_is_pending(
        self, oncall_api: Api, user: str, fields: dict[str, Any]
    ) -> None:
        reply = submit(oncall_api, user=user, **fields)
        assert (reply.body["status"], reply.body["approver"]) == ("pending", "")

    @pytest.mark.parametrize("action", ["approve", "deny"])
    def test_an_expired_request_cannot_be_decided(self, api: Api, action: str) -> None:
        stored = pending_request(api.store, now=datetime.now(timezone.utc) - timedelta(days=2))
        reply = api.post(
            f"/requests/{stored.id}/{action}", headers={"If-Match": entity_tag(stored)}
        )
        assert_problem(reply, 409, "invalid-state-transition")
        assert api.store.get(stored.id).status is RequestStatus.PENDING

    # -- listing -----------------------------------------------------------------------------

    def test_a_cursor_walk_returns_every_match_once_newest_first(
        self, api_on: ApiOn, store: Store
    ) -> None:
        api = api_on(store)
        created = pending_series(store, 7)
        # Two more at the same instant as the fourth: ties must not be lost or repeated.
        twins = [pending_request(store, now=created[3].created_at) for _ in range(2)]
        pending_request(store, profile="staging", now=created[0].created_at)  # filtered out
        seen = walk(api, {"profile": "production"}, limit=3)
        expected = sorted(created + twins, key=lambda r: (r.created_at, r.id), reverse=True)
        assert [r["id"] for r in seen] == [r.id for r in expected]

    def test_a_cursor_stays_valid_when_listed_items_change_between_pages(
        self, api_on: ApiOn, store: Store
    ) -> None:
        api = api_on(store)
        created = pending_series(store, 6)
        first = api.get("/requests?" + urlencode({"status": "pending", "limit": 2}))
        assert [r["id"] for r in first.body["items"]] == [created[5].id, created[4].id]
        # The last item of the page and the next one are decided before the next page is read.
        for request in (created[4], created[3]):
            store.update(store.get(request.id).approve("bob"))
        rest = walk(api, {"status": "pending"}, limit=2, cursor=first.body["next_cursor"])
        assert [r["id"] for r in rest] == [created[2].id, created[1].id, created[0].id]

    def test_paging_walks_past_fifty_rows(self, api: Api) -> None:
        created = pending_series(api.store, 120)
        first = api.get("/requests?status=pending&limit=50")
        assert len(first.body["items"]) == 50
        seen = walk(api, {"status": "pending"}, limit=50)
        assert [r["id"] for r in seen] == [r.id for r in reversed(created)]

    def test_filters_combine(self, api: Api) -> None:
        mine = pending_request(api.store, requester="alice", profile="production")
        pending_request(api.store, requester="alice", profile="staging")
        pending_request(api.store, requester="dave", profile="production")
        reply = api.get(
            "/requests?"
            + urlencode(
                {"requester": "alice", "profile": "production", "status": "pending", "cursor": ""}
            )
        )
        assert reply.status == 200
        assert [r["id"] for r in reply.body["items"]] == [mine.id]
        assert reply.body["next_cursor"] is None

    def test_the_last_page_has_no_cursor(self, api: Api) -> None:
        pending_request(api.store)
        reply = api.get("/requests?status=pending&limit=1")
        assert len(reply.body["items"]) == 1
        assert reply.body["next_cursor"] is None

    def test_listing_needs_a_filter(self, api: Api) -> None:
        reply = api.get("/requests?status=&requester=&profile=")
        assert_problem(reply, 422, "validation-error")

    @pytest.mark.parametrize(
        ("query", "field"),
        [
            ({"status": "maybe"}, "status"),
            ({"status": "pending", "limit": "0"}, "limit"),
            ({"status": "pending", "limit": "ten"}, "limit"),
            ({"status": "pending", "cursor": "not-base64!"}, "cursor"),
            ({"status": "pending", "cursor": "eyJ2IjoxfQ"}, "cursor"),  # {"v":1}
        ],
    )
    def test_a_bad_query_parameter_is_422_naming_it(
        self, api: Api, query: dict[str, str], field: str
    ) -> None:
        reply = api.get("/requests?" + urlencode(query))
        assert_problem(reply, 422, "validation-error")
        assert reply.body["field"] == field

    def test_a_cursor_of_another_query_is_422(self, api: Api) -> None:
        for _ in range(2):
            pending_request(api.store)
        cursor = api.get("/requests?status=pending&limit=1").body["next_cursor"]
        reply = api.get("/requests?" + urlencode({"status": "approved", "cursor": cursor}))
        assert_problem(reply, 422, "validation-error")
        assert reply.body["field"] == "cursor"

    def test_a_limit_above_the_maximum_is_capped(self, api: Api) -> None:
        pending_request(api.store)
        reply = api.get(f"/requests?status=pending&limit={MAX_QUERY_LIMIT * 10}")
        assert reply.status == 200
        assert len(reply.body["items"]) == 1

    # -- store failures ----------------------------------------------------------------------

    def test_an_unreachable_store_is_503_with_retry_after(
        self, api_on: ApiOn, unreachable_store: Store
    ) -> None:
        reply = api_on(unreachable_store).get("/requests/0123456789abcdef")
        assert_problem(reply, 503, "store-unavailable")
        assert reply.headers["Retry-After"].isdigit()

    def test_a_missing_table_is_503_without_retry_after(
        self, api_on: ApiOn, missing_table_store: Store
    ) -> None:
        reply = api_on(missing_table_store).get("/requests/0123456789abcdef")
        assert_problem(reply, 503, "store-unavailable")
        assert "Retry-After" not in reply.headers


def walk(
    api: Api, query: dict[str, Any], *, limit: int, cursor: str | None = None
) -> list[dict[str, Any]]:
    """Every item of a listing, page by page; each page but the last is full."""
    seen: list[dict[str, Any]] = []
    for _ in range(100):
        params = {**query, "limit": limit, **({"cursor": cursor} if cursor else {})}
        reply = api.get("/requests?" + urlencode(params))
        assert reply.status == 200, reply.body
        seen.extend(reply.body["items"])
        cursor = reply.body["next_cursor"]
        if cursor is None:
            return seen
        assert len(reply.body["items"]) == limit
    raise AssertionError("the cursor walk did not end")


class _DecidesBehindTheReader(MemoryStore):
    """A MemoryStore where carol denies ``race_on`` right after someone reads it: the window
    between the API's read and its conditional write."""

    race_on: str | None = None

    def get(self, request_id: str) -> Request:
        read = super().get(request_id)
        if request_id == self.race_on:
            self.race_on = None
            super().update(dataclasses.replace(read).deny("carol"))
        return read
