"""The approver page: pending requests with approve/deny, your requests, a submit form.

Every decision goes through approvals.contrib.api with the ETag the page showed, so a stale page
gets a clear message instead of overwriting someone else's decision. Django's CSRF middleware
protects the forms ({% csrf_token %}).
"""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from approvals import (
    ApprovalsError,
    ConcurrentModification,
    InvalidStateTransition,
    RequestNotFound,
    RequestStatus,
    Store,
    ValidationError,
)
from approvals.contrib import api
from approvals.contrib.django import get_store
from approvals.contrib.http import HTTPProblem, entity_tag

DURATIONS = {"30 minutes": 1800, "1 hour": 3600, "2 hours": 7200, "8 hours": 28800}


def signed_in_user(request: HttpRequest) -> str | None:
    """settings.APPROVALS["IDENTITY"]: whoever signed in on this browser (a demo stand-in)."""
    user = request.session.get("user")
    return user if isinstance(user, str) else None


def index(request: HttpRequest) -> HttpResponseBase:
    user = signed_in_user(request)
    if user is None:
        return redirect("signin")
    store = get_store()
    pending = api.list_requests(store, {"status": "pending", "limit": "50"}).items
    mine = api.list_requests(store, {"requester": user, "limit": "20"}).items
    context = {
        "user": user,
        "pending": [(r, entity_tag(r), int(r.duration.total_seconds() // 60)) for r in pending],
        "mine": mine,
        "durations": DURATIONS,
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
    body = {
        "profile": request.POST.get("profile", "").strip(),
        "justification": request.POST.get("justification", "").strip(),
        "duration_seconds": DURATIONS.get(request.POST.get("duration", ""), 0),
    }
    try:
        created = api.create_request(get_store(), body, requester=user)
    except ValidationError as exc:
        messages.error(request, f"Not submitted: {exc}")
    else:
        messages.success(request, f"Request {created.id} for {created.profile} submitted.")
    return redirect("index")


@require_POST
def act(request: HttpRequest, request_id: str, action: str) -> HttpResponseBase:
    user = signed_in_user(request)
    if user is None:
        return redirect("signin")
    body = None if action == "cancel" else {"comment": request.POST.get("comment", "")}
    store = get_store()
    try:
        changed = api.transition(
            store,
            request_id,
            action,
            actor=user,
            if_match=request.POST.get("etag", ""),
            body=body,
        )
    except ConcurrentModification:
        messages.warning(request, _someone_else_acted(store, request_id, user))
    except (InvalidStateTransition, RequestNotFound, ValidationError, HTTPProblem) as exc:
        messages.error(request, f"Nothing changed: {exc}")
    except ApprovalsError:
        messages.error(request, "The approval store is unavailable; nothing changed. Try again.")
    else:
        messages.success(request, f"You {changed.status.value} request {changed.id}.")
    return redirect("index")


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
