"""Django integration: a reusable app (``"approvals.contrib.django"`` in ``INSTALLED_APPS``) with
the store, system checks, error mapping (:mod:`.problems`), a JSON API (:mod:`.urls`) and
management commands; settings in ``settings.APPROVALS`` (see :mod:`.conf`).
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
