"""An approver page on approvals' Flask extension: submit, approve, deny, cancel.

Run it (no AWS needed: the requests live in the local SQLite store,
~/.local/share/approvals/requests.sqlite3, or under $APPROVALS_DATA_DIR)::

    python examples/flask_app/app.py            # then open http://127.0.0.1:5000

Against a DynamoDB table set APPROVALS_ENDPOINT_URL, or APPROVALS_USE_AWS=1 with AWS credentials
and APPROVALS_REGION. APPROVALS_POLICY names an approval policy file (try
examples/policy.yaml): the page then lists only the requests you may decide, and the policy
may auto-approve on submit. Sign in with any name (a demo stand-in for your SSO), submit a
request, sign in as someone else in another browser and approve it. Behind an authenticating
reverse proxy set APPROVALS_TRUSTED_PROXIES to its address(es), comma-separated: the user is then
read from its X-Forwarded-User header, and only when a request comes from those addresses.

The same operations are served as JSON under /api (the extension's blueprint). Every decision
is conditional on the version the page showed: if someone else acted first, the page says so
and nothing is overwritten.
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

from flask import (
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response

# Running `python examples/flask_app/app.py` from a checkout: import the library next to it.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from approvals import DynamoDBStore, SQLiteStore, Store, ValidationError
from approvals.contrib import approver
from approvals.contrib.flask import (
    Approvals,
    api_blueprint,
    get_enforcement,
    get_store,
    proxy_user,
)
from approvals.store.paths import default_path

TABLE = "approvals-example"

approvals = Approvals()


@approvals.identity_loader
def signed_in_user() -> str | None:
    """The acting user, from a trusted source only: the authenticating proxy's header when
    APPROVALS_TRUSTED_PROXIES is configured (and the request comes from there), otherwise this
    browser's session (the demo sign-in, a stand-in for real authentication)."""
    if current_app.config.get("APPROVALS_TRUSTED_PROXIES"):
        return proxy_user()
    user = session.get("user")
    return user if isinstance(user, str) else None


def create_app(config: Mapping[str, Any] | None = None, *, store: Store | None = None) -> Flask:
    """Return the example app; ``store`` replaces the DynamoDBStore built from the config.

    ValidationError for a policy file that cannot be loaded (naming the rule and key).
    """
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=os.environ.get("APPROVALS_EXAMPLE_SECRET_KEY") or secrets.token_hex(32),
        APPROVALS_TABLE=TABLE,
        APPROVALS_POLICY=os.environ.get("APPROVALS_POLICY") or None,
        APPROVALS_TRUSTED_PROXIES=_split(os.environ.get("APPROVALS_TRUSTED_PROXIES", "")),
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
        cursor = request.args.get("cursor")
        enforcement = get_enforcement()
        try:
            page = approver.approver_page(get_store(), user, enforcement, cursor=cursor)
        except ValidationError as exc:
            flash(f"That page link is no longer valid ({exc}); showing the first page.", "error")
            return redirect(url_for("index"))
        return render_template(
            "index.html",
            user=user,
            page=page,
            cursor=cursor,
            policy=enforcement.policy,
            durations=approver.DURATIONS,
            justification_hint=approver.JUSTIFICATION_HINT,
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
        body = approver.form_body(request.form)
        outcome = approver.submit(get_store(), _require_user(), get_enforcement(), body)
        flash(outcome.message, outcome.category)
        return redirect(url_for("index"))

    @app.post("/requests/<request_id>/<any(approve, deny, cancel):action>")
    def act(request_id: str, action: str) -> Response:
        outcome = approver.decide(
            get_store(),
            _require_user(),
            get_enforcement(),
            request_id,
            action,
            etag=request.form.get("etag", ""),
            comment=request.form.get("comment", ""),
        )
        flash(outcome.message, outcome.category)
        return redirect(url_for("index", cursor=request.form.get("cursor") or None))

    return app


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


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


def build_store() -> tuple[Store, str]:
    """The example's store and what to call it: DynamoDB when APPROVALS_ENDPOINT_URL or
    APPROVALS_USE_AWS=1 says so (the table is created if missing), else the local SQLite store."""
    endpoint = os.environ.get("APPROVALS_ENDPOINT_URL") or None
    if endpoint is None and os.environ.get("APPROVALS_USE_AWS") != "1":
        path = default_path()
        return SQLiteStore(path), f"local store {path}"
    region = os.environ.get("APPROVALS_REGION") or os.environ.get("AWS_REGION")
    table = os.environ.get("APPROVALS_TABLE", TABLE)
    dynamodb = DynamoDBStore(table, region=region, host=endpoint)
    dynamodb.create_table()  # idempotent
    return dynamodb, f"table {table} in {region or 'the default region'} at {endpoint or 'AWS'}"


def main(argv: list[str] | None = None) -> None:
    """Serve the example on the store :func:`build_store` chooses, and say which."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args(argv)
    store, description = build_store()
    print(f"approvals: using the {description}", file=sys.stderr)
    create_app(store=store).run(host=args.host, port=args.port)


if __name__ == "__main__":
    main()
