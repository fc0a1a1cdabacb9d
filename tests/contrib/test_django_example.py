"""examples/django_project: its documented command serves the approver flow on the local store,
under an approval policy, with server-side sessions, and refuses an unsafe start.

The example has its own Django settings, so it runs in a subprocess (`manage.py runserver
--noreload`; the documented command only adds the autoreloader) and is driven over HTTP with a
cookie jar, as a browser without JavaScript would.
"""

from __future__ import annotations

import html
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from django.contrib.sessions.serializers import JSONSerializer
from django.core import signing

from approvals import Request, SQLiteStore
from tests.contrib.examples import EXAMPLES, example_env, free_port, running

MANAGE = str(EXAMPLES / "django_project" / "manage.py")
DEVELOPMENT_SECRET_KEY = "django-insecure-approvals-example-only"


class Browser:
    """Just enough of a browser: cookies, redirects, form posts."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.cookies = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def get(self, path: str, headers: dict[str, str] | None = None) -> str:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        with self.opener.open(request, timeout=30) as response:
            return str(response.read().decode())

    def post(self, path: str, fields: dict[str, str]) -> str:
        data = urllib.parse.urlencode(fields).encode()
        with self.opener.open(self.base + path, data=data, timeout=30) as response:
            return str(response.read().decode())

    def sign_in(self, name: str) -> None:
        self.post("/signin", {"name": name, "csrfmiddlewaretoken": token(self.get("/signin"))})

    def submit(self, profile: str) -> str:
        page = self.post(
            "/submit",
            {
                "csrfmiddlewaretoken": token(self.get("/")),
                "profile": profile,
                "duration": "1 hour",
                "justification": "Deploy hotfix for INC-4821",
            },
        )
        submitted = re.search(rf"Request ([0-9a-f]{{16}}) for {profile} submitted", page)
        assert submitted is not None, page
        return submitted.group(1)


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
    """The example with a secret key of its own, DEBUG off, and the example policy."""
    port = free_port()
    env = {
        "DJANGO_SECRET_KEY": "a-key-for-this-test-only-" + "x" * 30,
        "APPROVALS_POLICY": str(EXAMPLES / "policy.yaml"),
    }
    command = [MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"]
    with running(command, data_dir=tmp_path / "data", ready="Starting development server", env=env):
        yield f"http://127.0.0.1:{port}"


def test_submit_approve_and_a_stale_second_approve_in_the_django_example(
    example: str, tmp_path: Path
) -> None:
    alice = Browser(example)
    alice.sign_in("alice")
    request_id = alice.submit("production")
    assert (tmp_path / "data" / "requests.sqlite3").exists()

    bob = Browser(example)
    bob.sign_in("bob")
    page = bob.get("/")
    assert f'title="{request_id}">{request_id[:8]}</code>' in page
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


def test_a_non_approver_sees_no_row_and_a_forged_post_names_the_rule(example: str) -> None:
    alice = Browser(example)
    alice.sign_in("alice")
    request_id = alice.submit("production")
    bob = Browser(example)
    bob.sign_in("bob")
    etag = row_etag(bob.get("/"), request_id)

    dave = Browser(example)
    dave.sign_in("dave")
    page = dave.get("/")
    assert request_id not in page
    forged = dave.post(
        f"/requests/{request_id}/approve", {"csrfmiddlewaretoken": token(page), "etag": etag}
    )
    assert "Nothing changed: dave is not an approver under rule 'prod-oncall'" in html.unescape(
        forged
    )
    assert '"status": "pending"' in dave.get(f"/api/requests/{request_id}")


def test_a_form_without_the_csrf_token_is_refused(example: str) -> None:
    browser = Browser(example)
    browser.sign_in("bob")
    with pytest.raises(urllib.error.HTTPError) as refused:
        browser.post("/requests/0123456789abcdef/approve", {"etag": '"x"'})
    assert refused.value.code == 403


def test_a_javascript_client_gets_the_csrf_token_from_the_api(example: str) -> None:
    browser = Browser(example)
    browser.sign_in("alice")
    issued = browser.get("/api/csrf")
    assert re.search(r'"csrf_token": "[A-Za-z0-9]+"', issued)
    assert any(cookie.name == "csrftoken" for cookie in browser.cookies)


def test_a_session_cookie_signed_with_the_published_key_signs_nobody_in(tmp_path: Path) -> None:
    # Even in DEBUG with the committed development key, sessions live on the server: a cookie
    # forged as the signed-cookie backend would have written it names no session.
    signer = signing.TimestampSigner(
        key=DEVELOPMENT_SECRET_KEY,
        salt="django.contrib.sessions.backends.signed_cookies",
        fallback_keys=[],
    )
    forged = signer.sign_object({"user": "alice"}, serializer=JSONSerializer, compress=True)
    port = free_port()
    command = [MANAGE, "runserver", "--noreload", f"127.0.0.1:{port}"]
    ready = "Starting development server"
    with running(command, data_dir=tmp_path / "data", ready=ready, env={"DJANGO_DEBUG": "1"}):
        page = Browser(f"http://127.0.0.1:{port}").get("/", {"Cookie": f"sessionid={forged}"})
    assert "Your name (demo sign-in" in page  # redirected to the sign-in page


@pytest.mark.parametrize(
    ("env", "refused"),
    [
        ({}, True),  # DEBUG defaults off: the published key is refused
        ({"DJANGO_DEBUG": "0"}, True),
        ({"DJANGO_SECRET_KEY": DEVELOPMENT_SECRET_KEY}, True),
        ({"DJANGO_DEBUG": "1"}, False),  # a local demo, explicitly
        ({"DJANGO_SECRET_KEY": "a-key-for-this-test-only-" + "x" * 30}, False),
    ],
)
def test_the_published_secret_key_is_refused_unless_debug_is_explicitly_on(
    tmp_path: Path, env: dict[str, str], refused: bool
) -> None:
    done = subprocess.run(
        [sys.executable, MANAGE, "check"],
        env=example_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    if refused:
        assert done.returncode == 1
        assert "refusing to start with the example's published SECRET_KEY" in done.stderr
        assert "Traceback" not in done.stderr
    else:
        assert done.returncode == 0, done.stderr


def test_pages_of_fifty_and_an_expired_request_without_buttons(
    example: str, tmp_path: Path
) -> None:
    # The example's own SQLite file, shared with its server process.
    with SQLiteStore(tmp_path / "data" / "requests.sqlite3") as store:
        start = datetime.now(timezone.utc) - timedelta(minutes=30)
        expired = _pending(store, start - timedelta(days=2))
        for i in range(55):
            _pending(store, start + timedelta(seconds=i))
    bob = Browser(example)
    bob.sign_in("bob")
    first = bob.get("/")
    assert first.count('<tr data-request-id="') == 50
    next_page = re.search(r'id="next-page" href="([^"]+)"', first)
    assert next_page is not None
    second = bob.get(html.unescape(next_page.group(1)))
    assert second.count("<tr data-request-id=") == 6
    assert 'id="next-page"' not in second
    row = second[second.index(f'data-request-id="{expired.id}"') :].split("</tr>")[0]
    assert '<span class="expired">expired</span>' in row
    assert "<form" not in row


def test_a_request_the_policy_auto_approves_shows_approved_with_its_comment(
    example: str,
) -> None:
    alice = Browser(example)
    alice.sign_in("alice")
    page = alice.post(
        "/submit",
        {
            "csrfmiddlewaretoken": token(alice.get("/")),
            "profile": "sandbox",
            "duration": "30 minutes",
            "justification": "Try the new billing export",
        },
    )
    assert "was auto-approved by policy" in page
    mine = page[page.index('<table id="mine">') :]
    assert '<td class="status-approved">approved</td>' in mine
    assert '<td class="comment">auto-approved by policy</td>' in mine


def _pending(store: SQLiteStore, now: datetime) -> Request:
    return store.create(
        Request.new(
            requester="alice",
            profile="production",
            justification="Deploy hotfix for INC-4821",
            duration=timedelta(hours=1),
            now=now,
        )
    )
