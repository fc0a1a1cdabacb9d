"""Django settings for the Django integration tests only (pytest-django).

Configured here, when pytest collects this directory, rather than through
DJANGO_SETTINGS_MODULE: the rest of the suite neither needs nor sees Django settings. Each test
gets its store through settings.APPROVALS["STORE"] (see the ``approvals_settings`` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import django
import pytest
from django.conf import settings

from approvals import MemoryStore, Store

BASE_APPROVALS = {
    "TABLE": "sentinel-requests",
    "IDENTITY": "tests.contrib.djangotests.urls.user_from_header",
}

if not settings.configured:
    settings.configure(
        SECRET_KEY="approvals-tests-only",
        ALLOWED_HOSTS=["testserver"],
        INSTALLED_APPS=["approvals.contrib.django"],
        ROOT_URLCONF="tests.contrib.djangotests.urls",
        MIDDLEWARE=[],
        DATABASES={},
        USE_TZ=True,
        APPROVALS={**BASE_APPROVALS, "STORE": MemoryStore()},
    )
    django.setup()


UseStore = Callable[..., None]


@pytest.fixture
def use_store(settings: Any) -> UseStore:
    """Make ``store`` the project's store for this test (extra APPROVALS keys may be given)."""

    def use(store: Store | None, **keys: Any) -> None:
        settings.APPROVALS = {**BASE_APPROVALS, **({"STORE": store} if store else {}), **keys}

    return use
