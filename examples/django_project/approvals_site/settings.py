"""Settings of the Django example: the local SQLite store (or DynamoDB), sessions on the server.

Secure by default: DEBUG is off unless DJANGO_DEBUG=1, and the example refuses to start with
its committed development SECRET_KEY unless DEBUG is explicitly on. Set DJANGO_SECRET_KEY
anywhere but your own machine::

    DJANGO_SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(50))')"
"""

from __future__ import annotations

import os

from django.core.exceptions import ImproperlyConfigured

DEVELOPMENT_SECRET_KEY = "django-insecure-approvals-example-only"
DEBUG = os.environ.get("DJANGO_DEBUG", "") == "1"
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or DEVELOPMENT_SECRET_KEY
if SECRET_KEY == DEVELOPMENT_SECRET_KEY and not DEBUG:
    raise ImproperlyConfigured(
        "refusing to start with the example's published SECRET_KEY: set DJANGO_SECRET_KEY, "
        "or DJANGO_DEBUG=1 for a local demo"
    )
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

# Requests live in the approvals store; Django itself needs no SQL database here. Sessions are
# kept on the server (the cookie holds only a random key): in this process's memory for the
# demo; use a shared cache (Redis, Memcached) or the database backend when you deploy.
DATABASES: dict[str, dict[str, str]] = {}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
SESSION_ENGINE = "django.contrib.sessions.backends.cache"
MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"
USE_TZ = True
TIME_ZONE = "UTC"

APPROVALS = {
    # Without APPROVALS_ENDPOINT_URL or APPROVALS_USE_AWS=1: the local SQLite store.
    "TABLE": os.environ.get("APPROVALS_TABLE", "approvals-example"),
    "REGION": os.environ.get("APPROVALS_REGION"),
    "ENDPOINT_URL": os.environ.get("APPROVALS_ENDPOINT_URL"),
    "STORE": (
        None
        if os.environ.get("APPROVALS_ENDPOINT_URL") or os.environ.get("APPROVALS_USE_AWS") == "1"
        else "desk.store.local_store"
    ),
    # An approval policy file in the Go service's format (try examples/policy.yaml).
    "POLICY": os.environ.get("APPROVALS_POLICY") or None,
    # Behind an authenticating reverse proxy: its addresses, comma-separated; the user is then
    # read from its X-Forwarded-User header, and only on connections from there.
    "TRUSTED_PROXIES": [
        part.strip()
        for part in os.environ.get("APPROVALS_TRUSTED_PROXIES", "").split(",")
        if part.strip()
    ],
    # The demo's sign-in keeps a name in the session; with django.contrib.auth leave this out
    # and the signed-in user's username is used.
    "IDENTITY": "desk.views.signed_in_user",
}
