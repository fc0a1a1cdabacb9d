"""The JSON API views (approvals.contrib.django.urls) through Django's test client."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from approvals import MemoryStore, Store
from approvals.policy import ApprovalPolicy
from tests.contrib.api_spec import NEW_REQUEST, Api, ApiOn, ApiSpec, Call, Reply
from tests.contrib.djangotests.conftest import UseStore


class DjangoApi(Api):
    """The Api of api_spec on the Django views; the acting user travels in the X-User header, or
    in X-Forwarded-User to ``proxy_user`` when ``trusted_proxies`` is given."""

    def __init__(
        self,
        store: Store,
        use_store: UseStore,
        *,
        policy: ApprovalPolicy | None = None,
        require_rule: bool = False,
        trusted_proxies: list[str] | None = None,
    ) -> None:
        self.store = store
        keys: dict[str, Any] = {"POLICY": policy, "REQUIRE_RULE": require_rule}
        if trusted_proxies is not None:
            self.user_header = "X-Forwarded-User"
            keys.update(
                IDENTITY="approvals.contrib.django.conf.proxy_user", TRUSTED_PROXIES=trusted_proxies
            )
        use_store(store, **keys)
        self.client = Client()

    def send(self, call: Call) -> Reply:
        response = self.client.generic(
            call.method,
            call.url,
            data=call.data or "",
            content_type=call.content_type or "",
            headers=call.headers,
        )
        return Reply.of(response.status_code, response.headers, response.content)


@pytest.fixture
def api(use_store: UseStore) -> DjangoApi:
    return DjangoApi(MemoryStore(), use_store)


@pytest.fixture
def api_on(use_store: UseStore) -> ApiOn:
    def build(store: Store, **options: Any) -> DjangoApi:
        return DjangoApi(store, use_store, **options)

    return build


class TestDjangoApi(ApiSpec):
    pass


def test_the_api_answers_405_with_allow_to_another_method(api: DjangoApi) -> None:
    response = api.client.delete("/api/requests", headers={"X-User": "bob"})
    assert response.status_code == 405
    assert response.headers["Allow"] == "GET, POST"


def test_a_javascript_client_gets_the_csrf_token_from_the_api_and_posts_with_it(
    api: DjangoApi, settings: Any
) -> None:
    settings.MIDDLEWARE = ["django.middleware.csrf.CsrfViewMiddleware"]
    browser = Client(enforce_csrf_checks=True)
    body, user = json.dumps(NEW_REQUEST), {"X-User": "alice"}
    refused = browser.post("/api/requests", body, content_type="application/json", headers=user)
    assert refused.status_code == 403

    issued = browser.get("/api/csrf")
    assert issued.status_code == 200
    token = issued.json()["csrf_token"]
    assert issued.json()["header"] == "X-CSRFToken"
    assert issued.headers["X-CSRFToken"] == token
    assert issued.cookies["csrftoken"].value

    created = browser.post(
        "/api/requests",
        body,
        content_type="application/json",
        headers={**user, "X-CSRFToken": token},
    )
    assert created.status_code == 201, created.content
