"""The ``approvals`` command group: settings, the store it talks to, and error -> exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import click

from approvals.embedded import EmbeddedDynamoDB, EmbeddedServerError, default_data_dir
from approvals.errors import ApprovalsError, StoreError
from approvals.model import DEFAULT_TABLE_NAME
from approvals.store import DynamoDBStore

__all__ = [
    "EXIT_BACKEND",
    "EXIT_DOMAIN",
    "EXIT_OK",
    "EXIT_USAGE",
    "BackendUnavailable",
    "CommandError",
    "Session",
    "cli",
    "main",
    "pass_session",
]

EXIT_OK = 0
EXIT_DOMAIN = 1
EXIT_USAGE = 2
EXIT_BACKEND = 3
LOCAL_ENDPOINT_REGION = "us-east-1"
"""The region signed with when only an endpoint is given (local servers ignore it)."""

F = TypeVar("F", bound=Callable[..., Any])


class CommandError(click.ClickException):
    """An expected refusal (exit code 1): one line on stderr, no traceback."""

    exit_code = EXIT_DOMAIN

    def show(self, file: Any = None) -> None:
        stream = file if file is not None else sys.stderr
        click.echo(f"approvals: error: {self.format_message()}", file=stream)


class BackendUnavailable(CommandError):
    """The backend failed or cannot be reached (exit code 3)."""

    exit_code = EXIT_BACKEND


@dataclass
class Session:
    """Where one command runs: the settings, and the store made from them on first use.

    With neither an endpoint nor a region the store is the embedded DynamoDB (moto) in
    ``APPROVALS_DATA_DIR`` (default: the user's data directory), with the table created; that
    is announced on stderr every run.
    """

    table: str
    region: str | None
    endpoint_url: str | None
    _store: DynamoDBStore | None = None
    _embedded: EmbeddedDynamoDB | None = field(default=None, repr=False)

    @property
    def embedded(self) -> bool:
        """True when the command runs (or would run) on the embedded DynamoDB."""
        return self.endpoint_url is None and self.region is None

    @property
    def embedded_server(self) -> EmbeddedDynamoDB | None:
        """The running embedded server, if the store is on one."""
        return self._embedded

    def store(self) -> DynamoDBStore:
        """Return the store, starting the embedded server on first use when configured so.

        Raises StoreError (or EmbeddedServerError) when the backend cannot be set up.
        """
        if self._store is not None:
            return self._store
        if not self.embedded:
            region = self.region or LOCAL_ENDPOINT_REGION
            self._store = DynamoDBStore(self.table, region=region, host=self.endpoint_url)
            return self._store
        from approvals.embedded import ensure_dummy_credentials

        server = EmbeddedDynamoDB(default_data_dir())
        server.start()
        self._embedded = server
        ensure_dummy_credentials()
        click.echo(
            f"approvals: no --endpoint-url or --region given: using the {server.describe()} "
            f"(table {self.table})",
            err=True,
        )
        store = DynamoDBStore(self.table, region=server.region, host=server.endpoint_url)
        store.create_table(wait=True)
        self._store = store
        return store

    def describe(self) -> str:
        """Return where the store is, for messages."""
        if self._embedded is not None:
            return f"table {self.table} on the {self._embedded.describe()}"
        if self.endpoint_url is not None:
            return f"table {self.table} at {self.endpoint_url}"
        if self.region is not None:
            return f"table {self.table} in {self.region}"
        return f"table {self.table} on the embedded DynamoDB in {default_data_dir()}"

    def close(self) -> None:
        """Stop the embedded server, if one was started (its journal is compacted)."""
        if self._embedded is not None:
            self._embedded.stop()
            self._embedded = None


pass_session = click.make_pass_decorator(Session)


class ApprovalsGroup(click.Group):
    """Turns the library's errors into one-line messages and the documented exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StoreError as exc:
            raise BackendUnavailable(str(exc)) from exc
        except ApprovalsError as exc:
            raise CommandError(str(exc)) from exc
        except EmbeddedServerError as exc:
            raise BackendUnavailable(f"embedded DynamoDB: {exc}") from exc
        except OSError as exc:
            raise CommandError(str(exc)) from exc


EPILOG = """\b
Exit codes:
  0  success
  1  the operation was refused: not found, conflict (changed concurrently, or an import line
     that differs from the stored item), invalid transition, invalid input, table drift
  2  usage error (unknown command or option, bad value)
  3  the backend is unavailable: DynamoDB unreachable, throttled, access denied, missing
     table, or the embedded server's data directory in use by another process

\b
With neither --endpoint-url nor --region, approvals runs on an embedded DynamoDB (moto)
whose data lives in $APPROVALS_DATA_DIR (default: the user's data directory).
"""


@click.group(cls=ApprovalsGroup, epilog=EPILOG)
@click.option(
    "--table",
    envvar="APPROVALS_TABLE",
    default=DEFAULT_TABLE_NAME,
    show_default=True,
    show_envvar=True,
    help="DynamoDB table name.",
)
@click.option(
    "--region",
    envvar="AWS_REGION",
    show_envvar=True,
    help="AWS region of the table (a real DynamoDB).",
)
@click.option(
    "--endpoint-url",
    envvar="APPROVALS_ENDPOINT_URL",
    show_envvar=True,
    help="DynamoDB-compatible endpoint (DynamoDB Local, moto, dynalite).",
)
@click.version_option(package_name="approvals", prog_name="approvals")
@click.pass_context
def cli(ctx: click.Context, table: str, region: str | None, endpoint_url: str | None) -> None:
    """Time-boxed access requests in DynamoDB: submit, decide, list, and migrate them."""
    session = Session(table=table, region=region or None, endpoint_url=endpoint_url or None)
    ctx.obj = session
    ctx.call_on_close(session.close)


def json_option(function: F) -> F:
    """The ``--json`` flag: machine-readable output on stdout."""
    decorated: F = click.option(
        "--json", "as_json", is_flag=True, help="Print JSON instead of text (for scripts)."
    )(function)
    return decorated


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line (the ``approvals`` console script) and exit with its code."""
    # Click's own standalone handling prints usage errors with exit code 2 and ours with theirs.
    cli.main(args=list(argv) if argv is not None else None, prog_name="approvals")


def user_default() -> str | None:
    """The acting identity when none is given: $USER (or $USERNAME on Windows)."""
    return os.environ.get("USER") or os.environ.get("USERNAME") or None


def stdout_is_terminal() -> bool:
    """True when stdout is an interactive terminal (rich output), False when piped."""
    return _isatty(sys.stdout)


def stderr_is_terminal() -> bool:
    """True when stderr is an interactive terminal (progress bars)."""
    return _isatty(sys.stderr)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False
