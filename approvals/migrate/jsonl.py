"""JSON Lines export and import of requests (:func:`export_jsonl`, :func:`import_jsonl`).

The format is described in :mod:`approvals.migrate.format`: one request per line, every stored
string kept, so Go-written items round-trip byte for byte.
"""

from __future__ import annotations

import io
import os
import stat
from typing import IO, Literal

from approvals.errors import ValidationError
from approvals.migrate.backend import backend_for
from approvals.migrate.checkpoint import CheckpointLike
from approvals.migrate.format import encode_item
from approvals.migrate.importer import IMPORT_MODES, Importer
from approvals.migrate.options import DEFAULT_PAGE_SIZE, DEFAULT_SEGMENTS, BulkOptions
from approvals.migrate.protocol import Page
from approvals.migrate.report import MigrationReport, ProgressCallback
from approvals.migrate.run import Run
from approvals.migrate.scan import ScanRun
from approvals.request import RequestStatus
from approvals.store import Store

__all__ = ["IMPORT_MODES", "export_jsonl", "import_jsonl"]


def export_jsonl(
    store: Store,
    fp: IO[str],
    *,
    segments: int = DEFAULT_SEGMENTS,
    status: RequestStatus | str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    rate_limit: float | None = None,
    checkpoint: CheckpointLike | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    segment: int | None = None,
    total_segments: int | None = None,
) -> MigrationReport:
    """Write every stored request (only those in ``status`` when given) to the text file ``fp``,
    one line each (see :mod:`approvals.migrate.format`); return the report (``written`` lines).

    The table is read with a parallel Scan of ``segments`` segments; memory stays constant.
    ``rate_limit`` caps the read capacity units consumed per second. A dry run only counts.
    With ``segment`` and ``total_segments``, only that share of the table is exported (one
    process or host of several, each with its own file and checkpoint; the files together hold
    every item exactly once).

    With a ``checkpoint``, ``fp`` must be a regular file opened for writing (``"a"`` to resume):
    the checkpoint records, per segment, where the scan resumes and how far the file had been
    written (and fsynced) at that point. A rerun with the same checkpoint cuts the file back to
    that length and continues, so the file ends with every item exactly once. Once complete, a
    rerun writes nothing.

    Raises ValidationError for bad arguments or a checkpoint that does not fit, StoreError for
    backend failures or an item that cannot be written in the format, OSError from ``fp``.
    """
    options = BulkOptions.from_keywords(locals())
    scan = ScanRun(store, options, "export", status)
    run, report = scan.run, scan.run.report
    if run.checkpoint is not None and not run.finished:
        _resume_file(fp, run)

    def write(page: Page) -> None:
        lines = [encode_item(raw) for raw in page.items]
        if not report.dry_run:
            fp.writelines(lines)
        report.scanned += len(lines)
        report.written += len(lines)

    return scan.drive(write, state=lambda: {"offset": fp.tell()}, sync=lambda: _sync(fp))


def _resume_file(fp: IO[str], run: Run) -> None:
    """Check that ``fp`` can be checkpointed; cut a resumed file back to the length its
    checkpoint recorded."""
    try:
        seekable = fp.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if not seekable:
        raise ValidationError(
            "a checkpointed export needs a regular file (seekable) to write to", field="fp"
        )
    if run.state is None:
        return
    offset = run.state.get("offset")
    if not isinstance(offset, int) or offset < 0:
        raise ValidationError("the checkpoint has no valid file offset", field="checkpoint")
    fp.seek(0, io.SEEK_END)
    if fp.tell() < offset:
        raise ValidationError(
            f"the export file is shorter ({fp.tell()} bytes) than its checkpoint records "
            f"({offset}); reopen it for appending (mode 'a'), not 'w', to resume",
            field="fp",
        )
    fp.seek(offset)
    fp.truncate()


def _sync(fp: IO[str]) -> None:
    """Flush ``fp`` and, for a real file, make its contents durable."""
    fp.flush()
    try:
        fileno = fp.fileno()
    except (AttributeError, OSError, ValueError):
        return  # an in-memory buffer
    # Pipes and terminals cannot be fsynced (EINVAL); only a regular file holds what a
    # checkpoint records.
    if stat.S_ISREG(os.fstat(fileno).st_mode):
        os.fsync(fileno)


def import_jsonl(
    store: Store,
    fp: IO[str],
    *,
    mode: Literal["create-only", "overwrite"] = "create-only",
    rate_limit: float | None = None,
    checkpoint: CheckpointLike | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
    segment: int | None = None,
    total_segments: int | None = None,
) -> MigrationReport:
    """Write the requests of the JSON Lines text ``fp`` (see :mod:`approvals.migrate.format`)
    to ``store``, each item exactly as the line describes it, and return the report.

    ``mode="create-only"`` never replaces a stored item: an identical stored item counts as
    ``already_present`` (so a rerun is harmless), a different one as a conflict (reported, not
    overwritten). On DynamoDB it sends TransactWriteItems of up to 100 puts, each conditional
    on the id being new, one transaction at a time (see :mod:`approvals.migrate.transact`; a
    transaction costs twice the write capacity of the same puts); on a server without
    transactions, single conditional puts, ``workers`` at a time.
    ``mode="overwrite"`` writes BatchWriteItem calls of 25 items, retrying unprocessed items
    with exponential backoff. ``rate_limit`` caps the write capacity units consumed per second.
    A dry run validates every line and (create-only) reads what is stored, writing nothing.
    With ``segment`` and ``total_segments``, only the lines whose id falls in that share are
    written (every line is still validated): N processes given the same file import it
    together, each with its own checkpoint.

    With a ``checkpoint``, progress is recorded as the number of input lines whose writes are
    all acknowledged (and a digest of them); a rerun on the same input skips them and continues.
    Every line is validated as a request before it is written: an invalid line stops the import
    with ValidationError naming it (the lines before it are written and checkpointed).

    Raises ValidationError for bad arguments, an invalid line, or a checkpoint that does not fit
    this input; StoreError for backend failures; OSError from ``fp``.
    """
    if mode not in IMPORT_MODES:
        raise ValidationError(
            f"mode must be one of {list(IMPORT_MODES)}, got {mode!r}", field="mode"
        )
    options = BulkOptions.from_keywords(locals())
    return _import(store, fp, options, mode)


def _import(
    store: Store, fp: IO[str], options: BulkOptions, mode: Literal["create-only", "overwrite"]
) -> MigrationReport:
    backend = backend_for(store)
    run = Run(options, operation="import", target=backend.target, params={"mode": mode})
    if run.finished:
        return run.report
    importer = Importer(backend, run, mode, options)
    try:
        importer.consume(fp)
    except BaseException:
        if importer.committed is not None:
            run.save_on_failure(importer.committed)
        raise
    return run.report
