"""The approver page: the requests you may decide, your own requests, a submit form.

The page's data and its form outcomes come from approvals.contrib.approver, under the project's
approval policy (settings.APPROVALS["POLICY"]): every decision is sent with the ETag the page
showed, so a stale page gets a clear message instead of overwriting someone else's decision.
Django's CSRF middleware protects the forms ({% csrf_token %}).
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from approvals import ValidationError
from approvals.contrib import approver
from approvals.contrib.django import get_enforcement, get_store
from approvals.contrib.django.conf import proxy_user

_LEVELS = {"success": messages.SUCCESS, "conflict": messages.WARNING, "error": messages.ERROR}


def signed_in_user(request: HttpRequest) -> str | None:
    """settings.APPROVALS["IDENTITY"], from a trusted source only: the authenticating proxy's
    header when TRUSTED_PROXIES is configured (and the request comes from there), otherwise this
    browser's session (the demo sign-in, a stand-in for real authentication)."""
    if settings.APPROVALS.get("TRUSTED_PROXIES"):
        return proxy_user(request)
    user = request.session.get("user")
    return user if isinstance(user, str) else None


def index(request: HttpRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    if user is None:
        return redirect("signin")
    cursor = request.GET.get("cursor")
    enforcement = get_enforcement()
    try:
        page = approver.approver_page(get_store(), user, enforcement, cursor=cursor)
    except ValidationError as exc:
        messages.error(request, f"That page link is no longer valid ({exc}); first page shown.")
        return redirect("index")
    context = {
        "user": user,
        "page": page,
        "cursor": cursor,
        "policy": enforcement.policy,
        "rule_names": ", ".join(r.name for r in enforcement.policy.rules)
        if enforcement.policy
        else "",
        "durations": approver.DURATIONS,
        "justification_hint": approver.JUSTIFICATION_HINT,
    }
    return render(request, "desk/index.html", context)


def signin(request: HttpRequest) -> HttpResponseBase:
    if request.method == "POST":
        name = request.POST.get("name", "").strip()
        if name:
            request.session.flush()
            request.session["user"] = name
            return redirect("index")
        messages.error(request, "Type a name to sign in.")
    return render(request, "desk/signin.html")


@require_POST
def signout(request: HttpRequest) -> HttpResponse:
    request.session.flush()
    return redirect("signin")


@require_POST
def submit(request: HttpRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    if user is None:
        return redirect("signin")
    body = approver.form_body(request.POST)
    outcome = approver.submit(get_store(), user, get_enforcement(), body)
    messages.add_message(request, _LEVELS[outcome.category], outcome.message)
    return redirect("index")


@require_POST
def act(request: HttpRequest, request_id: str, action: str) -> HttpResponseBase:
    user = signed_in_user(request)
    if user is None:
        return redirect("signin")
    outcome = approver.decide(
        get_store(),
        user,
        get_enforcement(),
        request_id,
        action,
        etag=request.POST.get("etag", ""),
        comment=request.POST.get("comment", ""),
    )
    messages.add_message(request, _LEVELS[outcome.category], outcome.message)
    cursor = request.POST.get("cursor")
    return redirect(reverse("index") + (f"?{urlencode({'cursor': cursor})}" if cursor else ""))
