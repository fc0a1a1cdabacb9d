"""Django integration: a reusable app with the store, checks, error mapping and a JSON API.

Usage, in ``settings.py``::

    INSTALLED_APPS = [..., "approvals.contrib.django"]
    APPROVALS = {"TABLE": "sentinel-requests", "REGION": "eu-west-1"}
    MIDDLEWARE = [..., "approvals.contrib.django.problems.ApprovalsErrorMiddleware"]  # optional

and in ``urls.py``: ``path("api/", include("approvals.contrib.django.urls"))``. Views reach the
store with :func:`get_store`. Management commands: ``approvals_create_table``,
``approvals_export``, ``approvals_import``, ``approvals_sweep_expired``. Checks:
``manage.py check`` validates the settings, ``manage.py check --database default`` also
verifies that the table exists with the expected indexes. See :mod:`.conf` for every key.
"""

from __future__ import annotations

from django.apps import apps as django_apps
from django.core.exceptions import ImproperlyConfigured

from approvals.store import Store

__all__ = ["get_store"]


def get_store() -> Store:
    """Return the project's store (one per process, built from ``settings.APPROVALS``).

    ImproperlyConfigured when the app is not installed or the settings are invalid.
    """
    from .apps import ApprovalsConfig

    try:
        config = django_apps.get_app_config("approvals")
    except LookupError:
        raise ImproperlyConfigured(
            'add "approvals.contrib.django" to INSTALLED_APPS to use get_store()'
        ) from None
    if not isinstance(config, ApprovalsConfig):
        raise ImproperlyConfigured(
            'the app labelled "approvals" is not approvals.contrib.django; relabel your own app'
        )
    return config.get_store()
