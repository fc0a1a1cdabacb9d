"""CapacityLimiter: keep a bulk operation's writes under a budget of capacity units per second."""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from approvals.errors import ValidationError

__all__ = [
    "CapacityLimiter",
    "backoff",
    "consumed_units",
    "estimate_read_units",
    "estimate_write_units",
]

_WRITE_UNIT_BYTES = 1024
_READ_UNIT_BYTES = 4096
_BACKOFF_BASE = 0.05
_BACKOFF_CAP = 5.0


class CapacityLimiter:
    """Paces calls so that the capacity they consume stays at most ``rate`` units per second.

    Call :meth:`acquire` before a request and :meth:`consume` with the units its response
    reported (``ReturnConsumedCapacity=TOTAL``). The budget is spent evenly (no burst): after a
    call that consumed ``u`` units, the next one waits until ``u / rate`` seconds have passed.
    Thread-safe. ``clock`` and ``sleep`` are injectable so the pacing can be checked without
    waiting.

    Usage::

        limiter = CapacityLimiter(50)      # 50 write units per second
        limiter.acquire()
        response = client.put_item(..., ReturnConsumedCapacity="TOTAL")
        limiter.consume(consumed_units(response, fallback=1))
    """

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """Raises ValidationError unless ``rate`` is a positive number."""
        check_rate(rate)
        self.rate = float(rate)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._next_free = clock()

    def acquire(self) -> None:
        """Wait until the capacity consumed so far is paid for at ``rate``."""
        with self._lock:
            wait = self._next_free - self._clock()
        if wait > 0:
            self._sleep(wait)

    def consume(self, units: float) -> None:
        """Record ``units`` consumed by a call that has completed."""
        with self._lock:
            self._next_free = max(self._next_free, self._clock()) + max(units, 0.0) / self.rate


def check_rate(rate: object) -> None:
    """Raise ValidationError unless ``rate`` is None or a positive number."""
    if rate is None:
        return
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not rate > 0:
        raise ValidationError(
            f"rate_limit must be a positive number of capacity units per second, got {rate!r}",
            field="rate_limit",
        )


def consumed_units(response: Mapping[str, Any], *, fallback: float) -> float:
    """Return the capacity units a DynamoDB response reports (``ConsumedCapacity``, a dict or a
    list of dicts), or ``fallback`` when the server reported none."""
    consumed = response.get("ConsumedCapacity")
    entries = consumed if isinstance(consumed, list) else [consumed] if consumed else []
    units = [float(e["CapacityUnits"]) for e in entries if "CapacityUnits" in e]
    return sum(units) if units else fallback


def estimate_write_units(item: Mapping[str, Mapping[str, Any]]) -> float:
    """Return the write units DynamoDB charges for ``item``: one per started KiB of its size."""
    return float(max(1, math.ceil(_size(item) / _WRITE_UNIT_BYTES)))


def estimate_read_units(items: Iterable[Mapping[str, Mapping[str, Any]]]) -> float:
    """Return the read units a strongly consistent Scan page of ``items`` costs: one per
    started 4 KiB of their total size."""
    return float(max(1, math.ceil(sum(_size(item) for item in items) / _READ_UNIT_BYTES)))


def _size(item: Mapping[str, Mapping[str, Any]]) -> int:
    size = 0
    for name, value in item.items():
        size += len(name.encode("utf-8"))
        for scalar in value.values():
            size += len(str(scalar).encode("utf-8"))
    return size


def backoff(attempt: int) -> float:
    """Seconds to wait before retry ``attempt`` (exponential from 50 ms, capped, full jitter)."""
    return random.uniform(0, min(_BACKOFF_CAP, _BACKOFF_BASE * 2**attempt))
