"""The ``approvals`` command line: everyday work and data migrations on the requests table.

Commands: ``create-table``, ``check``, ``submit``, ``get``, ``list``, ``approve``, ``deny``,
``cancel``, ``export``, ``import``, ``sweep-expired``, ``normalize``, ``demo``
(``approvals COMMAND --help`` for each).

Settings: ``--table`` / ``APPROVALS_TABLE`` (default ``sentinel-requests``), ``--region`` /
``AWS_REGION``, ``--endpoint-url`` / ``APPROVALS_ENDPOINT_URL``. With neither an endpoint nor a
region, commands run on an embedded DynamoDB (moto's server on a loopback port) whose data is
journaled in ``APPROVALS_DATA_DIR`` (default: the user's data directory), with the table
created; this is announced on stderr every run.

Output: rich tables and progress bars on a terminal, plain text when piped (``field: value``
lines; tab-separated columns with a header for lists), JSON with ``--json``.

Exit codes: 0 success; 1 the operation was refused (not found, conflict, invalid transition,
invalid input, table drift) with a one-line message on stderr; 2 usage error; 3 backend
unavailable (unreachable, throttled, access denied, missing table, data directory in use).
No traceback is printed for any of these.

Requires the ``cli`` extra: ``pip install 'approvals[cli]'``.
"""

from approvals.cli import bulk, demo, requests, table
from approvals.cli.app import (
    EXIT_BACKEND,
    EXIT_DOMAIN,
    EXIT_OK,
    EXIT_USAGE,
    CommandError,
    Session,
    cli,
    main,
)

__all__ = [
    "EXIT_BACKEND",
    "EXIT_DOMAIN",
    "EXIT_OK",
    "EXIT_USAGE",
    "CommandError",
    "Session",
    "bulk",
    "cli",
    "demo",
    "main",
    "requests",
    "table",
]
