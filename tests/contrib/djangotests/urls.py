"""The URLconf of the Django integration tests: the JSON API under /api/ and views that raise."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from approvals.contrib.django.problems import handle_approvals_errors

RAISE: list[Exception] = []
"""What the /boom views raise; a test puts one error here."""


def user_from_header(request: HttpRequest) -> str | None:
    """The tests' identity loader: the X-User header."""
    return request.headers.get("X-User")


def _boom(request: HttpRequest) -> HttpResponse:
    raise RAISE[0]


@handle_approvals_errors
def decorated_boom(request: HttpRequest) -> HttpResponse:
    return _boom(request)


@handle_approvals_errors
async def async_decorated_boom(request: HttpRequest) -> HttpResponse:
    return _boom(request)


urlpatterns = [
    path("api/", include("approvals.contrib.django.urls")),
    path("boom/decorated", decorated_boom),
    path("boom/async", async_decorated_boom),
    path("boom/plain", _boom),
]
