"""BulkOptions: how one bulk operation runs, checked once and passed as one value."""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from approvals.errors import ValidationError
from approvals.migrate.checkpoint import CheckpointLike
from approvals.migrate.report import ProgressCallback
from approvals.migrate.throttle import check_rate

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "DEFAULT_SEGMENTS",
    "MAX_SEGMENTS",
    "MAX_TOTAL_SEGMENTS",
    "BulkOptions",
]

DEFAULT_SEGMENTS = 4
"""Parallel scan segments (threads) a bulk operation uses unless told otherwise."""
DEFAULT_PAGE_SIZE = 1000
"""Items per Scan call (DynamoDB also ends a page at 1 MB); each page is one checkpoint step."""
MAX_SEGMENTS = 1000
"""Most scan threads of one run."""
MAX_TOTAL_SEGMENTS = 1_000_000
"""DynamoDB's limit of ``TotalSegments``: the most processes one segmented job can use."""


@dataclass(frozen=True)
class BulkOptions:
    """The options of one bulk operation (the public functions build it from their keywords).

    * ``segments``: scan threads of a whole-table run.
    * ``segment`` / ``total_segments``: this run's share of a job spread over ``total_segments``
      processes or hosts: scans read DynamoDB's scan segment ``segment`` of ``total_segments``
      (one thread), imports write the input lines whose id falls in that share. Every share
      has its own checkpoint; the shares together cover everything exactly once.
    * ``page_size``: items per Scan call; ``rate_limit``: capacity units per second;
      ``checkpoint``, ``dry_run``, ``progress`` as documented on each operation;
      ``workers``: writes in flight at once (None: the operation's default).

    Raises ValidationError naming the field when a value is out of range.
    """

    segments: int = DEFAULT_SEGMENTS
    segment: int | None = None
    total_segments: int | None = None
    page_size: int = DEFAULT_PAGE_SIZE
    rate_limit: float | None = None
    checkpoint: CheckpointLike | None = None
    dry_run: bool = False
    progress: ProgressCallback | None = None
    workers: int | None = None

    def __post_init__(self) -> None:
        _check_int("segments", self.segments, 1, MAX_SEGMENTS)
        _check_int("page_size", self.page_size, 1, None)
        check_rate(self.rate_limit)
        if self.workers is not None:
            _check_int("workers", self.workers, 1, None)
        if (self.segment is None) != (self.total_segments is None):
            field = "total_segments" if self.total_segments is None else "segment"
            raise ValidationError(
                "segment and total_segments go together (this run's share of the job)", field=field
            )
        if self.total_segments is not None:
            _check_int("total_segments", self.total_segments, 1, MAX_TOTAL_SEGMENTS)
            _check_int("segment", self.segment, 0, self.total_segments - 1)
        if not isinstance(self.dry_run, bool):
            raise ValidationError("dry_run must be True or False", field="dry_run")

    @classmethod
    def from_keywords(cls, keywords: Mapping[str, Any]) -> BulkOptions:
        """Build the options from a public function's keywords (its ``locals()`` on entry): the
        keywords named as fields are the options, the others are left out."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{name: value for name, value in keywords.items() if name in names})

    @property
    def share(self) -> tuple[int, int] | None:
        """``(segment, total_segments)`` for a share of a job, None for a whole-table run."""
        if self.segment is None or self.total_segments is None:
            return None
        return self.segment, self.total_segments

    def share_params(self) -> dict[str, int]:
        """What a checkpoint records of the share (a resumed run must be the same share)."""
        share = self.share
        return {} if share is None else {"segment": share[0], "total_segments": share[1]}

    def owns(self, request_id: str) -> bool:
        """True when ``request_id`` belongs to this run's share (always, for a whole job).

        The share of an id is a CRC-32 of it modulo ``total_segments``: the same on every host.
        """
        share = self.share
        if share is None:
            return True
        return zlib.crc32(request_id.encode("utf-8", "surrogatepass")) % share[1] == share[0]


def _check_int(field: str, value: object, low: int, high: int | None) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationError(f"{field} must be an integer, got {value!r:.40}", field=field)
    if value < low or (high is not None and value > high):
        bound = f"{low} to {high}" if high is not None else f"at least {low}"
        raise ValidationError(f"{field} must be {bound}, got {value}", field=field)
