#!/usr/bin/env python
"""The Django example's manage.py: an approver page on approvals' Django app.

Run it (no AWS needed: without APPROVALS_ENDPOINT_URL it starts the embedded local DynamoDB,
keeping its data in ~/.local/share/approvals or $APPROVALS_DATA_DIR, and creates the table)::

    python examples/django_project/manage.py runserver     # then open http://127.0.0.1:8000

Against a real table set APPROVALS_ENDPOINT_URL, or APPROVALS_USE_AWS=1 with AWS credentials and
APPROVALS_REGION (APPROVALS_TABLE names the table; default approvals-example).
"""

from __future__ import annotations

import atexit
import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
# The project's own modules, and the library of this checkout when it is not installed.
sys.path[:0] = [str(HERE), str(HERE.parents[1])]


def start_embedded_dynamodb(argv: list[str]) -> None:
    """Start the embedded DynamoDB for this process unless an endpoint (or AWS) is configured,
    point settings.APPROVALS at it and create the table."""
    if os.environ.get("APPROVALS_ENDPOINT_URL") or os.environ.get("APPROVALS_USE_AWS") == "1":
        return
    if "runserver" in argv and "--noreload" not in argv and os.environ.get("RUN_MAIN") != "true":
        return  # the autoreloader's parent only watches files; the child it starts serves

    from approvals.embedded import EmbeddedDynamoDB, ensure_dummy_credentials

    ensure_dummy_credentials()
    dynamodb = EmbeddedDynamoDB()
    os.environ["APPROVALS_ENDPOINT_URL"] = dynamodb.start()
    os.environ["APPROVALS_REGION"] = dynamodb.region
    atexit.register(dynamodb.stop)
    print(f"approvals: using {dynamodb.describe()}", file=sys.stderr)

    import django

    django.setup()
    from approvals.contrib.django import get_store
    from approvals.store import DynamoDBStore

    store = get_store()
    if isinstance(store, DynamoDBStore):
        store.create_table()  # idempotent


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "approvals_site.settings")
    start_embedded_dynamodb(sys.argv)
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
