"""The Approvals Flask extension: configuration, one store per app, problem+json handlers."""

from __future__ import annotations

from typing import Any

import pytest

pytest.importorskip("flask")

from flask import Flask

from approvals import DynamoDBStore, MemoryStore, RequestNotFound
from approvals.contrib.flask import Approvals, api_blueprint, current_identity, get_store
from tests.contrib.api_spec import ERROR_CASES, Reply, check_error_reply


def _raising_app(error: Exception, **options: Any) -> Flask:
    app = Flask(__name__)
    Approvals(app, store=MemoryStore(), **options)

    @app.post("/boom")
    def boom() -> str:
        raise error

    return app


def test_init_app_fills_the_config_defaults_and_builds_a_dynamodb_store() -> None:
    app = Flask(__name__)
    Approvals(app)
    store = get_store(app)
    assert isinstance(store, DynamoDBStore)
    assert (store.table_name, store.region, store.host) == ("sentinel-requests", None, None)
    assert app.config["APPROVALS_ENDPOINT_URL"] is None


def test_the_store_follows_the_config_keys() -> None:
    app = Flask(__name__)
    app.config.update(
        APPROVALS_TABLE="access-requests",
        APPROVALS_REGION="eu-west-1",
        APPROVALS_ENDPOINT_URL="http://127.0.0.1:8000",
    )
    Approvals().init_app(app)
    store = get_store(app)
    assert isinstance(store, DynamoDBStore)
    assert (store.table_name, store.region, store.host) == (
        "access-requests",
        "eu-west-1",
        "http://127.0.0.1:8000",
    )


def test_one_extension_keeps_a_separate_store_per_app() -> None:
    approvals = Approvals()
    first, second = Flask("first"), Flask("second")
    approvals.init_app(first, store=MemoryStore())
    approvals.init_app(second, store=MemoryStore())
    assert get_store(first) is not get_store(second)
    with second.app_context():
        assert approvals.store is get_store(second)


def test_get_store_without_the_extension_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="init_app"):
        get_store(Flask(__name__))


@pytest.mark.parametrize(("error", "if_match", "status", "code", "extensions"), ERROR_CASES)
def test_library_errors_in_any_view_become_problems(
    error: Exception, if_match: bool, status: int, code: str, extensions: dict[str, Any]
) -> None:
    client = _raising_app(error).test_client()
    response = client.post("/boom", headers={"If-Match": '"x"'} if if_match else {})
    reply = Reply.of(response.status_code, response.headers, response.data)
    check_error_reply(reply, error, status, code, extensions)


def test_problem_handlers_can_be_left_to_the_app() -> None:
    app = _raising_app(RequestNotFound("0123456789abcdef"), problem_handlers=False)
    response = app.test_client().post("/boom")
    assert response.status_code == 500
    assert response.mimetype != "application/problem+json"


def test_the_identity_loader_decorator_sets_who_acts() -> None:
    app = Flask(__name__)
    approvals = Approvals(app, store=MemoryStore())

    @approvals.identity_loader
    def everyone_is_bob() -> str:
        return "bob"

    with app.test_request_context():
        assert current_identity() == "bob"


def test_the_api_refuses_to_guess_an_identity_without_a_loader() -> None:
    app = Flask(__name__)
    Approvals(app, store=MemoryStore())
    app.register_blueprint(api_blueprint(), url_prefix="/api")
    app.testing = True  # let the view's exception reach the test
    with pytest.raises(RuntimeError, match="identity loader"):
        app.test_client().get("/api/requests?status=pending")


def test_unknown_routes_under_the_blueprint_prefix_stay_the_apps_business() -> None:
    app = Flask(__name__)
    Approvals(app, store=MemoryStore(), identity_loader=lambda: "bob")
    app.register_blueprint(api_blueprint(), url_prefix="/api")
    response = app.test_client().post("/api/requests/0123456789abcdef/publish")
    assert response.status_code in (404, 405)
