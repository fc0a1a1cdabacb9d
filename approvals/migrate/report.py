"""MigrationReport: what a bulk operation did, for callers, progress callbacks and checkpoints."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["MAX_REPORTED_IDS", "MigrationReport", "ProgressCallback"]

MAX_REPORTED_IDS = 100
"""How many conflicting or invalid request ids a report lists (the counts are always exact)."""

_COUNTS = ("scanned", "written", "unchanged", "already_present", "conflicts", "invalid")


@dataclass
class MigrationReport:
    """The counts of one bulk operation (cumulative over the runs that share a checkpoint).

    * ``scanned``: items read from the table (export, sweep, normalize, rewrite) or request lines
      read from the input (import).
    * ``written``: items written (exported lines, imported or rewritten items); in a dry run,
      the items that would have been written.
    * ``unchanged``: items left as they were (the transform returned None, or the item already
      had exactly the form it would have been given).
    * ``already_present``: import only: the item was already stored, identical to the line.
    * ``conflicts``: writes refused to protect other writers: a request changed or deleted
      meanwhile (sweep, normalize, rewrite), or an import line whose id is stored with different
      content (create-only). Nothing was overwritten; ``conflict_ids`` lists the first
      :data:`MAX_REPORTED_IDS` ids.
    * ``invalid``: stored items that could not be read as a request (rewrite operations skip
      them); ``invalid_ids`` lists the first ids.
    * ``resumed``: this run continued from a checkpoint; ``complete``: the operation finished.
    """

    operation: str
    dry_run: bool = False
    scanned: int = 0
    written: int = 0
    unchanged: int = 0
    already_present: int = 0
    conflicts: int = 0
    invalid: int = 0
    conflict_ids: list[str] = field(default_factory=list)
    invalid_ids: list[str] = field(default_factory=list)
    resumed: bool = False
    complete: bool = False

    def add_conflict(self, request_id: str) -> None:
        """Count a conflict on ``request_id``."""
        self.conflicts += 1
        if len(self.conflict_ids) < MAX_REPORTED_IDS:
            self.conflict_ids.append(request_id)

    def add_invalid(self, request_id: str) -> None:
        """Count an unreadable stored item."""
        self.invalid += 1
        if len(self.invalid_ids) < MAX_REPORTED_IDS:
            self.invalid_ids.append(request_id)

    def snapshot(self) -> MigrationReport:
        """Return an independent copy (what progress callbacks receive)."""
        return dataclasses.replace(
            self, conflict_ids=list(self.conflict_ids), invalid_ids=list(self.invalid_ids)
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the report as a JSON-ready dict."""
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MigrationReport:
        """Return the report ``to_dict`` produced; raises KeyError/TypeError when malformed."""
        report = cls(operation=str(data["operation"]), dry_run=bool(data["dry_run"]))
        for name in _COUNTS:
            setattr(report, name, int(data[name]))
        report.conflict_ids = [str(i) for i in data["conflict_ids"]]
        report.invalid_ids = [str(i) for i in data["invalid_ids"]]
        report.complete = bool(data["complete"])
        return report

    def summary(self) -> str:
        """Return a one-line human summary, e.g. ``export: 120 scanned, 120 written``."""
        parts = [
            f"{self.scanned} scanned",
            f"{self.written} {'to write' if self.dry_run else 'written'}",
        ]
        for name in ("unchanged", "already_present", "conflicts", "invalid"):
            value = getattr(self, name)
            if value:
                parts.append(f"{value} {name.replace('_', ' ')}")
        prefix = f"{self.operation} (dry run)" if self.dry_run else self.operation
        return f"{prefix}: {', '.join(parts)}"


ProgressCallback = Callable[[MigrationReport], None]
"""Called with a snapshot of the report after every page or batch, and once at the end."""
