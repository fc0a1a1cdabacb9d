"""JSON Lines export and import of requests (:func:`export_jsonl`, :func:`import_jsonl`).

The format is described in :mod:`approvals.migrate.format`: one request per line, every stored
string kept, so Go-written items round-trip byte for byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import stat
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, Literal

from approvals.errors import ApprovalsError, ValidationError
from approvals.migrate.backend import Backend, PutOutcome, RawItem, backend_for
from approvals.migrate.checkpoint import CheckpointLike
from approvals.migrate.dynamo import BATCH_SIZE
from approvals.migrate.format import decode_line, encode_item
from approvals.migrate.report import MigrationReport, ProgressCallback
from approvals.migrate.run import Run
from approvals.migrate.scan import (
    DEFAULT_PAGE_SIZE,
    DEFAULT_SEGMENTS,
    check_scan_options,
    iter_pages,
    optional_status,
    saved_positions,
)
from approvals.migrate.throttle import CapacityLimiter, check_rate
from approvals.request import Request, RequestStatus
from approvals.store import Store

__all__ = ["IMPORT_MODES", "export_jsonl", "import_jsonl"]

IMPORT_MODES = ("create-only", "overwrite")
"""``create-only`` never replaces a stored item; ``overwrite`` replaces whatever is stored."""
_DEFAULT_WORKERS = 8


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
) -> MigrationReport:
    """Write every stored request (only those in ``status`` when given) to the text file ``fp``,
    one line each (see :mod:`approvals.migrate.format`); return the report (``written`` lines).

    The table is read with a parallel Scan of ``segments`` segments; memory stays constant.
    ``rate_limit`` caps the read capacity units consumed per second. A dry run only counts.

    With a ``checkpoint``, ``fp`` must be a regular file opened for writing (``"a"`` to resume):
    the checkpoint records, per segment, where the scan resumes and how far the file had been
    written (and fsynced) at that point. A rerun with the same checkpoint cuts the file back to
    that length and continues, so the file ends with every item exactly once. Once complete, a
    rerun writes nothing.

    Raises ValidationError for bad arguments or a checkpoint that does not fit, StoreError for
    backend failures or an item that cannot be written in the format, OSError from ``fp``.
    """
    check_scan_options(segments, page_size)
    check_rate(rate_limit)
    wanted = optional_status(status)
    backend = backend_for(store)
    run = Run(
        checkpoint,
        operation="export",
        target=backend.target,
        params={"segments": segments, "status": None if wanted is None else wanted.value},
        dry_run=dry_run,
        progress=progress,
    )
    if run.finished:
        return run.report
    names = backend.segment_names(segments, wanted)
    positions: dict[str, dict[str, Any]] = {n: {"key": None, "done": False} for n in names}
    offset = 0
    if run.checkpoint is not None:
        offset = _start_offset(fp, run)
    if run.state is not None:
        positions = saved_positions(run.state, names)
    committed: dict[str, Any] | None = None
    report = run.report
    starts = {name: pos["key"] for name, pos in positions.items() if not pos["done"]}
    pages = iter_pages(
        backend,
        starts,
        total=segments,
        status=wanted,
        page_size=page_size,
        rate_limit=rate_limit,
    )
    try:
        for page in pages:
            lines = [encode_item(raw) for raw in page.items]
            if not dry_run:
                fp.writelines(lines)
            report.scanned += len(lines)
            report.written += len(lines)
            positions[page.segment] = {"key": page.next_key, "done": page.next_key is None}
            if run.checkpoint is not None:
                committed = {"segments": dict(positions), "offset": fp.tell()}
                if run.due():
                    _sync(fp)
                    run.save(committed)
            run.progress()
        if not dry_run:
            _sync(fp)
        final = {"segments": positions, "offset": fp.tell() if run.checkpoint else offset}
        run.save(final, complete=True)
        run.progress()
        return report
    except BaseException:
        if committed is not None:
            # Keep what is already written and fsynced; the rerun continues from it.
            with contextlib.suppress(Exception):
                _sync(fp)
                run.save(committed)
        raise
    finally:
        pages.close()


def _start_offset(fp: IO[str], run: Run) -> int:
    """Return where the export's lines start in ``fp``, cutting a resumed file back to the
    length its checkpoint recorded."""
    try:
        seekable = fp.seekable()
    except (AttributeError, ValueError):
        seekable = False
    if not seekable:
        raise ValidationError(
            "a checkpointed export needs a regular file (seekable) to write to", field="fp"
        )
    if run.state is None:
        return fp.tell()
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
    return offset


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
    workers: int = _DEFAULT_WORKERS,
) -> MigrationReport:
    """Write the requests of the JSON Lines text ``fp`` (see :mod:`approvals.migrate.format`)
    to ``store``, each item exactly as the line describes it, and return the report.

    ``mode="create-only"`` writes each item with a conditional PutItem (``workers`` at a time)
    that never replaces a stored item: an identical stored item counts as ``already_present``
    (so a rerun is harmless), a different one as a conflict (reported, not overwritten).
    ``mode="overwrite"`` writes BatchWriteItem calls of 25 items, retrying unprocessed items
    with exponential backoff. ``rate_limit`` caps the write capacity units consumed per second.
    A dry run validates every line and (create-only) reads what is stored, writing nothing.

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
    check_rate(rate_limit)
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValidationError("workers must be a positive integer", field="workers")
    backend = backend_for(store)
    run = Run(
        checkpoint,
        operation="import",
        target=backend.target,
        params={"mode": mode},
        dry_run=dry_run,
        progress=progress,
    )
    if run.finished:
        return run.report
    importer = _Importer(backend, run, mode, rate_limit, workers)
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="approvals-import") as pool:
        importer.pool = pool
        try:
            importer.consume(fp)
        except BaseException:
            if importer.committed is not None:
                with contextlib.suppress(Exception):
                    run.save(importer.committed)
            raise
    return run.report


class _Importer:
    def __init__(
        self, backend: Backend, run: Run, mode: str, rate_limit: float | None, workers: int
    ) -> None:
        self.backend = backend
        self.run = run
        self.mode = mode
        self.limiter = None if rate_limit is None else CapacityLimiter(rate_limit)
        self.pool: ThreadPoolExecutor | None = None
        self.digest = hashlib.sha256()
        self.chunk: list[RawItem] = []
        self.chunk_ids: set[str] = set()
        self.committed: dict[str, Any] | None = run.state

    def consume(self, fp: IO[str]) -> None:
        skip, expected = self._resume_point()
        line_number = 0
        for text in fp:
            line_number += 1
            if line_number <= skip:
                self.digest.update(text.encode("utf-8", "surrogatepass"))
                if line_number == skip and self.digest.hexdigest() != expected:
                    raise _input_mismatch(skip)
                continue
            raw = decode_line(text, line_number)
            if raw is not None:
                request = self._validated(raw, line_number)
                if request.id in self.chunk_ids:
                    # One batch may not name an item twice; later lines must land later.
                    self._flush(through=line_number - 1)
                self.chunk.append(raw)
                self.chunk_ids.add(request.id)
            self.digest.update(text.encode("utf-8", "surrogatepass"))
            if len(self.chunk) >= BATCH_SIZE:
                self._flush(through=line_number)
        if line_number < skip:
            raise _input_mismatch(skip)
        self._flush(through=max(line_number, skip))
        assert self.committed is not None
        self.run.save(self.committed, complete=True)
        self.run.progress()

    def _resume_point(self) -> tuple[int, str | None]:
        state = self.run.state
        if state is None:
            return 0, None
        line, digest = state.get("line"), state.get("sha256")
        if not isinstance(line, int) or line < 0 or not isinstance(digest, str):
            raise ValidationError("the checkpoint's input position is damaged", field="checkpoint")
        if line == 0 and digest != hashlib.sha256().hexdigest():
            raise _input_mismatch(0)
        return line, digest

    def _validated(self, raw: RawItem, line_number: int) -> Request:
        try:
            request = self.backend.to_request(raw)
            request.validate()
        except ApprovalsError as exc:
            raise ValidationError(
                f"line {line_number}: {exc}",
                field=getattr(exc, "field", None),
                request_id=exc.request_id,
            ) from None
        return request

    def _flush(self, *, through: int) -> None:
        """Write the pending items, then record that lines up to ``through`` are done."""
        chunk, self.chunk, self.chunk_ids = self.chunk, [], set()
        report = self.run.report
        if chunk:
            if self.mode == "create-only":
                assert self.pool is not None
                check = self._dry_create if report.dry_run else self._create
                for raw, outcome in zip(chunk, self.pool.map(check, chunk), strict=True):
                    if outcome is PutOutcome.CREATED:
                        report.written += 1
                    elif outcome is PutOutcome.IDENTICAL:
                        report.already_present += 1
                    else:
                        report.add_conflict(raw["id"]["S"])
            else:
                if not report.dry_run:
                    self._overwrite(chunk)
                report.written += len(chunk)
            report.scanned += len(chunk)
        self.committed = {"line": through, "sha256": self.digest.hexdigest()}
        if chunk and self.run.due():
            self.run.save(self.committed)
        if chunk:
            self.run.progress()

    def _create(self, raw: RawItem) -> PutOutcome:
        if self.limiter is not None:
            self.limiter.acquire()
        outcome, units = self.backend.put_new(raw)
        if self.limiter is not None:
            self.limiter.consume(units)
        return outcome

    def _dry_create(self, raw: RawItem) -> PutOutcome:
        stored = self.backend.get_raw(raw["id"]["S"])
        if stored is None:
            return PutOutcome.CREATED
        same = self.backend.identical(stored, raw)
        return PutOutcome.IDENTICAL if same else PutOutcome.CONFLICT

    def _overwrite(self, chunk: list[RawItem]) -> None:
        if self.limiter is not None:
            self.limiter.acquire()
        units = self.backend.put_many(chunk)
        if self.limiter is not None:
            self.limiter.consume(units)


def _input_mismatch(line: int) -> ValidationError:
    return ValidationError(
        f"this input does not match the checkpoint (its first {line} lines differ from the "
        "input the checkpoint was made with); pass the same file or a new checkpoint",
        field="checkpoint",
    )
