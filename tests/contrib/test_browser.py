"""End to end in a real headless Chromium: the Flask example's approver page under its example
approval policy (production needs bob or carol; sandbox requests of an hour or less approve
themselves).

One Chromium and one server for the module: the Flask example in a thread on 127.0.0.1 with a
SQLiteStore on a temporary file, emptied after each test; each test gets a fresh browser
context (its own cookies). Driven by Playwright with Debian's chromium. Without chromium or
Playwright the tests are skipped locally and fail in CI (CI=true), where .ci/run installs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from approvals import Request, RequestStatus, SQLiteStore
from approvals.request import AUTO_APPROVED_COMMENT
from tests.contrib.api_spec import pending_request, pending_series
from tests.contrib.examples import EXAMPLES, load_flask_example, serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
POLICY = EXAMPLES / "policy.yaml"


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """A headless Chromium for the module (skipped, or failed in CI, when it is missing)."""
    missing = []
    if shutil.which(CHROMIUM) is None:
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("the playwright package (pip install playwright)")
    if missing:
        message = "browser test needs " + " and ".join(missing)
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SQLiteStore]]:
    """The Flask example with the example policy, served on 127.0.0.1 over a SQLiteStore."""
    with SQLiteStore(tmp_path_factory.mktemp("browser") / "requests.sqlite3") as store:
        app = load_flask_example().create_app(
            {"SECRET_KEY": "browser-test", "APPROVALS_POLICY": str(POLICY)}, store=store
        )
        with serving(app) as url:
            yield url, store


@pytest.fixture
def url(site: tuple[str, SQLiteStore]) -> Iterator[str]:
    """The site's base URL; every request stored during the test is deleted after it."""
    base, store = site
    yield base
    for status in RequestStatus:
        for request in list(store.iter_by_status(status)):
            store.delete(request.id)


@pytest.fixture
def store(site: tuple[str, SQLiteStore]) -> SQLiteStore:
    return site[1]


@pytest.fixture
def context(chromium: Any) -> Iterator[Any]:
    """A fresh browser context (cookies of its own) whose pages are tabs sharing one sign-in."""
    context = chromium.new_context()
    context.set_default_timeout(20_000)
    try:
        yield context
    finally:
        context.close()


def sign_in(page: Any, url: str, name: str) -> None:
    page.goto(url + "/signin")
    page.fill("#name", name)
    page.click("button:has-text('Sign in')")


def signed_in(context: Any, url: str, name: str) -> Any:
    """A new tab of ``context``, signed in as ``name``."""
    page = context.new_page()
    sign_in(page, url, name)
    return page


def submit_form(page: Any, profile: str, duration: str, justification: str) -> None:
    page.fill("#profile", profile)
    page.select_option("#duration", duration)
    page.fill("#justification", justification)
    page.click("button:has-text('Submit request')")


def forge_approval(page: Any, url: str, request: Request) -> Any:
    """POST an approval to the JSON API with the page's cookies, not through its form."""
    etag = f'"{request.updated_at.wire}"'
    return page.request.post(
        f"{url}/api/requests/{request.id}/approve", headers={"If-Match": etag}, data={}
    )


def row(request_id: str) -> str:
    return f"#pending tr[data-request-id='{request_id}']"


def test_two_tabs_approving_one_request_record_one_approval_and_warn_the_second(
    context: Any, url: str, store: SQLiteStore
) -> None:
    from playwright.sync_api import expect

    first = context.new_page()
    # alice asks for access through the submit form.
    sign_in(first, url, "alice")
    submit_form(first, "production", "1 hour", "Deploy hotfix for INC-4821")
    expect(first.locator(".flash-success")).to_contain_text("submitted")
    request_id = first.locator("#mine tr[data-request-id]").first.get_attribute("data-request-id")
    assert request_id is not None
    first.click("button:has-text('Sign out')")

    # bob, an approver of production under the policy, opens it in two tabs.
    sign_in(first, url, "bob")
    second = context.new_page()
    second.goto(url + "/")
    expect(first.locator(row(request_id))).to_be_visible()
    expect(second.locator(row(request_id))).to_be_visible()

    first.locator(row(request_id)).locator("button:has-text('Approve')").click()
    expect(first.locator(".flash-success")).to_contain_text(f"You approved request {request_id}")
    after_first = store.get(request_id)
    assert (after_first.status, after_first.approver) == (RequestStatus.APPROVED, "bob")

    second.locator(row(request_id)).locator("button:has-text('Approve')").click()
    expect(second.locator(".flash-conflict")).to_contain_text("already approved by bob")

    stored = store.get(request_id)
    assert (stored.status, stored.approver) == (RequestStatus.APPROVED, "bob")
    assert stored.updated_at.wire == after_first.updated_at.wire  # the second click wrote nothing


def test_a_row_shows_the_short_id_with_the_full_id_and_exact_times_on_hover(
    context: Any, url: str, store: SQLiteStore
) -> None:
    from playwright.sync_api import expect

    request = pending_request(store)
    page = signed_in(context, url, "bob")
    cells = page.locator(row(request.id)).locator("td")
    expect(cells.nth(0).locator("code")).to_have_text(request.id[:8])
    expect(cells.nth(0).locator("code")).to_have_attribute("title", request.id)
    expect(cells.nth(0).locator("button.copy")).to_have_attribute("data-id", request.id)
    expect(cells.nth(3)).to_have_text("1h")
    expect(cells.nth(5).locator("time")).to_have_text("just now")
    expect(cells.nth(6).locator("time")).to_have_text("in 23 hours")
    exact = request.expires_at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    expect(cells.nth(6).locator("time")).to_have_attribute("title", exact)


def test_a_non_approver_sees_no_approve_button_and_a_forged_post_is_403(
    context: Any, url: str, store: SQLiteStore
) -> None:
    from playwright.sync_api import expect

    request = pending_request(store, profile="production")
    page = signed_in(context, url, "dave")
    expect(page.locator("#policy")).to_contain_text("prod-oncall")
    expect(page.locator(row(request.id))).to_have_count(0)
    expect(page.locator("button:has-text('Approve')")).to_have_count(0)

    forged = forge_approval(page, url, request)
    assert forged.status == 403
    assert forged.json()["rule"] == "prod-oncall"
    assert store.get(request.id).status is RequestStatus.PENDING


def test_a_case_variant_self_approval_is_refused(
    context: Any, url: str, store: SQLiteStore
) -> None:
    from playwright.sync_api import expect

    request = pending_request(store, requester="alice", profile="staging")  # no rule: anyone else
    page = signed_in(context, url, "Alice")
    expect(page.locator(row(request.id))).to_have_count(0)  # her own, in another spelling

    forged = forge_approval(page, url, request)
    assert forged.status == 422
    assert forged.json()["field"] == "approver"
    assert store.get(request.id).status is RequestStatus.PENDING


def test_an_expired_request_shows_no_live_buttons(
    context: Any, url: str, store: SQLiteStore
) -> None:
    from playwright.sync_api import expect

    request = pending_request(store, now=datetime.now(timezone.utc) - timedelta(days=2))
    page = signed_in(context, url, "bob")
    expired = page.locator(row(request.id))
    expect(expired).to_contain_text("expired")
    expect(expired.locator("button:not(.copy)")).to_have_count(0)
    expect(expired.locator("form")).to_have_count(0)


def test_paging_walks_past_fifty_rows(context: Any, url: str, store: SQLiteStore) -> None:
    from playwright.sync_api import expect

    created = pending_series(store, 60)
    page = signed_in(context, url, "bob")
    rows = page.locator("#pending tr[data-request-id]")
    expect(rows).to_have_count(50)
    first = rows.evaluate_all("rows => rows.map(r => r.dataset.requestId)")
    page.click("#next-page")
    expect(rows).to_have_count(10)
    second = rows.evaluate_all("rows => rows.map(r => r.dataset.requestId)")
    expect(page.locator("#next-page")).to_have_count(0)
    assert first + second == [r.id for r in reversed(created)]

    # Deciding on the second page comes back to the second page.
    page.locator(row(second[0])).locator("button:has-text('Approve')").click()
    expect(page.locator(".flash-success")).to_contain_text(f"You approved request {second[0]}")
    expect(rows).to_have_count(9)


def test_an_auto_approved_request_shows_as_approved_with_its_comment(
    context: Any, url: str, store: SQLiteStore
) -> None:
    from playwright.sync_api import expect

    page = signed_in(context, url, "alice")
    submit_form(page, "sandbox", "30 minutes", "Try the new billing export")
    expect(page.locator(".flash-success")).to_contain_text(AUTO_APPROVED_COMMENT)
    mine = page.locator("#mine tr[data-request-id]").first
    expect(mine.locator(".status-approved")).to_have_text("approved")
    expect(mine.locator(".comment")).to_have_text(AUTO_APPROVED_COMMENT)
    request_id = mine.get_attribute("data-request-id")
    assert request_id is not None
    assert store.get(request_id).is_auto_approved
