"""The bookkeeping every bulk operation shares: resuming from and saving its checkpoint."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from approvals.errors import ValidationError
from approvals.migrate.checkpoint import Checkpoint, as_checkpoint
from approvals.migrate.options import BulkOptions
from approvals.migrate.report import MigrationReport

__all__ = ["Run"]

logger = logging.getLogger(__name__)


class Run:
    """One run of a bulk operation: its report, and the state it resumes from and saves.

    A dry run neither reads nor writes the checkpoint: it plans the whole operation.
    ``params`` are the options a resumed run must share with the run it continues (ValidationError
    otherwise), this run's share of a segmented job included; ``target`` names the table (or
    store) the checkpoint belongs to.
    """

    def __init__(
        self, options: BulkOptions, *, operation: str, target: str, params: dict[str, Any]
    ) -> None:
        self.operation = operation
        self.target = target
        self.params = {**params, **options.share_params()}
        self.progress_callback = options.progress
        dry_run = options.dry_run
        self.checkpoint: Checkpoint | None = None if dry_run else as_checkpoint(options.checkpoint)
        self.report = MigrationReport(operation=operation, dry_run=dry_run)
        self.state: dict[str, Any] | None = None
        saved = self.checkpoint.load() if self.checkpoint is not None else None
        if saved is not None:
            self._resume(saved)

    def _resume(self, saved: dict[str, Any]) -> None:
        assert self.checkpoint is not None
        where = self.checkpoint.path
        if saved.get("operation") != self.operation:
            raise ValidationError(
                f"checkpoint {where} belongs to a {saved.get('operation')!r} run, not "
                f"{self.operation!r}; pass another checkpoint path",
                field="checkpoint",
            )
        if saved.get("target") != self.target:
            raise ValidationError(
                f"checkpoint {where} belongs to {saved.get('target')!r}, not {self.target!r}",
                field="checkpoint",
            )
        if saved.get("params") != self.params:
            raise ValidationError(
                f"checkpoint {where} was made with options {saved.get('params')!r}; rerun with "
                f"the same options (not {self.params!r}) or start over with a new checkpoint",
                field="checkpoint",
            )
        try:
            self.report = MigrationReport.from_dict(saved["report"])
            state = saved["state"]
        except (KeyError, TypeError, ValueError) as exc:
            raise ValidationError(
                f"checkpoint {where} is damaged ({exc!r}); start over with a new checkpoint",
                field="checkpoint",
            ) from None
        if not isinstance(state, dict):
            raise ValidationError(f"checkpoint {where} is damaged", field="checkpoint")
        self.state = state
        self.report.resumed = True

    @property
    def finished(self) -> bool:
        """True when the checkpoint records the operation as complete (nothing left to do)."""
        return self.report.complete

    def due(self) -> bool:
        """True when a checkpoint should be saved now."""
        return self.checkpoint is not None and self.checkpoint.due()

    def save(self, state: dict[str, Any], *, complete: bool = False) -> None:
        """Record ``state`` (whose writes are all acknowledged) in the checkpoint, if any."""
        if complete:
            self.report.complete = True
        if self.checkpoint is None:
            return
        self.checkpoint.save(
            {
                "operation": self.operation,
                "target": self.target,
                "params": self.params,
                "state": state,
                "report": self.report.to_dict(),
            }
        )

    def save_on_failure(
        self, state: dict[str, Any], sync: Callable[[], None] = lambda: None
    ) -> None:
        """While the run fails: make the work behind ``state`` durable with ``sync`` and save
        it, so the rerun continues from it. The run's own error is the one the caller gets: a
        failure to save is logged as a warning (the rerun then repeats work since the last
        save), never raised."""
        try:
            sync()
            self.save(state)
        except Exception as exc:
            where = self.checkpoint.path if self.checkpoint is not None else "(none)"
            logger.warning(
                "%s: could not save checkpoint %s while the run failed (%s: %s); a rerun "
                "repeats the work done since its last save",
                self.operation,
                where,
                type(exc).__name__,
                exc,
            )

    def progress(self) -> None:
        """Tell the progress callback, if any."""
        if self.progress_callback is not None:
            self.progress_callback(self.report.snapshot())
