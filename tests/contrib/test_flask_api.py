"""The JSON API blueprint (approvals.contrib.flask.api_blueprint) through Flask's test client."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("flask")

from flask import Flask
from flask import request as flask_request

from approvals import MemoryStore, Store
from approvals.contrib.flask import Approvals, api_blueprint
from tests.contrib.api_spec import ApiOn, ApiSpec, Reply


class FlaskApi:
    """The Api of api_spec on a Flask app; the acting user travels in the X-User header."""

    def __init__(self, store: Store) -> None:
        self.store = store
        app = Flask(__name__)
        Approvals(app, store=store, identity_loader=lambda: flask_request.headers.get("X-User"))
        app.register_blueprint(api_blueprint(), url_prefix="/api")
        self.client = app.test_client()

    def get(
        self, path: str, *, user: str | None = "bob", headers: dict[str, str] | None = None
    ) -> Reply:
        return self._reply(self.client.get("/api" + path, headers=self._headers(user, headers)))

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
        response = self.client.post(
            "/api" + path,
            json=json,
            data=data,
            content_type=content_type,
            headers=self._headers(user, headers),
        )
        return self._reply(response)

    @staticmethod
    def _headers(user: str | None, headers: dict[str, str] | None) -> dict[str, str]:
        return {**({"X-User": user} if user else {}), **(headers or {})}

    @staticmethod
    def _reply(response: Any) -> Reply:
        body = response.get_json(silent=True, force=True) if response.data else None
        return Reply(response.status_code, response.headers, body)


@pytest.fixture
def api() -> FlaskApi:
    return FlaskApi(MemoryStore())


@pytest.fixture
def api_on() -> ApiOn:
    return FlaskApi


class TestFlaskApi(ApiSpec):
    pass
