"""examples/flask_app: CSRF-protected forms, the conflict message, the policy, and its one-line
start."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from approvals import MemoryStore, Request, RequestStatus
from approvals.contrib.flask import get_enforcement
from tests.contrib.api_spec import HOUR
from tests.contrib.examples import EXAMPLES, free_port, load_flask_example, running


@pytest.fixture
def store() -> MemoryStore:
    return MemoryStore()


@pytest.fixture
def client(store: MemoryStore) -> Any:
    app = load_flask_example().create_app({"SECRET_KEY": "test"}, store=store)
    return app.test_client()


def _sign_in(client: Any, name: str) -> str:
    """Sign in as ``name``; returns the CSRF token the pages now carry."""
    page = client.get("/signin").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    client.post("/signin", data={"name": name, "csrf_token": token.group(1)})
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    return token.group(1)


def _pending(store: MemoryStore) -> Request:
    return store.create(
        Request.new(
            requester="alice",
            profile="production",
            justification="Rotate the deploy keys",
            duration=HOUR,
        )
    )


def _etag_on_page(client: Any, request_id: str) -> str:
    page = client.get("/").get_data(as_text=True)
    row = page[page.index(f'data-request-id="{request_id}"') :]
    etag = re.search(r'name="etag" value="([^"]+)"', row)
    assert etag is not None
    return etag.group(1).replace("&#34;", '"')


def test_a_form_without_the_csrf_token_is_refused(client: Any, store: MemoryStore) -> None:
    request = _pending(store)
    _sign_in(client, "bob")
    etag = _etag_on_page(client, request.id)
    response = client.post(f"/requests/{request.id}/approve", data={"etag": etag})
    assert response.status_code == 400
    assert store.get(request.id).status is RequestStatus.PENDING


def test_a_form_with_another_sessions_token_is_refused(client: Any, store: MemoryStore) -> None:
    request = _pending(store)
    _sign_in(client, "bob")
    etag = _etag_on_page(client, request.id)
    data = {"etag": etag, "csrf_token": "forged-token-of-another-session"}
    response = client.post(f"/requests/{request.id}/approve", data=data)
    assert response.status_code == 400
    assert store.get(request.id).status is RequestStatus.PENDING


def test_a_form_with_the_token_approves(client: Any, store: MemoryStore) -> None:
    request = _pending(store)
    token = _sign_in(client, "bob")
    etag = _etag_on_page(client, request.id)
    data = {"etag": etag, "csrf_token": token}
    response = client.post(f"/requests/{request.id}/approve", data=data, follow_redirects=True)
    assert f"You approved request {request.id}" in response.get_data(as_text=True)
    assert store.get(request.id).approver == "bob"


def test_a_stale_form_shows_who_acted_first(client: Any, store: MemoryStore) -> None:
    request = _pending(store)
    token = _sign_in(client, "bob")
    etag = _etag_on_page(client, request.id)
    store.update(store.get(request.id).deny("carol"))
    data = {"etag": etag, "csrf_token": token}
    response = client.post(f"/requests/{request.id}/approve", data=data, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Someone else acted first" in page
    assert "already denied by carol" in page
    assert store.get(request.id).approver == "carol"


def test_the_json_api_is_mounted_under_api(client: Any, store: MemoryStore) -> None:
    _sign_in(client, "bob")
    response = client.get("/api/requests?status=pending")
    assert response.status_code == 200
    assert response.get_json() == {"items": [], "next_cursor": None}


@pytest.fixture
def started_example(tmp_path: Path) -> Iterator[str]:
    """The documented `python examples/flask_app/app.py` (on a free port and a fresh data dir)."""
    port = free_port()
    command = [str(EXAMPLES / "flask_app" / "app.py"), "--port", str(port)]
    with running(command, data_dir=tmp_path / "data", ready="Running on"):
        yield f"http://127.0.0.1:{port}"


def test_the_documented_command_serves_the_sign_in_page_on_the_local_store(
    started_example: str, tmp_path: Path
) -> None:
    with urllib.request.urlopen(started_example + "/") as response:
        assert response.url.endswith("/signin")
        assert "Sign in" in response.read().decode()
    assert (tmp_path / "data" / "requests.sqlite3").exists()


@pytest.mark.parametrize(("trusted", "signed_in"), [("192.0.2.10", False), ("127.0.0.1", True)])
def test_behind_a_proxy_the_user_comes_from_its_header_only_from_its_address(
    store: MemoryStore, trusted: str, signed_in: bool
) -> None:
    app = load_flask_example().create_app(
        {"SECRET_KEY": "test", "APPROVALS_TRUSTED_PROXIES": [trusted]}, store=store
    )
    page = app.test_client().get("/", headers={"X-Forwarded-User": "alice"})  # from 127.0.0.1
    if signed_in:
        assert page.status_code == 200
        assert '<strong id="user">alice</strong>' in page.get_data(as_text=True)
    else:
        assert page.status_code == 302
        assert page.headers["Location"].endswith("/signin")


def test_the_example_policy_file_loads() -> None:
    app = load_flask_example().create_app(
        {"SECRET_KEY": "test", "APPROVALS_POLICY": str(EXAMPLES / "policy.yaml")},
        store=MemoryStore(),
    )
    policy = get_enforcement(app).policy
    assert policy is not None
    assert [rule.name for rule in policy.rules] == ["prod-oncall", "sandbox-self-service"]
