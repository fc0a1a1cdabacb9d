"""Flask integration: the :class:`Approvals` extension and an optional JSON API blueprint.

Usage::

    app = Flask(__name__)
    approvals = Approvals(app)  # configured by the APPROVALS_* keys of CONFIG_DEFAULTS

    @approvals.identity_loader
    def signed_in_user() -> str | None:
        return session.get("user")

    app.register_blueprint(api_blueprint(), url_prefix="/api")
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from flask import Blueprint, Flask, Response, current_app, request, url_for
from werkzeug.exceptions import HTTPException

from approvals.errors import ApprovalsError
from approvals.model import DEFAULT_TABLE_NAME
from approvals.request import Request
from approvals.store import DynamoDBStore, Store

from . import api
from .enforcement import Enforcement
from .http import (
    DEFAULT_AUTH_CHALLENGE,
    DEFAULT_IDENTITY_HEADER,
    PROBLEM_CONTENT_TYPE,
    HTTPProblem,
    Problem,
    ProxyNetworks,
    entity_tag,
    parse_trusted_proxies,
    problem_for_exception,
    proxy_identity,
)

__all__ = [
    "CONFIG_DEFAULTS",
    "EXTENSION_KEY",
    "Approvals",
    "IdentityLoader",
    "api_blueprint",
    "current_identity",
    "get_enforcement",
    "get_store",
    "problem_response",
    "proxy_user",
    "register_problem_handlers",
]

IdentityLoader = Callable[[], "str | None"]
"""Returns the signed-in user's name in the current request, or None when nobody is."""

EXTENSION_KEY: Final = "approvals"
"""The key of the extension's state in ``app.extensions``."""
CONFIG_DEFAULTS: Final[dict[str, object]] = {
    "APPROVALS_TABLE": DEFAULT_TABLE_NAME,
    "APPROVALS_REGION": None,
    "APPROVALS_ENDPOINT_URL": None,
    "APPROVALS_POLICY": None,
    "APPROVALS_REQUIRE_RULE": False,
    "APPROVALS_TRUSTED_PROXIES": None,
    "APPROVALS_IDENTITY_HEADER": DEFAULT_IDENTITY_HEADER,
}
"""The configuration keys and their defaults, set on ``app.config`` when missing."""


@dataclass
class _AppState:
    extension: Approvals
    store: Store
    enforcement: Enforcement
    trusted_proxies: ProxyNetworks


class Approvals:
    """The Flask extension: one store per app, problem+json error handlers, the acting identity.

    ``Approvals(app)`` or ``Approvals()`` then ``init_app(app)`` (app factories). ``store`` replaces
    the DynamoDBStore built from the config (a MemoryStore in tests); ``identity_loader`` may also
    be set later with the :meth:`identity_loader` decorator. ``problem_handlers=False`` leaves the
    app's own error handlers alone (the blueprint still answers with problems).
    ``auth_challenge`` is the ``WWW-Authenticate`` value of a 401.
    """

    def __init__(
        self,
        app: Flask | None = None,
        *,
        store: Store | None = None,
        identity_loader: IdentityLoader | None = None,
        problem_handlers: bool = True,
        auth_challenge: str = DEFAULT_AUTH_CHALLENGE,
    ) -> None:
        self._identity_loader = identity_loader
        self.problem_handlers = problem_handlers
        self.auth_challenge = auth_challenge
        if app is not None:
            self.init_app(app, store=store)

    def init_app(self, app: Flask, *, store: Store | None = None) -> None:
        """Attach to ``app``: fill config defaults, build its store, load its approval policy,
        register error handlers.

        Building a DynamoDBStore makes no network call. ValidationError for an invalid
        ``APPROVALS_TABLE``, policy file (naming its rule and key), ``APPROVALS_REQUIRE_RULE``
        or ``APPROVALS_TRUSTED_PROXIES``: a misconfigured app does not start.
        """
        for key, default in CONFIG_DEFAULTS.items():
            app.config.setdefault(key, default)
        if store is None:
            store = DynamoDBStore(
                app.config["APPROVALS_TABLE"],
                region=app.config["APPROVALS_REGION"],
                host=app.config["APPROVALS_ENDPOINT_URL"],
            )
        enforcement = Enforcement.from_settings(
            app.config["APPROVALS_POLICY"], require_rule=app.config["APPROVALS_REQUIRE_RULE"]
        )
        proxies = parse_trusted_proxies(app.config["APPROVALS_TRUSTED_PROXIES"])
        app.extensions[EXTENSION_KEY] = _AppState(self, store, enforcement, proxies)
        if self.problem_handlers:
            register_problem_handlers(app)

    def identity_loader(self, loader: IdentityLoader) -> IdentityLoader:
        """Decorator: use ``loader`` to find the acting user; returns ``loader`` unchanged."""
        self._identity_loader = loader
        return loader

    def load_identity(self) -> str | None:
        """Return the acting user's name for the current request, or None.

        RuntimeError when no identity loader was given: the API must never guess who acts.
        """
        if self._identity_loader is None:
            raise RuntimeError(
                "approvals: no identity loader; decorate a function with @approvals.identity_loader"
            )
        return self._identity_loader()

    @property
    def store(self) -> Store:
        """The store of the current app (see :func:`get_store`)."""
        return get_store()


def _state(app: Flask | None = None) -> _AppState:
    target = app if app is not None else current_app
    state = target.extensions.get(EXTENSION_KEY)
    if not isinstance(state, _AppState):
        raise RuntimeError("approvals: call Approvals(app) or approvals.init_app(app) first")
    return state


def get_store(app: Flask | None = None) -> Store:
    """Return the store of ``app`` (default: the current app).

    RuntimeError when the extension was not initialised on that app.
    """
    return _state(app).store


def get_enforcement(app: Flask | None = None) -> Enforcement:
    """Return the approval policy ``app`` (default: the current app) enforces, from
    ``APPROVALS_POLICY`` and ``APPROVALS_REQUIRE_RULE``."""
    return _state(app).enforcement


def current_identity() -> str | None:
    """Return the acting user's name in the current request (the app's identity loader)."""
    return _state().extension.load_identity()


def proxy_user() -> str | None:
    """An identity loader for an app behind an authenticating reverse proxy: the user named by
    the ``APPROVALS_IDENTITY_HEADER`` header (default ``X-Forwarded-User``), accepted only when
    the connection comes from an address in ``APPROVALS_TRUSTED_PROXIES``; otherwise None (401).

    ``request.remote_addr`` must be the proxy's own address: do not rewrite it from
    ``X-Forwarded-For`` (werkzeug's ProxyFix) unless that header, too, is set only by proxies
    you trust. ``Approvals(app, identity_loader=proxy_user)``.
    """
    state = _state()
    value = request.headers.get(current_app.config["APPROVALS_IDENTITY_HEADER"])
    return proxy_identity(value, request.remote_addr, state.trusted_proxies)


# -- problem responses -----------------------------------------------------------------------


def problem_response(problem: Problem) -> Response:
    """Return ``problem`` as an ``application/problem+json`` response with its headers."""
    response = current_app.response_class(
        json.dumps(problem.to_json()), status=problem.status, mimetype=PROBLEM_CONTENT_TYPE
    )
    response.headers.update(problem.headers)
    return response


def _handle_library_error(exc: ApprovalsError | HTTPProblem) -> Response:
    return problem_response(problem_for_exception(exc, if_match_sent="If-Match" in request.headers))


def _handle_http_exception(exc: HTTPException) -> Response:
    code = exc.code or 500
    name = exc.name or "Error"
    problem = Problem(
        code,
        name.lower().replace(" ", "-"),
        name,
        exc.description or name,
        headers={k: v for k, v in exc.get_headers() if k.lower() != "content-type"},
    )
    return problem_response(problem)


def register_problem_handlers(app: Flask | Blueprint) -> None:
    """Answer every ApprovalsError and HTTPProblem raised in ``app``'s views with a problem.

    Done by :meth:`Approvals.init_app` unless ``problem_handlers=False``.
    """
    app.register_error_handler(ApprovalsError, _handle_library_error)
    app.register_error_handler(HTTPProblem, _handle_library_error)


# -- the JSON API blueprint ------------------------------------------------------------------


def api_blueprint(name: str = "approvals_api") -> Blueprint:
    """Return a new blueprint with the JSON API (register it with a ``url_prefix``).

    ``POST /requests`` (201, ``Location``, ``ETag``; approved when the policy auto-approves);
    ``GET /requests/<id>`` (``ETag``);
    ``GET /requests?status=&requester=&profile=&limit=&cursor=`` (``{"items", "next_cursor"}``);
    ``POST /requests/<id>/approve|deny|cancel`` with ``If-Match`` (428 without) and an optional
    ``{"comment": ...}``. Every endpoint needs an identity (401) and answers errors, HTTP ones
    included, with problem+json. Rules: :mod:`approvals.contrib.api`.
    """
    blueprint = Blueprint(name, __name__)
    register_problem_handlers(blueprint)
    blueprint.register_error_handler(HTTPException, _handle_http_exception)
    blueprint.add_url_rule("/requests", "create_request", _create_request, methods=["POST"])
    blueprint.add_url_rule("/requests", "list_requests", _list_requests, methods=["GET"])
    blueprint.add_url_rule("/requests/<request_id>", "get_request", _get_request, methods=["GET"])
    blueprint.add_url_rule(
        "/requests/<request_id>/<any(approve, deny, cancel):action>",
        "transition",
        _transition,
        methods=["POST"],
    )
    return blueprint


def _actor() -> str:
    state = _state()
    return api.require_identity(
        state.extension.load_identity(), challenge=state.extension.auth_challenge
    )


def _json_response(body: dict[str, Any], status: int = 200) -> Response:
    return current_app.response_class(
        current_app.json.dumps(body), status=status, mimetype="application/json"
    )


def _request_response(stored: Request, status: int = 200) -> Response:
    response = _json_response(api.request_to_json(stored), status)
    response.headers["ETag"] = entity_tag(stored)
    return response


def _create_request() -> Response:
    actor = _actor()
    body: Any = request.get_json()  # 415 unless JSON, 400 when unparsable
    created = api.create_request(get_store(), body, requester=actor, enforcement=get_enforcement())
    response = _request_response(created, 201)
    response.headers["Location"] = url_for(".get_request", request_id=created.id)
    return response


def _get_request(request_id: str) -> Response:
    _actor()
    return _request_response(api.get_request(get_store(), request_id))


def _list_requests() -> Response:
    _actor()
    return _json_response(api.page_to_json(api.list_requests(get_store(), request.args)))


def _transition(request_id: str, action: str) -> Response:
    actor = _actor()
    body: Any = request.get_json() if request.get_data(cache=True) else None
    changed = api.transition(
        get_store(),
        request_id,
        action,
        actor=actor,
        if_match=request.headers.get("If-Match"),
        body=body,
        enforcement=get_enforcement(),
    )
    return _request_response(changed)
