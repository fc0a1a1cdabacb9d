"""Delivering events to notifiers: in the caller's thread, or on a worker thread.

:func:`deliver` runs notifiers in order and logs (on ``approvals.events``) the ones that raise;
:class:`BackgroundDispatcher` runs it on a worker thread with a bounded queue.
"""

from __future__ import annotations

import atexit
import logging
import queue
import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from approvals.events import Event, Notifier

__all__ = ["BackgroundDispatcher", "deliver"]

logger = logging.getLogger("approvals.events")


def deliver(event: Event, notifiers: Sequence[Notifier]) -> int:
    """Give ``event`` to each notifier in order; returns how many raised (each is logged).

    Never raises for a notifier's failure (``Exception``); lets BaseException through.
    """
    failures = 0
    for notifier in notifiers:
        try:
            notifier.notify(event)
        except Exception:
            failures += 1
            logger.exception(
                "notifier %r failed on the %s event of request %s",
                notifier,
                event.kind.value,
                event.request_id,
            )
    return failures


_STOP = object()


class BackgroundDispatcher:
    """Runs notifiers on a worker thread so slow ones stay off the request path.

    Events wait in a queue of at most ``maxsize``; when it is full the event is dropped, counted
    in :attr:`dropped` and logged (at counts 1, 2, 4, 8, ... to bound the log volume).
    :meth:`close` delivers what is queued and stops the worker; it also runs at interpreter exit,
    waiting at most ``exit_timeout`` seconds for a slow notifier. After close, events are
    delivered synchronously by the caller.
    """

    def __init__(self, maxsize: int = 1000, *, exit_timeout: float = 5.0) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self._queue: queue.Queue[Any] = queue.Queue(maxsize)
        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._pending = 0
        self._dropped = 0
        self._closed = False
        self._stop_sent = False
        self._exit_timeout = exit_timeout
        self._worker = threading.Thread(target=self._run, name="approvals-notify", daemon=True)
        self._worker.start()
        atexit.register(self._close_at_exit)

    @property
    def dropped(self) -> int:
        """How many events were dropped because the queue was full."""
        with self._lock:
            return self._dropped

    @property
    def pending(self) -> int:
        """How many events are queued or being delivered."""
        with self._lock:
            return self._pending

    def submit(self, event: Event, notifiers: Sequence[Notifier]) -> bool:
        """Queue ``event`` for ``notifiers``; returns False when it was dropped (queue full).

        After :meth:`close` the event is delivered before returning (True).
        """
        with self._lock:
            closed = self._closed
            if not closed:
                try:
                    self._queue.put_nowait((event, tuple(notifiers)))
                except queue.Full:
                    self._dropped += 1
                    dropped = self._dropped
                else:
                    self._pending += 1
                    return True
        if closed:
            deliver(event, notifiers)
            return True
        if dropped & (dropped - 1) == 0:
            logger.warning(
                "notification queue full (%d events): dropped the %s event of request %s; "
                "%d dropped so far",
                self._queue.maxsize,
                event.kind.value,
                event.request_id,
                dropped,
            )
        return False

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until every queued event is delivered; returns False if ``timeout`` ran out."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    def close(self, timeout: float | None = None) -> None:
        """Deliver the queued events, then stop the worker (idempotent).

        Waits at most ``timeout`` seconds (None: as long as it takes); when it runs out, logs how
        many events were left undelivered. Returns None.
        """
        with self._lock:
            self._closed = True
        atexit.unregister(self._close_at_exit)
        if not self._stop_sent:
            try:
                # Waits only while the queue is full: the worker is draining it.
                self._queue.put(_STOP, timeout=timeout)
                self._stop_sent = True
            except queue.Full:
                pass  # the worker is stuck; reported below, and a later close() tries again
        self._worker.join(timeout)
        if self._worker.is_alive():
            logger.warning(
                "notification worker still busy after %s s: %d events not delivered yet",
                timeout,
                self.pending,
            )

    def _close_at_exit(self) -> None:
        self.close(self._exit_timeout)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            event, notifiers = item
            try:
                deliver(event, notifiers)
            finally:
                with self._idle:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.notify_all()
