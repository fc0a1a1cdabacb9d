"""The Django app: add ``"approvals.contrib.django"`` to ``INSTALLED_APPS``."""

from __future__ import annotations

import threading
from typing import Any

from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from approvals.errors import ValidationError
from approvals.store import DynamoDBStore, Store

from ..enforcement import Enforcement
from .conf import SETTING, ApprovalsSettings, load_settings

__all__ = ["ApprovalsConfig"]


class ApprovalsConfig(AppConfig):
    """Holds the project's validated settings, its one store and its approval policy; registers
    the system checks.

    Each is built on first use from ``settings.APPROVALS`` and rebuilt after the setting changes
    (``override_settings`` in tests).
    """

    name = "approvals.contrib.django"
    label = "approvals"
    verbose_name = "Approvals"

    def __init__(self, app_name: str, app_module: Any) -> None:
        super().__init__(app_name, app_module)
        self._settings: ApprovalsSettings | None = None
        self._store: Store | None = None
        self._enforcement: Enforcement | None = None
        self._store_lock = threading.RLock()

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)

        setting_changed.connect(self._setting_changed, dispatch_uid="approvals.setting_changed")

    def settings(self) -> ApprovalsSettings:
        """Return the validated ``settings.APPROVALS``, read once; ImproperlyConfigured when
        they are invalid."""
        with self._store_lock:
            if self._settings is None:
                self._settings = load_settings()
            return self._settings

    def get_store(self) -> Store:
        """Return the project's store, building it on first use.

        ImproperlyConfigured for invalid settings or a STORE factory that does not return a
        Store; ValidationError for an invalid table name.
        """
        with self._store_lock:
            if self._store is None:
                self._store = _build_store(self.settings())
            return self._store

    def get_enforcement(self) -> Enforcement:
        """Return the project's approval policy (``POLICY``, ``REQUIRE_RULE``), loading the file
        on first use.

        ImproperlyConfigured for invalid settings or a policy file that cannot be loaded (the
        message names the rule and key).
        """
        with self._store_lock:
            if self._enforcement is None:
                config = self.settings()
                try:
                    self._enforcement = Enforcement.from_settings(
                        config.policy,
                        require_rule=config.require_rule,
                        setting='settings.APPROVALS["POLICY"]',
                    )
                except ValidationError as exc:
                    raise ImproperlyConfigured(str(exc)) from exc
            return self._enforcement

    def _setting_changed(self, *, setting: str, **kwargs: Any) -> None:
        if setting == SETTING:
            with self._store_lock:
                self._settings = None
                self._store = None
                self._enforcement = None


def _build_store(config: ApprovalsSettings) -> Store:
    if isinstance(config.store, Store):
        return config.store
    if isinstance(config.store, str):
        factory = import_string(config.store)
        store = factory()
        if not isinstance(store, Store):
            raise ImproperlyConfigured(
                f'settings.APPROVALS["STORE"]: {config.store}() returned {type(store).__name__}, '
                "not a Store"
            )
        return store
    return DynamoDBStore(config.table, region=config.region, host=config.endpoint_url)
