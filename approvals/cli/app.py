"""The ``approvals`` command group: settings, the store it talks to, and error -> exit code."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click

from approvals.cli.target import ConfigurationError, Target, resolve_target
from approvals.errors import ApprovalsError, StoreError, ValidationError
from approvals.model import DEFAULT_TABLE_NAME
from approvals.store.base import Store
from approvals.store.paths import default_path

if TYPE_CHECKING:
    from approvals.policy import ApprovalPolicy
    from approvals.store.dynamodb import DynamoDBStore

__all__ = [
    "EXIT_BACKEND",
    "EXIT_DOMAIN",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "EXIT_PIPE",
    "EXIT_USAGE",
    "BackendUnavailable",
    "BadConfiguration",
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
EXIT_INTERRUPTED = 130
"""Ctrl-C: 128 + SIGINT, as a shell reports a command it interrupted."""
EXIT_PIPE = 141
"""The reader of stdout went away (``approvals export | head -1``): 128 + SIGPIPE."""

F = TypeVar("F", bound=Callable[..., Any])


class CommandError(click.ClickException):
    """An expected refusal (exit code 1): one line on stderr, no traceback."""

    exit_code = EXIT_DOMAIN

    def show(self, file: Any = None) -> None:
        stream = file if file is not None else sys.stderr
        click.echo(f"approvals: error: {self.format_message()}", file=stream)


class BadConfiguration(CommandError):
    """The AWS configuration cannot be read (exit code 2), e.g. a profile that does not exist."""

    exit_code = EXIT_USAGE


class BackendUnavailable(CommandError):
    """The backend failed or cannot be reached (exit code 3)."""

    exit_code = EXIT_BACKEND


@dataclass
class Session:
    """Where one command runs: the store chosen from the settings, made on first use.

    The store is a DynamoDB table when AWS is configured (see :mod:`approvals.cli.target`),
    else the local SQLite file; making it prints one line on stderr naming it.
    """

    settings: dict[str, Any]
    """The keyword arguments of :func:`resolve_target` but ``local_path``."""
    policy_path: str | None = None
    _target: Target | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)
    _dynamodb: DynamoDBStore | None = field(default=None, repr=False)
    _policy: ApprovalPolicy | None = field(default=None, repr=False)

    @property
    def target(self) -> Target:
        """The store chosen from the settings, resolved on first use (``--help`` needs none).

        Raises BadConfiguration when botocore cannot read the AWS configuration.
        """
        if self._target is None:
            try:
                self._target = resolve_target(**self.settings, local_path=default_path())
            except ConfigurationError as exc:
                raise BadConfiguration(f"AWS configuration: {exc}") from None
        return self._target

    def store(self) -> Store:
        """Return the store, announcing it on stderr the first time.

        Raises StoreError when the backend cannot be set up.
        """
        if self._store is None:
            if self.target.path is None:
                self._store = self.dynamodb_store()
            else:
                from approvals.store.sqlite import SQLiteStore

                self._store = SQLiteStore(self.target.path)
                click.echo(f"approvals: using {self.target.describe()}", err=True)
        return self._store

    def dynamodb_store(self) -> DynamoDBStore:
        """Return the store of a command that works on a DynamoDB table only (CommandError on
        the local store), announcing it on stderr the first time."""
        if self.target.path is not None:
            raise CommandError(
                f"this command works on a DynamoDB table; the {self.target.describe()} has none "
                "(configure a region or pass --endpoint-url)"
            )
        if self._dynamodb is None:
            from approvals.store.dynamodb import DynamoDBStore

            target = self.target
            self._dynamodb = DynamoDBStore(
                target.table, region=target.region, host=target.endpoint_url
            )
            click.echo(f"approvals: using {self.target.describe()}", err=True)
        return self._dynamodb

    def identity(self, given: str | None, option: str = "--as") -> str:
        """Return who acts: the AWS caller on DynamoDB, ``given`` or ``$USER`` on the local store.

        UsageError when ``given`` is passed on DynamoDB or no name results on the local store.
        """
        if self.target.on_dynamodb:
            if given is not None:
                raise click.UsageError(
                    f"{option} is refused on DynamoDB: you act as your AWS identity "
                    "(STS GetCallerIdentity)"
                )
            return self.target.caller()
        if given is None:  # $USERNAME on Windows
            given = os.environ.get("USER") or os.environ.get("USERNAME")
        if not given or not given.strip():
            raise click.UsageError(f"{option} needs a name ($USER is not set)")
        return given

    def policy(self) -> ApprovalPolicy | None:
        """Return the approval policy of ``--policy``/``APPROVALS_POLICY``, or None.

        UsageError naming the option when the file cannot be read or is malformed.
        """
        if self.policy_path is None:
            return None
        if self._policy is None:
            from approvals.policy import ApprovalPolicy

            try:
                self._policy = ApprovalPolicy.from_file(self.policy_path)
            except (OSError, ValidationError) as exc:
                raise click.BadParameter(str(exc), param_hint="'--policy'") from None
        return self._policy

    def close(self) -> None:
        """Release the store's resources (the local store's connections)."""
        close = getattr(self._store, "close", None)
        if close is not None:
            close()
        self._store = None


pass_session = click.make_pass_decorator(Session)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush into a closed pipe is quiet."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


class ApprovalsGroup(click.Group):
    """Turns the library's errors into one-line messages and the documented exit codes."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StoreError as exc:
            raise BackendUnavailable(str(exc)) from exc
        except ApprovalsError as exc:
            raise CommandError(str(exc)) from exc
        except KeyboardInterrupt:
            raise click.exceptions.Exit(EXIT_INTERRUPTED) from None
        except BrokenPipeError:
            _silence_stdout()
            raise click.exceptions.Exit(EXIT_PIPE) from None
        except OSError as exc:
            raise CommandError(str(exc)) from exc


EPILOG = """\b
Exit codes:
  0    success
  1    the operation was refused: not found, conflict (changed concurrently, or an import
       line that differs from the stored item), invalid transition, not allowed by the
       policy, table drift
  2    usage error: unknown command or option, bad value (the message names the option),
       unreadable AWS configuration
  3    the backend is unavailable: DynamoDB unreachable, throttled, access denied, missing
       table, no AWS identity
  130  interrupted (Ctrl-C)
  141  stdout was closed by its reader (approvals export | head -1)

\b
The store: a DynamoDB table when a region is configured (--region, AWS_REGION,
AWS_DEFAULT_REGION, or the profile's region in ~/.aws/config) or --endpoint-url is given;
otherwise, or with --local, the local SQLite file in $APPROVALS_DATA_DIR (default: the
user's data directory). Every command names its store on stderr.
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
    help="AWS region of the table (default: AWS_DEFAULT_REGION or the profile's region).",
)
@click.option(
    "--profile",
    envvar="AWS_PROFILE",
    show_envvar=True,
    help="AWS profile of ~/.aws/config and ~/.aws/credentials.",
)
@click.option(
    "--endpoint-url",
    envvar="APPROVALS_ENDPOINT_URL",
    show_envvar=True,
    help="DynamoDB-compatible endpoint (moto_server, DynamoDB Local, dynalite). A loopback one "
    "needs no AWS credentials.",
)
@click.option(
    "--local",
    is_flag=True,
    help="Use the local SQLite store even when AWS is configured.",
)
@click.option(
    "--policy",
    envvar="APPROVALS_POLICY",
    show_envvar=True,
    type=click.Path(dir_okay=False),
    help="Approval policy file (the Go service's format): who may approve which profile, and "
    "what is approved on submit.",
)
@click.version_option(package_name="sentinel-approvals", prog_name="approvals")
@click.pass_context
def cli(
    ctx: click.Context,
    table: str,
    region: str | None,
    profile: str | None,
    endpoint_url: str | None,
    local: bool,
    policy: str | None,
) -> None:
    """Time-boxed access requests: submit, decide, list, and migrate them.

    Runs on DynamoDB when AWS is configured, else on a local SQLite file (see below).
    """
    if local:
        given = [
            f"--{name.replace('_', '-')}"
            for name in ("region", "endpoint_url")
            if ctx.get_parameter_source(name) is click.core.ParameterSource.COMMANDLINE
        ]
        if given:
            raise click.UsageError(f"--local cannot be combined with {' or '.join(given)}")
    if profile:
        os.environ["AWS_PROFILE"] = profile  # the store's botocore session reads it
    settings = {
        "table": table,
        "region": region or None,
        "endpoint_url": endpoint_url or None,
        "profile": profile or None,
        "local": local,
    }
    session = Session(settings=settings, policy_path=policy or None)
    ctx.obj = session
    ctx.call_on_close(session.close)


def json_option(function: F) -> F:
    """The ``--json`` flag: machine-readable output on stdout."""
    decorated: F = click.option(
        "--json", "as_json", is_flag=True, help="Print JSON instead of text (for scripts)."
    )(function)
    return decorated


def main(argv: Sequence[str] | None = None) -> None:
    """Run the command line (the ``approvals`` console script) and exit with its code.

    Errors are one line on stderr; Ctrl-C exits 130 and a closed stdout 141, both quietly.
    """
    try:
        code = cli.main(
            args=list(argv) if argv is not None else None,
            prog_name="approvals",
            standalone_mode=False,
        )
    except click.ClickException as exc:
        exc.show()
        code = exc.exit_code
    except (click.Abort, KeyboardInterrupt):
        code = EXIT_INTERRUPTED
    sys.exit(code if isinstance(code, int) else EXIT_OK)
