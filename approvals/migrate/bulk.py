"""Bulk rewrites: :func:`rewrite` and the two built on it, :func:`sweep_expired` and
:func:`normalize`.

Every write is conditional on the item being exactly as it was read, so a bulk job never
clobbers a request an approver touched meanwhile: such a write is refused, counted as a conflict
and reported, and the job goes on.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from approvals.errors import (
    ConcurrentModification,
    InvalidStateTransition,
    RequestNotFound,
    StoreError,
    ValidationError,
)
from approvals.migrate.checkpoint import CheckpointLike
from approvals.migrate.options import DEFAULT_PAGE_SIZE, DEFAULT_SEGMENTS, BulkOptions
from approvals.migrate.protocol import Backend, Page, RawItem
from approvals.migrate.report import MigrationReport, ProgressCallback
from approvals.migrate.run import Run
from approvals.migrate.scan import ScanRun
from approvals.migrate.throttle import CapacityLimiter, estimate_write_units
from approvals.request import Request, RequestStatus
from approvals.store import Store
from approvals.store.table import item_id
from approvals.times import (
    StoredTime,
    format_instant,
    format_time,
    instant_ns,
    is_canonical,
    parse_time,
)

__all__ = ["Transform", "canonical_time", "normalize", "rewrite", "sweep_expired"]

Transform = Callable[[Request], Request | None]
"""Maps a stored request to the request to store instead, or None to leave it as it is."""

DEFAULT_WORKERS = 4
"""Writes a bulk rewrite keeps in flight at once."""


@dataclass
class _Write:
    current: Request
    new: Request
    new_raw: RawItem
    transition: bool  # a status change, through the store's update


def rewrite(
    store: Store,
    transform: Transform,
    *,
    status: RequestStatus | str | None = None,
    segments: int = DEFAULT_SEGMENTS,
    page_size: int = DEFAULT_PAGE_SIZE,
    rate_limit: float | None = None,
    checkpoint: CheckpointLike | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> MigrationReport:
    """Apply ``transform`` to every stored request (only those in ``status`` when given) and
    store what it returns; return the report.

    ``transform`` runs in the calling thread, one request at a time. It returns None to leave
    the item untouched, or the request to store:

    * a different status (e.g. ``request.expire()``): written with the store's conditional
      update (:meth:`Store.update`), so only a legal transition of an unchanged request lands;
      keep ``updated_at`` as read (the lock token), as the Request methods do;
    * the same status: the item is replaced by the canonical form of the returned request,
      with a PutItem conditional on the stored ``updated_at`` string and status being the ones
      read. An item already exactly in that form is counted ``unchanged`` and not written.

    A write refused because the request changed or vanished since it was read is counted as a
    conflict (its id reported) and nothing is overwritten. Items that are not valid requests are
    counted ``invalid`` and skipped. ``rate_limit`` caps the read capacity units per second of
    the scan and, separately, the write units per second. A dry run writes nothing and counts
    what it would write.

    With a ``checkpoint``, each scan segment's position is saved once every write of the pages
    before it is acknowledged; a rerun continues from there. Make ``transform`` idempotent
    (None for a request it already rewrote) so that the pages a killed run was working on are
    not rewritten twice on the rerun.

    Raises ValidationError for bad arguments or a returned request that is invalid, changes the
    id, or (with a new status) changes ``updated_at``; InvalidStateTransition for a status change
    the state machine forbids; StoreError for backend failures; whatever ``transform`` raises.
    """
    options = BulkOptions.from_keywords(locals())
    return _run_rewrite(store, lambda state: (transform, {}), "rewrite", status, options)


def sweep_expired(
    store: Store,
    *,
    now: datetime | None = None,
    segments: int = DEFAULT_SEGMENTS,
    page_size: int = DEFAULT_PAGE_SIZE,
    rate_limit: float | None = None,
    checkpoint: CheckpointLike | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> MigrationReport:
    """Move every pending request whose ``expires_at`` is at or before ``now`` (default: the
    current time) to ``expired``, through the store's conditional update; return the report.

    DynamoDB's TTL deletes expired items up to days late; until then they still read as pending.
    A request an approver decided (or anyone changed) since the scan read it is not touched:
    the refused write is counted in ``conflicts``. A resumed sweep keeps the cut-off time of
    the run it continues. Options and errors as for :func:`rewrite`.
    """
    if now is not None and (not isinstance(now, datetime) or now.utcoffset() is None):
        raise ValidationError("now must be a timezone-aware datetime", field="now")
    options = BulkOptions.from_keywords(locals())

    def plan(state: dict[str, Any] | None) -> tuple[Transform, dict[str, Any]]:
        if state is not None and isinstance(state.get("cutoff"), str):
            try:
                cutoff: datetime = parse_time(state["cutoff"])
            except ValueError:
                raise ValidationError(
                    "the checkpoint's cut-off time is damaged", field="checkpoint"
                ) from None
        else:
            cutoff = now if now is not None else datetime.now(timezone.utc)

        def expire(request: Request) -> Request | None:
            if request.status is RequestStatus.PENDING and request.expires_at <= cutoff:
                return request.expire(now=cutoff)
            return None

        return expire, {"cutoff": format_time(cutoff)}

    return _run_rewrite(store, plan, "sweep-expired", RequestStatus.PENDING, options)


def normalize(
    store: Store,
    *,
    segments: int = DEFAULT_SEGMENTS,
    page_size: int = DEFAULT_PAGE_SIZE,
    rate_limit: float | None = None,
    checkpoint: CheckpointLike | None = None,
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    workers: int | None = None,
) -> MigrationReport:
    """Rewrite every item stored in an older form into the canonical one; return the report.

    Older forms are the Go service's: RFC 3339 strings with trimmed fraction digits or an
    offset, Unix-seconds strings, a missing ``ttl``, missing ``approver``/``approver_comment``.
    The canonical form has UTC times with nine fraction digits and ``Z`` (Go's nanosecond digits
    are kept), ``ttl`` = Unix seconds of ``expires_at``, and every attribute present. Values do
    not change, only their representation; but the lock token is compared as a stored string, so
    an update built from a read made before normalization gets ConcurrentModification and must
    read again (as after any concurrent write). Each item is replaced under the optimistic lock on
    its stored ``updated_at`` string: one changed meanwhile is counted as a conflict and left
    alone. Canonical items are counted ``unchanged``. Options and errors as for :func:`rewrite`.
    """
    options = BulkOptions.from_keywords(locals())
    return _run_rewrite(store, lambda state: (_canonical_request, {}), "normalize", None, options)


def canonical_time(value: datetime) -> datetime:
    """Return ``value`` as it is written: UTC, nine fraction digits, the last never 0, ``Z``.

    A time read from a table keeps its exact instant (nanoseconds included) and is returned
    unchanged when its stored string is already in that form (``…123456789Z``); trimmed
    (``…:09.5Z``), offset and Unix-second forms get the written form of the same instant, a shift
    of at most 1 ns. Other datetimes are returned as they are (they are written canonically).
    """
    wire: str | None = getattr(value, "wire", None)
    if wire is None or is_canonical(wire):
        return value
    return StoredTime.from_wire(format_instant(instant_ns(value)), value)


def _canonical_request(request: Request) -> Request:
    return dataclasses.replace(
        request,
        created_at=canonical_time(request.created_at),
        updated_at=canonical_time(request.updated_at),
        expires_at=canonical_time(request.expires_at),
    )


Plan = Callable[[dict[str, Any] | None], tuple[Transform, dict[str, Any]]]


def _run_rewrite(
    store: Store,
    plan: Plan,
    operation: str,
    status: RequestStatus | str | None,
    options: BulkOptions,
) -> MigrationReport:
    scan = ScanRun(store, options, operation, status)
    if scan.run.finished:
        return scan.run.report
    transform, extra_state = plan(scan.run.state)
    workers = options.workers or DEFAULT_WORKERS
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="approvals-rewrite") as pool:
        job = _RewriteJob(scan.backend, scan.run, transform, options.rate_limit, pool)
        return scan.drive(job.apply, state=lambda: extra_state)


class _RewriteJob:
    def __init__(
        self,
        backend: Backend,
        run: Run,
        transform: Transform,
        rate_limit: float | None,
        pool: ThreadPoolExecutor,
    ) -> None:
        self.backend = backend
        self.run = run
        self.transform = transform
        self.limiter = None if rate_limit is None else CapacityLimiter(rate_limit)
        self.pool = pool

    def apply(self, page: Page) -> None:
        """Plan every item of a page, write the planned ones, then count (all or nothing)."""
        items = page.items
        unchanged = 0
        invalid: list[str] = []
        writes: list[_Write] = []
        for raw in items:
            try:
                current = self.backend.codec.to_request(raw)
            except StoreError:
                invalid.append(item_id(raw) or "?")
                continue
            write = self._plan(raw, current)
            if write is None:
                unchanged += 1
            else:
                writes.append(write)
        report = self.run.report
        # A dry run counts every planned write as landed.
        landed = (
            [True] * len(writes) if report.dry_run else list(self.pool.map(self._write, writes))
        )
        report.scanned += len(items)
        report.unchanged += unchanged
        for request_id in invalid:
            report.add_invalid(request_id)
        for write, ok in zip(writes, landed, strict=True):
            if ok:
                report.written += 1
            else:
                report.add_conflict(write.current.id)

    def _plan(self, raw: RawItem, current: Request) -> _Write | None:
        new = self.transform(current)
        if new is None:
            return None
        if not isinstance(new, Request):
            raise ValidationError(
                f"the transform must return a Request or None, got {type(new).__name__}",
                request_id=current.id,
            )
        if new.id != current.id:
            raise ValidationError(
                f"the transform changed the id to {new.id!r:.40}", field="id", request_id=current.id
            )
        if new.status is not current.status:
            if not current.can_transition_to(new.status):
                raise InvalidStateTransition(
                    current.id, f"cannot move the request from {current.status} to {new.status}"
                )
            if new.updated_at != current.updated_at:
                raise ValidationError(
                    "a transform that changes the status must keep updated_at as read "
                    "(it is the lock token)",
                    field="updated_at",
                    request_id=current.id,
                )
            new.validate()
            return _Write(current, new, raw, transition=True)
        new.validate()
        new_raw = self.backend.codec.to_item(new)
        if new_raw == raw:
            return None
        return _Write(current, new, new_raw, transition=False)

    def _write(self, write: _Write) -> bool:
        if self.limiter is not None:
            self.limiter.acquire()
        if write.transition:
            units = estimate_write_units(write.new_raw)
            try:
                self.backend.store.update(write.new)
                landed = True
            except (ConcurrentModification, RequestNotFound):
                landed = False
        else:
            landed, units = self.backend.replace(write.new_raw, write.current)
        if self.limiter is not None:
            self.limiter.consume(units)
        return landed
