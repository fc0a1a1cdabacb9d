"""The JSON API blueprint (approvals.contrib.flask.api_blueprint) through Flask's test client."""

from __future__ import annotations

import copy

import pytest

pytest.importorskip("flask")

import boto3
from flask import Flask, request as flask_request

from approvals import DynamoDBStore, MemoryStore, Store
from approvals.contrib.flask import Approvals, api_blueprint, proxy_user
from approvals.policy import ApprovalPolicy
from tests.contrib.api_spec import Api, ApiOn, ApiSpec, Call, Reply, walk
from tests.helpers import REGION, go_written_items, make_dynamodb_store


def _test_user() -> str | None:
    return flask_request.headers.get("X-User")


class FlaskApi(Api):
    """The Api of api_spec on a Flask app; the acting user travels in the X-User header, or in
    X-Forwarded-User to :func:`proxy_user` when ``trusted_proxies`` is given."""

    def __init__(
        self,
        store: Store,
        *,
        policy: ApprovalPolicy | None = None,
        require_rule: bool = False,
        trusted_proxies: list[str] | None = None,
    ) -> None:
        self.store = store
        app = Flask(__name__)
        app.config.update(
            APPROVALS_POLICY=policy,
            APPROVALS_REQUIRE_RULE=require_rule,
            APPROVALS_TRUSTED_PROXIES=trusted_proxies,
        )
        loader = _test_user
        if trusted_proxies is not None:
            self.user_header, loader = "X-Forwarded-User", proxy_user
        Approvals(app, store=store, identity_loader=loader)
        app.register_blueprint(api_blueprint(), url_prefix="/api")
        self.client = app.test_client()

    def send(self, call: Call) -> Reply:
        response = self.client.open(
            call.url,
            method=call.method,
            data=call.data,
            content_type=call.content_type,
            headers=call.headers,
        )
        return Reply.of(response.status_code, response.headers, response.data)


@pytest.fixture
def api() -> FlaskApi:
    return FlaskApi(MemoryStore())


@pytest.fixture
def api_on() -> ApiOn:
    return FlaskApi


class TestFlaskApi(ApiSpec):
    pass


def _put_go_item(store: DynamoDBStore, request_id: str, **times: str) -> None:
    """Store an item as the Go service wrote it (times in whatever RFC 3339 form it used)."""
    item = copy.deepcopy(go_written_items()[0])
    item["id"] = {"S": request_id}
    item["expires_at"] = {"S": "2099-01-01T00:00:00Z"}
    item.pop("ttl", None)
    for name, value in times.items():
        item[name] = {"S": value}
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=store.table_name, Item=item)


def test_a_go_written_request_is_approved_with_the_etag_of_its_stored_form(moto: None) -> None:
    store = make_dynamodb_store()
    stored_form = "2026-11-20T10:15:02.123456789+01:00"
    _put_go_item(store, "0123456789abcdef", updated_at=stored_form)
    api = FlaskApi(store)
    etag = api.get("/requests/0123456789abcdef").headers["ETag"]
    assert etag == f'"{stored_form}"'
    reply = api.post("/requests/0123456789abcdef/approve", headers={"If-Match": etag})
    assert reply.status == 200, reply.body
    assert store.get("0123456789abcdef").approver == "bob"


def test_a_cursor_walk_over_go_written_time_forms_returns_each_request_once(moto: None) -> None:
    store = make_dynamodb_store()
    # The GSI orders these as strings, not as times; the cursor must follow the GSI's order.
    forms = [
        "2026-11-20T10:00:00Z",
        "2026-11-20T10:00:00.5Z",
        "2026-11-20T11:00:00+01:00",  # the same instant as the first
        "1795165200",
        "2026-11-20T09:59:59.999999999Z",
        "2026-11-20T10:00:00.000000000Z",
    ]
    ids = [f"{n:016x}" for n in range(1, len(forms) + 1)]
    for request_id, form in zip(ids, forms, strict=True):
        _put_go_item(store, request_id, created_at=form)
    seen = walk(FlaskApi(store), {"profile": go_written_items()[0]["profile"]["S"]}, limit=1)
    assert sorted(r["id"] for r in seen) == sorted(ids)
