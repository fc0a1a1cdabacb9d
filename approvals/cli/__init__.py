"""The ``approvals`` command line: everyday work and data migrations on the requests table.

Commands, settings and exit codes: ``approvals --help`` and the README. Runs on the DynamoDB table
when AWS is configured, else on the local SQLite store (:mod:`approvals.cli.target`). Requires
the ``cli`` extra: ``pip install 'sentinel-approvals[cli]'``.
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
