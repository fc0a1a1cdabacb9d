"""The ``approvals`` command line: everyday work and data migrations on the requests table.

Commands: ``create-table``, ``check``, ``submit``, ``get``, ``list``, ``approve``, ``deny``,
``cancel``, ``export``, ``import``, ``sweep-expired``, ``normalize``, ``demo``
(``approvals COMMAND --help`` for each).

Settings: ``--table`` / ``APPROVALS_TABLE`` (default ``sentinel-requests``), ``--region`` /
``AWS_REGION``, ``--profile`` / ``AWS_PROFILE``, ``--endpoint-url`` / ``APPROVALS_ENDPOINT_URL``,
``--local``, ``--policy`` / ``APPROVALS_POLICY``. Commands run on the DynamoDB table when botocore
resolves a region or an endpoint is given, else on the local SQLite store (see
:mod:`approvals.cli.target`); one line on stderr names the store every run.

Output: rich tables and progress bars on a terminal, plain text when piped (``field: value``
lines; tab-separated columns with a header for lists), JSON with ``--json``.

Exit codes: 0 success; 1 the operation was refused (not found, conflict, invalid transition,
not allowed, table drift) with a one-line message on stderr; 2 usage error (a refused value,
naming the option; unreadable AWS configuration); 3 backend unavailable (unreachable, throttled,
access denied, missing table, no AWS identity); 130 interrupted; 141 stdout closed by its
reader. No traceback is printed for any of these.

Requires the ``cli`` extra: ``pip install 'sentinel-approvals[cli]'``.
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
