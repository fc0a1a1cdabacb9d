"""End to end in a real headless Chromium: two tabs approve the same request; one approval lands.

Runs the Flask example app in a thread on 127.0.0.1 with a DynamoDBStore on the embedded local
DynamoDB (a real HTTP server), driven by Playwright with Debian's chromium. Without chromium or
Playwright the test is skipped locally and fails in CI (CI=true), where .ci/run installs them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from approvals import DynamoDBStore, RequestStatus
from approvals.embedded import EmbeddedDynamoDB
from tests.contrib.examples import load_flask_example, serving

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


@pytest.fixture
def browser_context(tmp_path: Path) -> Iterator[Any]:
    """A headless Chromium (fresh user-data-dir) whose pages are tabs sharing one sign-in."""
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
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
        )
        context.set_default_timeout(20_000)
        try:
            yield context
        finally:
            context.close()


@pytest.fixture
def example_url(tmp_path: Path) -> Iterator[tuple[str, DynamoDBStore]]:
    """The Flask example served on 127.0.0.1 with a store on the embedded DynamoDB server."""
    example = load_flask_example()
    with EmbeddedDynamoDB(tmp_path / "dynamodb") as dynamodb:
        store = DynamoDBStore(example.TABLE, region=dynamodb.region, host=dynamodb.endpoint_url)
        store.create_table()
        app = example.create_app({"SECRET_KEY": "browser-test"}, store=store)
        with serving(app) as url:
            yield url, store


def test_two_tabs_approving_one_request_record_one_approval_and_warn_the_second(
    browser_context: Any, example_url: tuple[str, DynamoDBStore]
) -> None:
    from playwright.sync_api import expect

    url, store = example_url
    first = browser_context.new_page()

    # alice asks for access through the submit form.
    first.goto(url + "/")
    first.fill("#name", "alice")
    first.click("button:has-text('Sign in')")
    first.fill("#profile", "production")
    first.select_option("#duration", "1 hour")
    first.fill("#justification", "Deploy hotfix for INC-4821")
    first.click("button:has-text('Submit request')")
    expect(first.locator(".flash-success")).to_contain_text("submitted")
    request_id = first.locator("#mine tr[data-request-id]").first.get_attribute("data-request-id")
    assert request_id is not None
    first.click("button:has-text('Sign out')")

    # bob opens the pending request in two tabs.
    first.fill("#name", "bob")
    first.click("button:has-text('Sign in')")
    second = browser_context.new_page()
    second.goto(url + "/")
    row = f"#pending tr[data-request-id='{request_id}']"
    expect(first.locator(row)).to_be_visible()
    expect(second.locator(row)).to_be_visible()

    first.locator(row).locator("button:has-text('Approve')").click()
    expect(first.locator(".flash-success")).to_contain_text(f"You approved request {request_id}")
    after_first = store.get(request_id)
    assert (after_first.status, after_first.approver) == (RequestStatus.APPROVED, "bob")

    second.locator(row).locator("button:has-text('Approve')").click()
    expect(second.locator(".flash-conflict")).to_contain_text("already approved by bob")

    stored = store.get(request_id)
    assert (stored.status, stored.approver) == (RequestStatus.APPROVED, "bob")
    assert stored.updated_at.wire == after_first.updated_at.wire  # the second click wrote nothing
