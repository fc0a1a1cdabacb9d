"""An approver page on approvals' Flask extension: submit, approve, deny, cancel.

Run it (no AWS needed: without APPROVALS_ENDPOINT_URL it starts the embedded local DynamoDB and
keeps its data in ~/.local/share/approvals, or $APPROVALS_DATA_DIR)::

    python examples/flask_app/app.py            # then open http://127.0.0.1:5000

Against a real table set APPROVALS_ENDPOINT_URL, or APPROVALS_USE_AWS=1 with AWS credentials
and APPROVALS_REGION. Sign in with any name (a demo stand-in for your SSO), submit a request,
sign in as someone else in another browser and approve it. The same operations are served as
JSON under /api (the extension's blueprint). Every decision is conditional on the version the
page showed: if someone else acted first, the page says so and nothing is overwritten.
"""

from __future__ import annotations

import argparse
import hmac
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

# Running `python examples/flask_app/app.py` from a checkout: import the library next to it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from approvals import (
    ApprovalsError,
    ConcurrentModification,
    DynamoDBStore,
    InvalidStateTransition,
    RequestNotFound,
    RequestStatus,
    Store,
    ValidationError,
)
from approvals.contrib import api
from approvals.contrib.flask import Approvals, api_blueprint, get_store
from approvals.contrib.http import HTTPProblem

TABLE = "approvals-example"
DURATIONS = {"30 minutes": 1800, "1 hour": 3600, "2 hours": 7200, "8 hours": 28800}

approvals = Approvals()


@approvals.identity_loader
def signed_in_user() -> str | None:
    """The acting user: whoever signed in on this browser (a demo stand-in for real auth)."""
    user = session.get("user")
    return user if isinstance(user, str) else None


def create_app(config: Mapping[str, Any] | None = None, *, store: Store | None = None) -> Flask:
    """Return the example app; ``store`` replaces the DynamoDBStore built from the config."""
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("APPROVALS_EXAMPLE_SECRET_KEY") or secrets.token_hex(32),
        APPROVALS_TABLE=TABLE,
    )
    app.config.update(config or {})
    approvals.init_app(app, store=store)
    app.register_blueprint(api_blueprint(), url_prefix="/api")
    app.before_request(_check_csrf)
    app.jinja_env.globals["csrf_token"] = _csrf_token

    @app.get("/")
    def index() -> str | Response:
        user = signed_in_user()
        if user is None:
            return redirect(url_for("signin"))
        store = get_store()
        pending = api.list_requests(store, {"status": "pending", "limit": "50"}).items
        mine = api.list_requests(store, {"requester": user, "limit": "20"}).items
        return render_template(
            "index.html",
            user=user,
            pending=[(r, api.request_to_json(r)["etag"]) for r in pending],
            mine=[(r, api.request_to_json(r)["etag"]) for r in mine],
            durations=DURATIONS,
        )

    @app.route("/signin", methods=["GET", "POST"])
    def signin() -> str | Response:
        if request.method == "POST":
            name = request.form.get("name", "").strip()
            if name:
                session.clear()  # a new user gets a new CSRF token too
                session["user"] = name
                return redirect(url_for("index"))
            flash("Type a name to sign in.", "error")
        return render_template("signin.html")

    @app.post("/signout")
    def signout() -> Response:
        session.clear()
        return redirect(url_for("signin"))

    @app.post("/submit")
    def submit() -> Response:
        user = _require_user()
        body = {
            "profile": request.form.get("profile", "").strip(),
            "justification": request.form.get("justification", "").strip(),
            "duration_seconds": DURATIONS.get(request.form.get("duration", ""), 0),
        }
        try:
            created = api.create_request(get_store(), body, requester=user)
        except ValidationError as exc:
            flash(f"Not submitted: {exc}", "error")
        else:
            flash(f"Request {created.id} for {created.profile} submitted.", "success")
        return redirect(url_for("index"))

    @app.post("/requests/<request_id>/<any(approve, deny, cancel):action>")
    def act(request_id: str, action: str) -> Response:
        user = _require_user()
        body = None if action == "cancel" else {"comment": request.form.get("comment", "")}
        store = get_store()
        try:
            changed = api.transition(
                store,
                request_id,
                action,
                actor=user,
                if_match=request.form.get("etag", ""),
                body=body,
            )
        except ConcurrentModification:
            flash(_someone_else_acted(store, request_id, user), "conflict")
        except (InvalidStateTransition, RequestNotFound, ValidationError, HTTPProblem) as exc:
            flash(f"Nothing changed: {exc}", "error")
        except ApprovalsError:
            flash("The approval store is unavailable; nothing changed. Try again shortly.", "error")
        else:
            done = {"approved": "approved", "denied": "denied", "cancelled": "cancelled"}
            flash(f"You {done[changed.status.value]} request {changed.id}.", "success")
        return redirect(url_for("index"))

    return app


def _someone_else_acted(store: Store, request_id: str, user: str) -> str:
    """The conflict message: who did what while the page was open."""
    try:
        current = store.get(request_id)
    except ApprovalsError:
        return "Someone else acted on this request first. Nothing was changed; reload the page."
    if current.status is RequestStatus.PENDING:
        return f"Request {request_id} changed since you loaded the page. Nothing was changed."
    lead = (
        "You decided this in another tab or window"
        if current.approver == user
        else "Someone else acted first"
    )
    by = f" by {current.approver}" if current.approver else ""
    return (
        f"{lead}: request {request_id} is already {current.status.value}{by}. "
        "Your decision was not recorded."
    )


def _require_user() -> str:
    user = signed_in_user()
    if user is None:
        abort(401)
    return user


# CSRF: a random token in the (signed) session cookie, echoed by every form as a hidden field.
# The JSON API under /api needs none: it only takes application/json bodies and If-Match
# headers, which a cross-site form cannot send.
def _csrf_token() -> str:
    token = session.get("csrf_token")
    if not isinstance(token, str):
        token = session["csrf_token"] = secrets.token_urlsafe(32)
    return token


def _check_csrf() -> None:
    if request.method in ("GET", "HEAD", "OPTIONS") or request.blueprint == "approvals_api":
        return
    expected = session.get("csrf_token")
    sent = request.form.get("csrf_token", "")
    if not isinstance(expected, str) or not hmac.compare_digest(expected.encode(), sent.encode()):
        abort(400, "The form expired or came from another site; reload the page and try again.")


def main(argv: list[str] | None = None) -> None:
    """Serve the example; start the embedded DynamoDB unless APPROVALS_ENDPOINT_URL is set."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)

    endpoint = os.environ.get("APPROVALS_ENDPOINT_URL") or None
    region = os.environ.get("APPROVALS_REGION") or os.environ.get("AWS_REGION")
    embedded = None
    if not endpoint and os.environ.get("APPROVALS_USE_AWS") != "1":
        from approvals.embedded import EmbeddedDynamoDB, ensure_dummy_credentials

        ensure_dummy_credentials()
        embedded = EmbeddedDynamoDB()
        endpoint, region = embedded.start(), embedded.region
        print(f"approvals: using {embedded.describe()}", file=sys.stderr)
    try:
        store = DynamoDBStore(TABLE, region=region, host=endpoint)
        store.create_table()  # idempotent
        app = create_app({"APPROVALS_REGION": region, "APPROVALS_ENDPOINT_URL": endpoint})
        app.run(host=args.host, port=args.port)
    finally:
        if embedded is not None:
            embedded.stop()


if __name__ == "__main__":
    main()
