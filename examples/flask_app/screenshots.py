"""Take the README's screenshots of the approver page with headless Chromium (Playwright)::

    python examples/flask_app/screenshots.py [--out docs] [--chromium /usr/bin/chromium]

Serves this example under examples/policy.yaml on a throwaway SQLite store with a few requests,
signs in as bob, and saves approver-page.png (the pending list under the policy),
approver-expired.png (a request past its expiry: no buttons) and approver-conflict.png (the
banner after approving in a stale tab).
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import tempfile
import threading
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from werkzeug.serving import make_server

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from approvals import Request, SQLiteStore  # noqa: E402
from approvals.policy import ApprovalPolicy  # noqa: E402

POLICY = HERE.parent / "policy.yaml"

SEED = [  # requester, profile, justification, duration, age
    (
        "alice",
        "production",
        "Deploy hotfix for INC-4821 (payment retries)",
        1,
        timedelta(minutes=4),
    ),
    ("erin", "billing", "Re-run the November invoice export for ACME", 2, timedelta(minutes=35)),
    ("frank", "staging", "Load-test the new search index before Friday", 8, timedelta(hours=3)),
    ("alice", "production", "Rotate the deploy keys after the audit", 1, timedelta(hours=5)),
    ("grace", "production", "Inspect the stuck SQS queue from last night", 1, timedelta(hours=30)),
]


def seed(store: SQLiteStore, now: datetime) -> list[Request]:
    """Store the requests the screenshots show (the last one past its expiry), and one of bob's
    own that the policy approved on submit."""
    policy = ApprovalPolicy.from_file(POLICY)
    own = Request.new(
        requester="bob",
        profile="sandbox",
        justification="Try the new billing export in the sandbox",
        duration=timedelta(minutes=30),
        now=now - timedelta(minutes=12),
    )
    store.create(policy.auto_approve(own))
    return [
        store.create(
            Request.new(
                requester=requester,
                profile=profile,
                justification=justification,
                duration=timedelta(hours=hours),
                now=now - age,
            )
        )
        for requester, profile, justification, hours, age in SEED
    ]


def _load_example() -> Any:
    spec = importlib.util.spec_from_file_location("approvals_flask_example", HERE / "app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # Flask finds the templates through the module
    spec.loader.exec_module(module)
    return module


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=HERE.parents[1] / "docs")
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as scratch, SQLiteStore(Path(scratch) / "r.db") as store:
        requests = seed(store, datetime.now(timezone.utc))
        app = _load_example().create_app(
            {"SECRET_KEY": "screenshots", "APPROVALS_POLICY": str(POLICY)},
            store=store,
        )
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.port}"
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(
                    executable_path=args.chromium, headless=True, args=["--no-sandbox"]
                )
                _shoot(browser, url, store, requests, args.out)
                browser.close()
        finally:
            server.shutdown()


def _shoot(browser: Any, url: str, store: SQLiteStore, requests: list[Request], out: Path) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(url + "/signin")
    page.fill("#name", "bob")
    page.click("button:has-text('Sign in')")
    page.screenshot(path=str(out / "approver-page.png"), full_page=True)

    expired = page.locator(f"#pending tr[data-request-id='{requests[-1].id}']")
    page.locator("#pending").screenshot(path=str(out / "approver-expired.png"))
    assert "expired" in expired.inner_text()

    stale = requests[0]
    store.update(store.get(stale.id).approve("carol", "go ahead"))  # carol, in another browser
    page.locator(f"#pending tr[data-request-id='{stale.id}'] button:has-text('Approve')").click()
    page.wait_for_selector(".flash-conflict")
    page.screenshot(
        path=str(out / "approver-conflict.png"),
        clip={"x": 0, "y": 0, "width": 1280, "height": 520},
    )


if __name__ == "__main__":
    main()
