"""URLs of the JSON API: ``path("api/", include("approvals.contrib.django.urls"))``.

The application namespace is ``approvals`` (``reverse("approvals:request", args=[id])``).
"""

from __future__ import annotations

from django.urls import path, re_path

from . import views

app_name = "approvals"

urlpatterns = [
    path("csrf", views.csrf_token, name="csrf"),
    path("requests", views.requests_collection, name="requests"),
    path("requests/<str:request_id>", views.request_detail, name="request"),
    re_path(
        r"^requests/(?P<request_id>[^/]+)/(?P<action>approve|deny|cancel)$",
        views.transition,
        name="transition",
    ),
]
