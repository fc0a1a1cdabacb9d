"""Settings of the Django example: no SQL database, sessions in signed cookies, DynamoDB store."""

from __future__ import annotations

import os

# A development key: set DJANGO_SECRET_KEY anywhere but your own machine.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "django-insecure-approvals-example-only")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.messages",
    "approvals.contrib.django",
    "desk",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Library errors from any view (the JSON API included) become problem+json responses.
    "approvals.contrib.django.problems.ApprovalsErrorMiddleware",
]

ROOT_URLCONF = "approvals_site.urls"
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

# Requests live in DynamoDB; Django itself needs no SQL database here.
DATABASES: dict[str, dict[str, str]] = {}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
MESSAGE_STORAGE = "django.contrib.messages.storage.cookie.CookieStorage"
USE_TZ = True
TIME_ZONE = "UTC"

APPROVALS = {
    "TABLE": os.environ.get("APPROVALS_TABLE", "approvals-example"),
    "REGION": os.environ.get("APPROVALS_REGION"),
    "ENDPOINT_URL": os.environ.get("APPROVALS_ENDPOINT_URL"),
    # The demo's sign-in keeps a name in the session; with django.contrib.auth leave this out
    # and the signed-in user's username is used.
    "IDENTITY": "desk.views.signed_in_user",
}
