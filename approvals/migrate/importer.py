"""The import loop of :func:`~approvals.migrate.import_jsonl`: lines are validated and batched
(no id twice in a batch); once a batch is written, the checkpoint records the input lines it
covers (their count and a digest), so a rerun on the same input skips exactly those.
"""

from __future__ import annotations

import hashlib
from typing import IO, Any

from approvals.errors import ApprovalsError, ValidationError
from approvals.migrate.dynamo import BATCH_SIZE
from approvals.migrate.format import decode_line
from approvals.migrate.options import BulkOptions
from approvals.migrate.protocol import Backend, ItemCodec, PutOutcome, RawItem
from approvals.migrate.run import Run
from approvals.migrate.throttle import CapacityLimiter
from approvals.migrate.transact import TRANSACTION_SIZE
from approvals.request import Request

__all__ = ["DEFAULT_WORKERS", "IMPORT_MODES", "Importer", "validated_line"]

IMPORT_MODES = ("create-only", "overwrite")
"""``create-only`` never replaces a stored item; ``overwrite`` replaces whatever is stored."""
DEFAULT_WORKERS = 8
"""Single conditional puts a create-only import keeps in flight on a server without
transactions (transactions go one at a time)."""


class Importer:
    """Reads the lines of one import run and writes them in batches, checkpointing as it goes."""

    def __init__(self, backend: Backend, run: Run, mode: str, options: BulkOptions) -> None:
        self.backend = backend
        self.run = run
        self.mode = mode
        self.options = options
        self.workers = options.workers or DEFAULT_WORKERS
        # create-only: one transaction of 100 puts; overwrite: one BatchWriteItem of 25.
        self.batch = TRANSACTION_SIZE if mode == "create-only" else BATCH_SIZE
        rate = options.rate_limit
        self.limiter = None if rate is None else CapacityLimiter(rate)
        self.digest = hashlib.sha256()
        self.chunk: list[RawItem] = []
        self.chunk_ids: set[str] = set()
        self.committed: dict[str, Any] | None = run.state

    def consume(self, fp: IO[str]) -> None:
        """Import every line of ``fp`` after the checkpoint's position; save it as complete."""
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
                request = validated_line(self.backend.codec, raw, line_number)
                if self.options.owns(request.id):
                    if request.id in self.chunk_ids:
                        # One batch may not name an item twice; later lines must land later.
                        self._flush(through=line_number - 1)
                    self.chunk.append(raw)
                    self.chunk_ids.add(request.id)
            self.digest.update(text.encode("utf-8", "surrogatepass"))
            if len(self.chunk) >= self.batch:
                self._flush(through=line_number)
        if line_number < skip:
            raise _input_mismatch(skip)
        self._flush(through=line_number)
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

    def _flush(self, *, through: int) -> None:
        """Write the pending items, then record that lines up to ``through`` are done."""
        chunk, self.chunk, self.chunk_ids = self.chunk, [], set()
        report = self.run.report
        if chunk:
            if self.mode == "create-only":
                outcomes = self._dry_create(chunk) if report.dry_run else self._create(chunk)
                for raw, outcome in zip(chunk, outcomes, strict=True):
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

    def _create(self, chunk: list[RawItem]) -> list[PutOutcome]:
        if self.limiter is not None:
            self.limiter.acquire()
        outcomes, units = self.backend.put_new_many(chunk, self.workers)
        if self.limiter is not None:
            self.limiter.consume(units)
        return outcomes

    def _dry_create(self, chunk: list[RawItem]) -> list[PutOutcome]:
        outcomes = []
        for raw in chunk:
            stored = self.backend.get_raw(raw["id"]["S"])
            if stored is None:
                outcomes.append(PutOutcome.CREATED)
            else:
                same = self.backend.identical(stored, raw)
                outcomes.append(PutOutcome.IDENTICAL if same else PutOutcome.CONFLICT)
        return outcomes

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


def validated_line(codec: ItemCodec, raw: RawItem, line_number: int) -> Request:
    """Return the valid Request the item of input line ``line_number`` holds; ValidationError
    naming the line (and the field) otherwise."""
    try:
        request = codec.to_request(raw)
        request.validate()
    except ApprovalsError as exc:
        raise ValidationError(
            f"line {line_number}: {exc}",
            field=getattr(exc, "field", None),
            request_id=exc.request_id,
        ) from None
    return request
