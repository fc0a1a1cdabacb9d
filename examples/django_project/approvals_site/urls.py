"""The example's URLs: the approver page, and the JSON API under /api/."""

from desk import views
from django.urls import include, path

urlpatterns = [
    path("", views.index, name="index"),
    path("signin", views.signin, name="signin"),
    path("signout", views.signout, name="signout"),
    path("submit", views.submit, name="submit"),
    path("requests/<str:request_id>/<str:action>", views.act, name="act"),
    path("api/", include("approvals.contrib.django.urls")),
]
