"""Django integration: a reusable app with the store, checks, error mapping and a JSON API.

Usage, in ``settings.py``::

    INSTALLED_APPS = [..., "approvals.contrib.django"]
    APPROVALS = {"TABLE": "sentinel-requests", "REGION": "eu-west-1"}
    MIDDLEWARE = [..., "approvals.contrib.django.problems.ApprovalsErrorMiddleware"]  # optional

and in ``urls.py``: ``path("api/", include("approvals.contrib.django.urls"))``. Views reach the
store with :func:`get_store`. Management commands: ``approvals_create_table``,
``approvals_export``, ``approvals_import``, ``approvals_sweep_expired``. Checks:
``manage.py check`` validates the settings and loads the approval policy,
``manage.py check --database default`` also verifies that the table exists with the expected
indexes. See :mod:`.conf` for every key. Behind an authenticating proxy, set
``APPROVALS["IDENTITY"] = "approvals.contrib.django.conf.proxy_user"`` and
``APPROVALS["TRUSTED_PROXIES"]``. JavaScript clients get the CSRF token from ``GET csrf``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured

from approvals.store import Store

if TYPE_CHECKING:
    from ..enforcement import Enforcement
    from .apps import ApprovalsConfig

__all__ = ["get_enforcement", "get_store"]


def get_store() -> Store:
    """Return the project's store (one per process, built from ``settings.APPROVALS``).

    ImproperlyConfigured when the app is not installed or the settings are invalid.
    """
    return _app_config().get_store()


def get_enforcement() -> Enforcement:
    """Return the approval policy the project enforces (``APPROVALS["POLICY"]``,
    ``APPROVALS["REQUIRE_RULE"]``), loaded once per process.

    ImproperlyConfigured when the app is not installed, the settings are invalid or the policy
    file cannot be loaded.
    """
    return _app_config().get_enforcement()


def _app_config() -> ApprovalsConfig:
    from .apps import ApprovalsConfig

    try:
        config = django_apps.get_app_config("approvals")
    except LookupError:
        raise ImproperlyConfigured(
            'add "approvals.contrib.django" to INSTALLED_APPS to use get_store() and '
            "get_enforcement()"
        ) from None
    if not isinstance(config, ApprovalsConfig):
        raise ImproperlyConfigured(
            'the app labelled "approvals" is not approvals.contrib.django; relabel your own app'
        )
    return config
