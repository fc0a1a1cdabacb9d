#!/usr/bin/env python
"""The Django example's manage.py: an approver page on approvals' Django app.

Run the local demo (no AWS needed: the requests live in the local SQLite store,
~/.local/share/approvals/requests.sqlite3, or under $APPROVALS_DATA_DIR)::

    DJANGO_DEBUG=1 python examples/django_project/manage.py runserver   # http://127.0.0.1:8000

DJANGO_DEBUG=1 allows the committed development SECRET_KEY; otherwise set DJANGO_SECRET_KEY.
Against a DynamoDB table set APPROVALS_ENDPOINT_URL, or APPROVALS_USE_AWS=1 with AWS credentials
and APPROVALS_REGION (APPROVALS_TABLE names the table; default approvals-example), and create it
once with `manage.py approvals_create_table`. APPROVALS_POLICY names an approval policy file.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The project's own modules, and the library of this checkout when it is not installed.
sys.path[:0] = [str(HERE), str(HERE.parents[1])]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "approvals_site.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured
    from django.core.management import execute_from_command_line

    try:
        settings.APPROVALS  # noqa: B018  (loads the settings: they refuse an unsafe start)
    except ImproperlyConfigured as exc:
        sys.exit(f"manage.py: {exc}")
    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
