"""Library errors as RFC 9457 problem responses in Django: the view decorator
:func:`handle_approvals_errors`, or :class:`ApprovalsErrorMiddleware` for every view."""

from __future__ import annotations

import functools
import inspect
import json
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from django.http import HttpRequest, HttpResponse

from approvals.errors import ApprovalsError

from ..http import PROBLEM_CONTENT_TYPE, HTTPProblem, Problem, problem_for_exception

__all__ = [
    "ApprovalsErrorMiddleware",
    "handle_approvals_errors",
    "problem_response",
    "response_for_exception",
]

View = TypeVar("View", bound=Callable[..., Any])


def problem_response(problem: Problem) -> HttpResponse:
    """Return ``problem`` as an ``application/problem+json`` response with its headers."""
    response = HttpResponse(
        json.dumps(problem.to_json()), status=problem.status, content_type=PROBLEM_CONTENT_TYPE
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


def response_for_exception(request: HttpRequest, exc: ApprovalsError | HTTPProblem) -> HttpResponse:
    """Return the problem response for ``exc`` (412 rather than 409 when ``If-Match`` was sent)."""
    return problem_response(problem_for_exception(exc, if_match_sent="If-Match" in request.headers))


def handle_approvals_errors(view: View) -> View:
    """Decorator: answer ApprovalsError and HTTPProblem raised by ``view`` with a problem.

    Works on sync and async function views; other exceptions propagate.
    """
    if inspect.iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            try:
                return await cast(Callable[..., Awaitable[Any]], view)(request, *args, **kwargs)
            except (ApprovalsError, HTTPProblem) as exc:
                return response_for_exception(request, exc)

        return cast(View, async_wrapper)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except (ApprovalsError, HTTPProblem) as exc:
            return response_for_exception(request, exc)

    return cast(View, wrapper)


class ApprovalsErrorMiddleware:
    """Middleware: answer ApprovalsError and HTTPProblem raised by any view with a problem."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Return the problem response for a library error; None lets Django handle the rest."""
        if isinstance(exception, (ApprovalsError, HTTPProblem)):
            return response_for_exception(request, exception)
        return None
