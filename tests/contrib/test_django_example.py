"""examples/django_project: its documented command serves the approver flow on embedded DynamoDB.

The example has its own Django settings, so it runs in a subprocess (`manage.py runserver
--noreload`; the documented command only adds the autoreloader) and is driven over HTTP with a
cookie jar, as a browser without JavaScript would.
"""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from tests.contrib.examples import EXAMPLES, free_port, running


class Browser:
    """Just enough of a browser: cookies, redirects, form posts."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return str(response.read().decode())

    def post(self, path: str, fields: dict[str, str]) -> str:
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.base + path, data=data, timeout=30) as response:
            return str(response.read().decode())

    def sign_in(self, name: str) -> None:
        self.post("/signin", {"name": name, "csrfmiddlewaretoken": token(self.get("/signin"))})


def token(page: str) -> str:
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def row_etag(page: str, request_id: str) -> str:
    row = page[page.index(f'data-request-id="{request_id}"') :]
    found = re.search(r'name="etag" value="([^"]+)"', row)
    assert found is not None
    return html.unescape(found.group(1))


@pytest.fixture
def example(tmp_path: Path) -> Iterator[str]:
    port = free_port()
    command = [
        str(EXAMPLES / "django_project" / "manage.py"),
        "runserver",
        "--noreload",
        f"127.0.0.1:{port}",
    ]
    with running(command, data_dir=tmp_path / "data", ready="Starting development server"):
        yield f"http://127.0.0.1:{port}"


def test_submit_approve_and_a_stale_second_approve_in_the_django_example(example: str) -> None:
    alice = Browser(example)
    alice.sign_in("alice")
    page = alice.post(
        "/submit",
        {
            "csrfmiddlewaretoken": token(alice.get("/")),
            "profile": "production",
            "duration": "1 hour",
            "justification": "Deploy hotfix for INC-4821",
        },
    )
    submitted = re.search(r"Request ([0-9a-f]{16}) for production submitted", page)
    assert submitted is not None, page
    request_id = submitted.group(1)

    bob = Browser(example)
    bob.sign_in("bob")
    page = bob.get("/")
    fields = {"csrfmiddlewaretoken": token(page), "etag": row_etag(page, request_id)}
    assert f"You approved request {request_id}" in bob.post(
        f"/requests/{request_id}/approve", fields
    )

    carol = Browser(example)
    carol.sign_in("carol")
    stale = carol.post(
        f"/requests/{request_id}/deny", {**fields, "csrfmiddlewaretoken": token(carol.get("/"))}
    )
    assert "Someone else acted first" in stale
    assert "already approved by bob" in stale

    api = bob.get(f"/api/requests/{request_id}")
    assert '"status": "approved"' in api and '"approver": "bob"' in api


def test_a_form_without_the_csrf_token_is_refused(example: str) -> None:
    browser = Browser(example)
    browser.sign_in("bob")
    with pytest.raises(urllib.error.HTTPError) as refused:
        browser.post("/requests/0123456789abcdef/approve", {"etag": '"x"'})
    assert refused.value.code == 403
