"""JSON Lines export and import of requests, in a stable format that round-trips exactly.

Format (version 1)
------------------
UTF-8 text, one request per line; each line is a JSON object followed by ``\\n``. The keys, always
written in this order and compactly (``","`` and ``":"`` separators, non-ASCII characters as
themselves):

=====================================  ===========  ==============================================
key                                    JSON type    DynamoDB attribute
=====================================  ===========  ==============================================
``id``                                 string       ``id`` (S), 16 lowercase hex characters
``requester``, ``profile``             string       S
``justification``                      string       S
``duration``                           integer      N: nanoseconds (Go ``time.Duration``)
``status``                             string       S: pending, approved, denied, expired,
                                                    cancelled
``created_at``, ``updated_at``,        string       S, exactly as stored: the canonical
``expires_at``                                      ``2026-11-28T00:25:31.123456000Z``, or any
                                                    older form the Go service wrote (trimmed
                                                    RFC 3339, an offset, Unix seconds)
``ttl`` (optional)                     integer      N: Unix seconds of ``expires_at``
``approver``, ``approver_comment``     string       S (may be ``""``)
(optional)
``extra`` (optional)                   object       any other attribute of the item, in DynamoDB
                                                    JSON: ``{"name": {"S": "value"}}``
=====================================  ===========  ==============================================

An optional key is absent exactly when the item lacks that attribute. Nothing is converted, so
an item the Go service wrote (nanosecond digits, offsets, Unix-seconds strings, no ``ttl``) is
exported, imported and exported again byte for byte. A line (wrapped here at the commas; in the
file it is one line)::

    {"id":"3f9a1c0d5e7b2a41","requester":"alice","profile":"production",
    "justification":"Deploy hotfix for incident INC-4821","duration":3600000000000,
    "status":"pending","created_at":"2026-11-20T09:15:02.120783Z",
    "updated_at":"2026-11-20T09:15:02.120783Z","expires_at":"2026-11-21T09:15:02.120783Z",
    "ttl":1795252502,"approver":"","approver_comment":""}

Readers accept the keys in any order and skip blank lines; an unknown key, a wrong type or a
line that is not a valid request is a ValidationError naming the line.

On a store other than a DynamoDBStore (a MemoryStore), items are the store's requests in the
canonical form: optional attributes are always present and ``ttl`` is derived from
``expires_at``.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import stat
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import IO, Any, Literal

from approvals.errors import ApprovalsError, StoreError, ValidationError
from approvals.migrate.backend import BATCH_SIZE, Backend, PutOutcome, RawItem, backend_for
from approvals.migrate.checkpoint import CheckpointLike
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

__all__ = [
    "FIELDS",
    "IMPORT_MODES",
    "decode_line",
    "encode_item",
    "export_jsonl",
    "import_jsonl",
]

FIELDS = (
    "id",
    "requester",
    "profile",
    "justification",
    "duration",
    "status",
    "created_at",
    "updated_at",
    "expires_at",
    "ttl",
    "approver",
    "approver_comment",
)
"""The keys of a line, in the order they are written (``extra`` follows when present)."""
OPTIONAL_FIELDS = frozenset({"ttl", "approver", "approver_comment"})
NUMBER_FIELDS = frozenset({"duration", "ttl"})
EXTRA = "extra"
IMPORT_MODES = ("create-only", "overwrite")
"""``create-only`` never replaces a stored item; ``overwrite`` replaces whatever is stored."""

_FIELD_SET = frozenset(FIELDS)
_INTEGER = re.compile(r"-?[0-9]+")
_ATTRIBUTE_TYPES = frozenset({"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})
_DEFAULT_WORKERS = 8


def encode_item(raw: Mapping[str, Mapping[str, Any]]) -> str:
    """Return the line (ending with ``\\n``) for a stored item.

    Raises StoreError when the item lacks a required attribute or holds one of the wrong type.
    """
    request_id = _item_id(raw)
    line: dict[str, Any] = {}
    for name in FIELDS:
        value = raw.get(name)
        if value is None:
            if name not in OPTIONAL_FIELDS:
                raise StoreError(
                    f"stored item lacks {name}; it cannot be exported",
                    request_id=request_id,
                    retryable=False,
                )
            continue
        if name in NUMBER_FIELDS:
            number = value.get("N")
            if not isinstance(number, str) or not _INTEGER.fullmatch(number):
                raise StoreError(
                    f"stored attribute {name} is not an integer number ({dict(value)!r:.60})",
                    request_id=request_id,
                    retryable=False,
                )
            line[name] = int(number)
        else:
            text = value.get("S")
            if not isinstance(text, str):
                raise StoreError(
                    f"stored attribute {name} is not a string ({dict(value)!r:.60})",
                    request_id=request_id,
                    retryable=False,
                )
            line[name] = text
    extra = {name: raw[name] for name in sorted(raw) if name not in _FIELD_SET}
    if extra:
        line[EXTRA] = extra
    try:
        return json.dumps(line, ensure_ascii=False, separators=(",", ":")) + "\n"
    except (TypeError, ValueError) as exc:
        raise StoreError(
            f"stored item cannot be written as JSON ({exc})",
            request_id=request_id,
            retryable=False,
        ) from exc


def decode_line(text: str, line_number: int = 0) -> RawItem | None:
    """Return the item a line describes, or None for a blank line.

    Raises ValidationError (naming ``line_number``) when the line is not in the format.
    """
    stripped = text.strip()
    if not stripped:
        return None
    where = f"line {line_number}"
    try:
        data = json.loads(stripped)
    except ValueError as exc:
        raise ValidationError(f"{where}: not valid JSON ({exc})", field="line") from None
    if not isinstance(data, dict):
        raise ValidationError(f"{where}: expected a JSON object", field="line")
    unknown = sorted(set(data) - _FIELD_SET - {EXTRA})
    if unknown:
        raise ValidationError(f"{where}: unknown keys {unknown}", field=unknown[0])
    raw: RawItem = {}
    for name in FIELDS:
        if name not in data:
            if name not in OPTIONAL_FIELDS:
                raise ValidationError(f"{where}: {name} is missing", field=name)
            continue
        value = data[name]
        if name in NUMBER_FIELDS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValidationError(f"{where}: {name} must be an integer", field=name)
            raw[name] = {"N": str(value)}
        else:
            if not isinstance(value, str):
                raise ValidationError(f"{where}: {name} must be a string", field=name)
            raw[name] = {"S": value}
    extra = data.get(EXTRA)
    if extra is not None:
        raw.update(_decode_extra(extra, where))
    return raw


def _decode_extra(extra: object, where: str) -> RawItem:
    if not isinstance(extra, dict):
        raise ValidationError(f"{where}: extra must be an object", field=EXTRA)
    decoded: RawItem = {}
    for name, value in extra.items():
        if name in _FIELD_SET:
            raise ValidationError(
                f"{where}: extra must not repeat the attribute {name}", field=EXTRA
            )
        if not (isinstance(value, dict) and len(value) == 1 and set(value) <= _ATTRIBUTE_TYPES):
            raise ValidationError(
                f"{where}: extra attribute {name} is not in DynamoDB JSON", field=EXTRA
            )
        decoded[name] = value
    return decoded


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
    one line each, in the module's format, and return the report (``written`` lines).

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
    """Write the requests of the JSON Lines text ``fp`` (the module's format) to ``store``, each
    item exactly as the line describes it, and return the report.

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


def _item_id(raw: Mapping[str, Mapping[str, Any]]) -> str | None:
    value = raw.get("id")
    request_id = value.get("S") if isinstance(value, Mapping) else None
    return request_id if isinstance(request_id, str) else None


def _input_mismatch(line: int) -> ValidationError:
    return ValidationError(
        f"this input does not match the checkpoint (its first {line} lines differ from the "
        "input the checkpoint was made with); pass the same file or a new checkpoint",
        field="checkpoint",
    )
