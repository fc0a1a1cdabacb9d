"""The JSON API as Django views (include :mod:`approvals.contrib.django.urls`); the rules are
:mod:`approvals.contrib.api`'s. CSRF protection stays on: a JavaScript client reads the token from
``GET csrf`` and sends it as the ``X-CSRFToken`` header of every POST.
"""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.urls import reverse
from django.views.decorators.csrf import ensure_csrf_cookie

from approvals.request import Request

from .. import api
from ..http import HTTPProblem, entity_tag
from . import _app_config, get_enforcement, get_store
from .problems import handle_approvals_errors

__all__ = ["CSRF_HEADER", "csrf_token", "request_detail", "requests_collection", "transition"]

CSRF_HEADER = "X-CSRFToken"
"""The header a client sends the CSRF token in (Django's default ``CSRF_HEADER_NAME``)."""


@ensure_csrf_cookie
@handle_approvals_errors
def csrf_token(request: HttpRequest) -> HttpResponse:
    """``GET /csrf``: ``{"csrf_token": ..., "header": "X-CSRFToken"}``, the same token in the
    ``X-CSRFToken`` response header, and the ``csrftoken`` cookie set. Needs no identity: the
    token only proves that a POST comes from a page of this site."""
    if request.method != "GET":
        raise _method_not_allowed("GET")
    token = get_token(request)
    response = JsonResponse({"csrf_token": token, "header": CSRF_HEADER})
    response[CSRF_HEADER] = token
    response["Cache-Control"] = "no-store"
    return response


@handle_approvals_errors
def requests_collection(request: HttpRequest) -> HttpResponse:
    """``GET /requests`` lists one page (``{"items", "next_cursor"}``); ``POST /requests``
    creates a request of the signed-in user (201 with ``Location`` and ``ETag``)."""
    if request.method == "GET":
        _actor(request)
        return JsonResponse(api.page_to_json(api.list_requests(get_store(), request.GET)))
    if request.method == "POST":
        actor = _actor(request)
        created = api.create_request(
            get_store(), _json_body(request), requester=actor, enforcement=get_enforcement()
        )
        response = _request_response(created, 201)
        namespace = request.resolver_match.namespace if request.resolver_match else None
        response["Location"] = reverse(
            "approvals:request", args=[created.id], current_app=namespace
        )
        return response
    raise _method_not_allowed("GET, POST")


@handle_approvals_errors
def request_detail(request: HttpRequest, request_id: str) -> HttpResponse:
    """``GET /requests/<id>``: the request with its ``ETag``."""
    if request.method != "GET":
        raise _method_not_allowed("GET")
    _actor(request)
    return _request_response(api.get_request(get_store(), request_id))


@handle_approvals_errors
def transition(request: HttpRequest, request_id: str, action: str) -> HttpResponse:
    """``POST /requests/<id>/approve|deny|cancel`` with ``If-Match`` and an optional
    ``{"comment": ...}``: the request as stored after the transition."""
    if request.method != "POST":
        raise _method_not_allowed("POST")
    actor = _actor(request)
    changed = api.transition(
        get_store(),
        request_id,
        action,
        actor=actor,
        if_match=request.headers.get("If-Match"),
        body=_json_body(request) if request.body else None,
        enforcement=get_enforcement(),
    )
    return _request_response(changed)


def _actor(request: HttpRequest) -> str:
    config = _app_config().settings()
    return api.require_identity(config.identity(request), challenge=config.auth_challenge)


def _request_response(stored: Request, status: int = 200) -> HttpResponse:
    response = JsonResponse(api.request_to_json(stored), status=status)
    response["ETag"] = entity_tag(stored)
    return response


def _json_body(request: HttpRequest) -> Any:
    if request.content_type != "application/json":
        raise HTTPProblem(
            415,
            "unsupported-media-type",
            "Unsupported Media Type",
            "send the body as application/json",
        )
    try:
        return json.loads(request.body)
    except ValueError:
        raise HTTPProblem(400, "bad-request", "Bad Request", "the body is not valid JSON") from None


def _method_not_allowed(allowed: str) -> HTTPProblem:
    return HTTPProblem(
        405,
        "method-not-allowed",
        "Method Not Allowed",
        f"use {allowed}",
        headers={"Allow": allowed},
    )
