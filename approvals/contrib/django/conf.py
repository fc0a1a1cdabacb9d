"""``settings.APPROVALS``: reading and checking the Django integration's configuration.

::

    APPROVALS = {
        "TABLE": "sentinel-requests",       # required
        "REGION": "eu-west-1",              # optional: the SDK's region when absent
        "ENDPOINT_URL": None,               # optional: DynamoDB Local, moto_server
        "STORE": None,                      # optional: a Store, or the dotted path of a
                                            #   zero-argument factory returning one
        "IDENTITY": None,                   # optional: dotted path of (request) -> str | None;
                                            #   default: request.user's username when signed in
        "AUTH_CHALLENGE": 'Session realm="approvals"',  # WWW-Authenticate of a 401
        "POLICY": None,                     # optional: a policy file's path or an ApprovalPolicy
        "REQUIRE_RULE": False,              # optional: refuse decisions no policy rule covers
        "TRUSTED_PROXIES": None,            # optional: addresses/networks of the authenticating
                                            #   proxy, for IDENTITY = proxy_user
        "IDENTITY_HEADER": "X-Forwarded-User",  # the header that proxy sets
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

from ..http import (
    DEFAULT_AUTH_CHALLENGE,
    DEFAULT_IDENTITY_HEADER,
    ProxyNetworks,
    parse_trusted_proxies,
    proxy_identity,
)

__all__ = [
    "KNOWN_KEYS",
    "SETTING",
    "ApprovalsSettings",
    "IdentityLoader",
    "configuration_messages",
    "load_settings",
    "proxy_user",
    "signed_in_username",
]

SETTING: Final = "APPROVALS"
"""The name of the Django setting."""
KNOWN_KEYS: Final = (
    "TABLE",
    "REGION",
    "ENDPOINT_URL",
    "STORE",
    "IDENTITY",
    "AUTH_CHALLENGE",
    "POLICY",
    "REQUIRE_RULE",
    "TRUSTED_PROXIES",
    "IDENTITY_HEADER",
)
"""The keys ``settings.APPROVALS`` may have."""

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
    policy: object  # None, a path, or an ApprovalPolicy: loaded by ApprovalsConfig
    require_rule: bool
    identity_header: str
    trusted_proxies: ProxyNetworks


def configuration_messages() -> list[CheckMessage]:
    """Return the system-check messages for ``settings.APPROVALS`` (empty when it is valid).

    Errors: approvals.E001 (missing), E002 (not a dict), E003 (TABLE missing or not a
    non-empty string), E004 (a value of the wrong type). Warning: approvals.W001 (unknown key).
    The policy file is read by its own check (E005, see :mod:`.checks`), not here.
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
    messages = _value_errors(raw)
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


def _value_errors(raw: Mapping[str, Any]) -> list[CheckMessage]:
    # E003 and E004: a value of the wrong type.
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
    for key in ("REGION", "ENDPOINT_URL", "AUTH_CHALLENGE", "IDENTITY_HEADER"):
        value = raw.get(key)
        if value is not None and not isinstance(value, str):
            messages.append(_wrong_type(key, "a string"))
    identity = raw.get("IDENTITY")
    if identity is not None and not isinstance(identity, str) and not callable(identity):
        messages.append(_wrong_type("IDENTITY", "a callable or its dotted path"))
    if not isinstance(raw.get("REQUIRE_RULE", False), bool):
        messages.append(_wrong_type("REQUIRE_RULE", "True or False"))
    try:
        parse_trusted_proxies(raw.get("TRUSTED_PROXIES"), setting="TRUSTED_PROXIES")
    except ValueError as exc:
        messages.append(Error(f"settings.APPROVALS: {exc}.", id="approvals.E004"))
    store = raw.get("STORE")
    if store is not None and not isinstance(store, (str, Store)):
        messages.append(_wrong_type("STORE", "a Store or a dotted path to a factory"))
    return messages


def _wrong_type(key: str, expected: str) -> Error:
    return Error(f'settings.APPROVALS["{key}"] must be {expected}.', id="approvals.E004")


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
        auth_challenge=raw.get("AUTH_CHALLENGE") or DEFAULT_AUTH_CHALLENGE,
        policy=raw.get("POLICY"),
        require_rule=raw.get("REQUIRE_RULE", False),
        identity_header=raw.get("IDENTITY_HEADER") or DEFAULT_IDENTITY_HEADER,
        trusted_proxies=parse_trusted_proxies(raw.get("TRUSTED_PROXIES")),  # checked above
    )


def proxy_user(request: HttpRequest) -> str | None:
    """An IDENTITY for a project behind an authenticating reverse proxy: the user named by
    ``APPROVALS["IDENTITY_HEADER"]`` (default ``X-Forwarded-User``), accepted only when
    ``REMOTE_ADDR`` is in ``APPROVALS["TRUSTED_PROXIES"]``; otherwise None (401).

    ``REMOTE_ADDR`` must be the proxy's own address (the TCP peer), never copied from
    ``X-Forwarded-For``. ImproperlyConfigured for invalid settings (a malformed
    ``TRUSTED_PROXIES`` included).
    """
    from . import _app_config

    config = _app_config().settings()
    value = request.headers.get(config.identity_header)
    return proxy_identity(value, request.META.get("REMOTE_ADDR"), config.trusted_proxies)


def signed_in_username(request: HttpRequest) -> str | None:
    """The default identity: ``request.user``'s username when authenticated (django.contrib.auth),
    otherwise None."""
    user = getattr(request, "user", None)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    username = user.get_username()
    return username if isinstance(username, str) and username else None
