"""Parallel, streaming scans: :func:`scan_requests` and :class:`ScanRun`, the checkpointed scan
the bulk operations share. Each segment is read by its own thread into a bounded queue, so
memory stays at about two pages per segment however large the table.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable, Generator, Iterator
from typing import Any

from approvals.errors import ValidationError
from approvals.migrate.backend import backend_for
from approvals.migrate.options import DEFAULT_PAGE_SIZE, DEFAULT_SEGMENTS, BulkOptions
from approvals.migrate.protocol import Backend, Page, ScanRequest
from approvals.migrate.report import MigrationReport
from approvals.migrate.run import Run
from approvals.request import Request, RequestStatus
from approvals.store import Store
from approvals.store.base import check_status

__all__ = ["ScanRun", "scan_requests"]

_DONE = object()


class ScanRun:
    """One checkpointed bulk run over a scan: its :class:`Run`, the backend, and each segment's
    position, saved only once the pages before it are handled. A resumed run must have the same
    segment count, ``status`` filter and share."""

    def __init__(
        self, store: Store, options: BulkOptions, operation: str, status: RequestStatus | str | None
    ) -> None:
        self.options = options
        self.status = _optional_status(status)
        self.backend = backend_for(store)
        status_value = None if self.status is None else self.status.value
        params = {"segments": options.segments, "status": status_value}
        self.run = Run(options, operation=operation, target=self.backend.target, params=params)

    def drive(
        self,
        handle: Callable[[Page], None],
        *,
        state: Callable[[], dict[str, Any]] = dict,
        sync: Callable[[], None] = lambda: None,
    ) -> MigrationReport:
        """Hand every page not done yet to ``handle``, then checkpoint the positions with
        ``state()``; ``sync`` makes what was handled durable before a save. On an error the last
        handled state is saved (:meth:`Run.save_on_failure`) before the error propagates.
        Returns the report."""
        run = self.run
        if run.finished:
            return run.report
        names = self.backend.segment_names(self.options, self.status)
        positions: dict[str, dict[str, Any]] = {n: {"key": None, "done": False} for n in names}
        if run.state is not None:
            positions = _saved_positions(run.state, names)
        starts = {name: pos["key"] for name, pos in positions.items() if not pos["done"]}
        pages = _iter_pages(self.backend, starts, self.options, self.status)
        committed: dict[str, Any] | None = None
        try:
            for page in pages:
                handle(page)
                positions[page.segment] = {"key": page.next_key, "done": page.next_key is None}
                if run.checkpoint is not None:
                    committed = {"segments": dict(positions), **state()}
                    if run.due():
                        sync()
                        run.save(committed)
                run.progress()
            if not run.report.dry_run:
                sync()
            final = {} if run.checkpoint is None else {"segments": positions, **state()}
            run.save(final, complete=True)
            run.progress()
        except BaseException:
            if committed is not None:
                run.save_on_failure(committed, sync)
            raise
        finally:
            pages.close()
        return run.report


def scan_requests(
    store: Store,
    *,
    segments: int = DEFAULT_SEGMENTS,
    status: RequestStatus | str | None = None,
    page_size: int = DEFAULT_PAGE_SIZE,
    rate_limit: float | None = None,
    segment: int | None = None,
    total_segments: int | None = None,
) -> Iterator[Request]:
    """Yield every stored request (only those in ``status`` when given), in no particular order.

    On a DynamoDB store it is a parallel Scan of ``segments`` segments, one thread each, with a
    strongly consistent read and ``status`` as a filter (the whole table is read and charged);
    ``rate_limit`` caps the read capacity units consumed per second over all segments. Each item
    is decoded straight from DynamoDB JSON into a Request. Memory stays constant: pages stream
    through a bounded queue. Other stores are read status by status through their public
    methods (``segments`` and ``rate_limit`` do not apply). With ``segment`` and
    ``total_segments``, only that share of the table is read (see :class:`BulkOptions`).

    Raises ValidationError for bad arguments, StoreError for backend failures or for an item
    that is not a valid request (``export_jsonl`` exports such items as they are).
    Closing the iterator early stops the scan threads.
    """
    options = BulkOptions.from_keywords(locals())
    wanted = _optional_status(status)
    backend = backend_for(store)
    names = backend.segment_names(options, wanted)
    pages = _iter_pages(backend, dict.fromkeys(names), options, wanted)
    # Checked above, at the call; the scan itself starts on the first next().
    return _requests(backend, pages)


def _optional_status(status: RequestStatus | str | None) -> RequestStatus | None:
    return None if status is None else check_status(status)


def _requests(backend: Backend, pages: Generator[Page, None, None]) -> Iterator[Request]:
    try:
        for page in pages:
            for raw in page.items:
                yield backend.codec.to_request(raw)
    finally:
        pages.close()


def _iter_pages(
    backend: Backend,
    starts: dict[str, Any],
    options: BulkOptions,
    status: RequestStatus | None,
) -> Generator[Page, None, None]:
    """Yield the pages of every segment in ``starts`` (segment -> resume position), each read by
    its own thread. A failure in any segment is raised here; closing the iterator (or an error)
    stops every thread before it returns.
    """
    if not starts:
        return
    rate_limit = options.rate_limit
    read_rate = None if rate_limit is None else rate_limit / len(starts)
    # One page waiting per segment: memory stays at about two pages per segment.
    channel: queue.Queue[Any] = queue.Queue(maxsize=len(starts))
    stop = threading.Event()

    def read(segment: str, start: Any) -> None:
        try:
            for page in backend.pages(ScanRequest(segment, start, options, status, read_rate)):
                channel.put(page)
                if stop.is_set():
                    return
            channel.put(_DONE)
        except BaseException as exc:  # handed to the consumer, which raises it
            channel.put(exc)

    threads = [
        threading.Thread(target=read, args=item, name=f"approvals-scan-{item[0]}", daemon=True)
        for item in starts.items()
    ]
    for thread in threads:
        thread.start()
    running = len(threads)
    try:
        while running:
            message = channel.get()
            if message is _DONE:
                running -= 1
            elif isinstance(message, BaseException):
                raise message
            else:
                yield message
    finally:
        stop.set()
        # Readers blocked on a full queue wake up as it is drained, see stop and exit.
        while any(thread.is_alive() for thread in threads):
            with contextlib.suppress(queue.Empty):
                channel.get(timeout=0.05)
        for thread in threads:
            thread.join()


def _saved_positions(state: dict[str, Any], names: list[str]) -> dict[str, dict[str, Any]]:
    """Return the per-segment scan positions a checkpoint state records for ``names``.

    Raises ValidationError when they do not fit (another segment count) or are damaged.
    """
    saved = state.get("segments")
    if not isinstance(saved, dict) or sorted(saved) != sorted(names):
        raise ValidationError("the checkpoint's scan segments do not match", field="checkpoint")
    positions: dict[str, dict[str, Any]] = {}
    for name in names:
        entry = saved[name]
        if not isinstance(entry, dict) or not isinstance(entry.get("done"), bool):
            raise ValidationError("the checkpoint's scan positions are damaged", field="checkpoint")
        positions[name] = {"key": entry.get("key"), "done": entry["done"]}
    return positions
