"""Bulk commands: export, import, sweep-expired, normalize (thin wrappers of approvals.migrate)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, TypeVar

import click

from approvals.cli.app import CommandError, Session, cli, json_option, pass_session
from approvals.cli.output import Output
from approvals.cli.params import time_option_value
from approvals.errors import ValidationError
from approvals.migrate import (
    DEFAULT_SEGMENTS,
    IMPORT_MODES,
    Checkpoint,
    MigrationReport,
    ProgressCallback,
    export_jsonl,
    export_table_to_s3,
    import_jsonl,
    import_table_from_s3,
    normalize,
    sweep_expired,
    upload_for_import,
)
from approvals.migrate.options import MAX_SEGMENTS, MAX_TOTAL_SEGMENTS
from approvals.request import RequestStatus

__all__ = ["export", "import_", "normalize_command", "sweep_expired_command"]

F = TypeVar("F", bound=Callable[..., Any])


def _stacked(*decorators: Callable[[Any], Any]) -> Callable[[F], F]:
    """One decorator applying ``decorators`` as if written one above the other."""

    def apply(function: F) -> F:
        for decorator in reversed(decorators):
            function = decorator(function)
        return function

    return apply


segments_option = click.option(
    "--segments",
    type=click.IntRange(1, MAX_SEGMENTS),
    default=DEFAULT_SEGMENTS,
    show_default=True,
    help="Parallel scan segments (threads).",
)
share_options = _stacked(
    click.option(
        "--segment",
        type=click.IntRange(min=0),
        metavar="I",
        help="Run only share I (0 to N-1) of the job; give every process its own "
        "--checkpoint. Needs --total-segments.",
    ),
    click.option(
        "--total-segments",
        type=click.IntRange(1, MAX_TOTAL_SEGMENTS),
        metavar="N",
        help="How many processes or hosts share the job (each with its own --segment).",
    ),
)
"""``--segment I --total-segments N``: this process's share of a job run by N of them."""
bulk_options = _stacked(
    click.option(
        "--checkpoint",
        type=click.Path(dir_okay=False, path_type=Path),
        help="Progress file: rerun with the same one to resume after a crash or a kill "
        "(a finished one makes the rerun do nothing; delete it to start over).",
    ),
    click.option(
        "--rate-limit",
        type=click.FloatRange(min=0, min_open=True),
        metavar="UNITS",
        help="Most DynamoDB capacity units per second to consume (reads and writes each).",
    ),
    click.option("--dry-run", is_flag=True, help="Read and count, write nothing."),
    click.option(
        "--progress",
        "plain_progress",
        is_flag=True,
        help="Print progress lines on stderr even when it is not a terminal.",
    ),
    json_option,
)
"""The options every bulk command shares."""


def _finished(checkpoint: Path | None) -> bool:
    """True when ``checkpoint`` records a finished operation: the rerun does nothing."""
    if checkpoint is None:
        return False
    try:
        saved = Checkpoint(checkpoint).load()
    except ValidationError:
        return False  # the operation itself reports what is wrong with the file
    report = saved.get("report") if saved is not None else None
    return isinstance(report, dict) and bool(report.get("complete"))


def _run(
    output: Output,
    label: str,
    plain_progress: bool,
    checkpoint: Path | None,
    operation: Callable[[ProgressCallback | None], MigrationReport],
    *,
    err: bool = False,
) -> MigrationReport:
    """Run ``operation`` with a progress display, then show its report (on stderr if ``err``)."""
    finished = _finished(checkpoint)
    with output.progress(label, plain=plain_progress) as progress:
        report = operation(progress)
    # A run that used the checkpoint says so (resumed); a dry run plans everything anew.
    output.report(report, err=err, already_complete=finished and report.resumed)
    return report


@contextmanager
def _utf8_stream(binary: IO[bytes]) -> Iterator[io.TextIOWrapper]:
    """A UTF-8 text view of stdin/stdout that leaves the underlying stream open."""
    text = io.TextIOWrapper(binary, encoding="utf-8", newline="\n")
    try:
        yield text
    finally:
        text.flush()
        text.detach()


@contextmanager
def _input(path: str) -> Iterator[IO[str]]:
    """The JSON Lines input: stdin for '-', else the file."""
    if path == "-":
        with _utf8_stream(sys.stdin.buffer) as source:
            yield source
    else:
        with open(path, encoding="utf-8") as source:
            yield source


@contextmanager
def _output(path: str, checkpoint: Path | None) -> Iterator[IO[str]]:
    """The JSON Lines output: stdout for '-', else the file (appended to when resuming)."""
    if path == "-":
        sys.stdout.flush()  # text already written must come first
        with _utf8_stream(sys.stdout.buffer) as out:
            yield out
    else:
        mode = "a" if checkpoint is not None and checkpoint.exists() else "w"
        with open(path, mode, encoding="utf-8", newline="\n") as out:
            yield out


@cli.command()
@click.argument(
    "output_path",
    metavar="FILE",
    default="-",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=str),
)
@click.option(
    "--status",
    type=click.Choice([s.value for s in RequestStatus]),
    help="Only requests in this status.",
)
@segments_option
@share_options
@click.option(
    "--native",
    metavar="S3_URL",
    help="Instead, have DynamoDB export the table to s3://bucket/prefix "
    "(ExportTableToPointInTime: no read capacity, needs point-in-time recovery) and wait.",
)
@bulk_options
@pass_session
def export(
    session: Session,
    /,
    output_path: str,
    native: str | None,
    plain_progress: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Export every request as JSON Lines to FILE (default: stdout).

    One request per line, every stored string kept exactly (see the README). With --checkpoint
    the FILE is resumed (appended after the point the checkpoint records) on a rerun. With
    --segment I --total-segments N, only scan segment I of N is exported: run N of them (one
    file each) and the files together hold every request exactly once. With --native, DynamoDB
    writes the export to S3 itself (read it with approvals.migrate.read_table_export).
    """
    output = Output(as_json=as_json)
    to_stdout = output_path == "-"
    if native is not None:
        _refuse_with_native(options, file_given=not to_stdout)
        _show_job(output, export_table_to_s3(session.dynamodb_store(), native), "Export")
        return
    checkpoint = options["checkpoint"]
    if to_stdout and checkpoint is not None:
        raise click.UsageError("--checkpoint needs an output FILE (stdout cannot be resumed)")
    store = session.store()

    def run(progress: ProgressCallback | None) -> MigrationReport:
        with _output(output_path, checkpoint) as out:
            return export_jsonl(store, out, progress=progress, **options)

    _run(output, "export", plain_progress, checkpoint, run, err=to_stdout)


@cli.command(name="import")
@click.argument(
    "input_path",
    metavar="FILE",
    type=click.Path(exists=True, dir_okay=False, allow_dash=True, path_type=str),
)
@click.option(
    "--mode",
    type=click.Choice(IMPORT_MODES),
    default="create-only",
    show_default=True,
    help="create-only never replaces a stored item (an identical one counts as already "
    "present, a different one is a conflict); overwrite replaces it.",
)
@share_options
@click.option(
    "--native",
    metavar="S3_URL",
    help="Instead, upload FILE to s3://bucket/prefix and have DynamoDB create the table "
    "(--table, which must not exist) from it with ImportTable; wait for it.",
)
@bulk_options
@pass_session
def import_(
    session: Session,
    /,
    input_path: str,
    native: str | None,
    plain_progress: bool,
    as_json: bool,
    **options: Any,
) -> None:
    """Import requests from a JSON Lines FILE ('-' for stdin), each item exactly as written.

    Exits 1 when a line is invalid (the lines before it are imported) or, in create-only mode,
    when lines conflict with stored items (reported, nothing overwritten). With --segment I
    --total-segments N, only the lines whose id falls in share I are written: N processes
    import one FILE together, each with its own --checkpoint.
    """
    output = Output(as_json=as_json)
    if native is not None:
        _refuse_with_native(options, file_given=False)
        table = session.dynamodb_store()
        with _input(input_path) as source:
            upload_for_import(source, native, _s3_client(session))
        _show_job(output, import_table_from_s3(table, native), "Import")
        return
    store = session.store()

    def run(progress: ProgressCallback | None) -> MigrationReport:
        with _input(input_path) as source:
            return import_jsonl(store, source, progress=progress, **options)

    report = _run(output, "import", plain_progress, options["checkpoint"], run)
    if report.conflicts:
        raise CommandError(
            f"{report.conflicts} line(s) differ from the stored item with the same id; "
            "nothing was overwritten (use --mode overwrite to replace them)"
        )


def _refuse_with_native(options: dict[str, Any], *, file_given: bool) -> None:
    """UsageError for the options a job run by DynamoDB itself does not take."""
    used = {
        "FILE": file_given,
        "--checkpoint": options["checkpoint"] is not None,
        "--segment": options["segment"] is not None,
        "--status": options.get("status") is not None,
        "--dry-run": options["dry_run"],
    }
    given = [name for name, is_used in used.items() if is_used]
    if given:
        raise click.UsageError(f"--native runs inside DynamoDB: {', '.join(given)} do not apply")


def _s3_client(session: Session) -> Any:
    """An S3 client for the session's AWS settings (its endpoint too: moto serves both)."""
    import botocore.session

    target = session.target
    return botocore.session.Session(profile=target.profile).create_client(
        "s3", region_name=target.region, endpoint_url=target.endpoint_url
    )


def _show_job(output: Output, description: dict[str, Any], kind: str) -> None:
    """Print what DynamoDB reports of a finished export or import job."""
    if output.as_json:
        output.json({k: v for k, v in description.items() if isinstance(v, (str, int, float))})
        return
    status = description.get(f"{kind}Status")
    arn = description.get(f"{kind}Arn")
    if kind == "Export":
        where = f"s3://{description.get('S3Bucket')}/{description.get('S3Prefix') or ''}"
        manifest = description.get("ExportManifest") or "AWSDynamoDB/<export id>/"
        click.echo(f"export {status}: {description.get('ItemCount')} items to {where} ({arn})")
        click.echo(f"  manifest: {manifest}")
    else:
        imported = description.get("ImportedItemCount")
        click.echo(f"import {status}: {imported} items into {description.get('TableArn')} ({arn})")


def _rewrite_command(
    name: str, operation: Callable[..., MigrationReport], doc: str, *extra: Callable[[F], F]
) -> click.Command:
    """A command running a scan-and-rewrite operation of approvals.migrate on the store."""

    @cli.command(name=name, help=doc)
    @_stacked(*extra, segments_option, bulk_options)
    @pass_session
    def rewrite(session: Session, /, plain_progress: bool, as_json: bool, **options: Any) -> None:
        store = session.store()

        def run(progress: ProgressCallback | None) -> MigrationReport:
            return operation(store, progress=progress, **options)

        _run(Output(as_json=as_json), name, plain_progress, options["checkpoint"], run)

    return rewrite


sweep_expired_command = _rewrite_command(
    "sweep-expired",
    sweep_expired,
    """Mark pending requests past their expires_at as expired.

    DynamoDB's TTL deletes them up to days late; until then they read as pending. A request
    decided meanwhile is left alone and counted as a conflict (exit status stays 0).
    """,
    click.option(
        "--now",
        callback=time_option_value,
        metavar="TIME",
        help="Expire what is past this time instead of the current time (RFC 3339).",
    ),
)
normalize_command = _rewrite_command(
    "normalize",
    normalize,
    """Rewrite items stored in older forms (Go's trimmed times, Unix seconds, no ttl)
    canonically. Values do not change; an item changed meanwhile is left alone (a conflict).""",
)
