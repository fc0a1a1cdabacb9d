"""``settings.APPROVALS``: reading and checking the Django integration's configuration.

::

    APPROVALS = {
        "TABLE": "sentinel-requests",       # required
        "REGION": "eu-west-1",              # optional: the SDK's region when absent
        "ENDPOINT_URL": None,               # optional: DynamoDB Local, moto, the embedded server
        "STORE": None,                      # optional: a Store, or the dotted path of a
                                            #   zero-argument factory returning one
        "IDENTITY": None,                   # optional: dotted path of (request) -> str | None;
                                            #   default: request.user's username when signed in
        "AUTH_CHALLENGE": 'Session realm="approvals"',  # WWW-Authenticate of a 401
    }
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest
from django.utils.module_loading import import_string

from approvals.store import Store

__all__ = [
    "KNOWN_KEYS",
    "SETTING",
    "ApprovalsSettings",
    "IdentityLoader",
    "configuration_messages",
    "load_settings",
]

SETTING: Final = "APPROVALS"
"""The name of the Django setting."""
KNOWN_KEYS: Final = ("TABLE", "REGION", "ENDPOINT_URL", "STORE", "IDENTITY", "AUTH_CHALLENGE")
"""The keys ``settings.APPROVALS`` may have."""
_DEFAULT_CHALLENGE = 'Session realm="approvals"'

IdentityLoader = Callable[[HttpRequest], "str | None"]
"""Returns the name of the user acting in a request, or None when nobody is signed in."""


@dataclass(frozen=True)
class ApprovalsSettings:
    """The validated ``settings.APPROVALS``."""

    table: str
    region: str | None
    endpoint_url: str | None
    store: Store | str | None
    identity: IdentityLoader
    auth_challenge: str


def configuration_messages() -> list[CheckMessage]:
    """Return the system-check messages for ``settings.APPROVALS`` (empty when it is valid).

    Errors: approvals.E001 (missing), E002 (not a dict), E003 (TABLE missing or not a
    non-empty string), E004 (a value of the wrong type). Warning: approvals.W001 (unknown key).
    """
    raw = getattr(settings, SETTING, None)
    if raw is None:
        return [
            Error(
                "settings.APPROVALS is missing.",
                hint='Add APPROVALS = {"TABLE": "sentinel-requests", "REGION": "..."}.',
                id="approvals.E001",
            )
        ]
    if not isinstance(raw, Mapping):
        return [Error("settings.APPROVALS must be a dict.", id="approvals.E002")]
    messages: list[CheckMessage] = []
    table = raw.get("TABLE")
    if not isinstance(table, str) or not table:
        messages.append(
            Error(
                'settings.APPROVALS["TABLE"] must name the DynamoDB table.',
                hint='For example "sentinel-requests", the Go service\'s table.',
                id="approvals.E003",
            )
        )
    for key in ("REGION", "ENDPOINT_URL", "AUTH_CHALLENGE"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            messages.append(
                Error(f'settings.APPROVALS["{key}"] must be a string.', id="approvals.E004")
            )
    identity = raw.get("IDENTITY")
    if identity is not None and not isinstance(identity, str) and not callable(identity):
        messages.append(
            Error(
                'settings.APPROVALS["IDENTITY"] must be a callable or its dotted path.',
                id="approvals.E004",
            )
        )
    store = raw.get("STORE")
    if store is not None and not isinstance(store, (str, Store)):
        messages.append(
            Error(
                'settings.APPROVALS["STORE"] must be a Store or a dotted path to a factory.',
                id="approvals.E004",
            )
        )
    messages.extend(
        Warning(
            f'settings.APPROVALS has an unknown key "{key}".',
            hint=f"Known keys: {', '.join(KNOWN_KEYS)}.",
            id="approvals.W001",
        )
        for key in raw
        if key not in KNOWN_KEYS
    )
    return messages


def load_settings() -> ApprovalsSettings:
    """Return the validated ``settings.APPROVALS``.

    ImproperlyConfigured with the first error :func:`configuration_messages` reports, or when
    ``IDENTITY`` cannot be imported.
    """
    errors = [m for m in configuration_messages() if m.is_serious()]
    if errors:
        raise ImproperlyConfigured(f"{errors[0].msg} ({errors[0].id})")
    raw: Mapping[str, Any] = getattr(settings, SETTING)
    identity = raw.get("IDENTITY")
    if isinstance(identity, str):
        try:
            identity = import_string(identity)
        except ImportError as exc:
            raise ImproperlyConfigured(f'settings.APPROVALS["IDENTITY"]: {exc}') from exc
    return ApprovalsSettings(
        table=raw["TABLE"],
        region=raw.get("REGION"),
        endpoint_url=raw.get("ENDPOINT_URL"),
        store=raw.get("STORE"),
        identity=identity if identity is not None else signed_in_username,
        auth_challenge=raw.get("AUTH_CHALLENGE") or _DEFAULT_CHALLENGE,
    )


def signed_in_username(request: HttpRequest) -> str | None:
    """The default identity: ``request.user``'s username when authenticated (django.contrib.auth),
    otherwise None."""
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    username = user.get_username()
    return username if isinstance(username, str) and username else None
