"""Pacing and retries of approvals.migrate: CapacityLimiter and write_batch."""

from __future__ import annotations

import pytest

from approvals import Throttled, ValidationError
from approvals.migrate import CapacityLimiter
from approvals.migrate.dynamo import write_batch
from approvals.migrate.throttle import consumed_units, estimate_write_units


class FakeTime:
    """A clock that moves only when someone sleeps."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_the_first_call_does_not_wait() -> None:
    time = FakeTime()
    CapacityLimiter(10, clock=time.clock, sleep=time.sleep).acquire()
    assert time.slept == []


def test_each_call_waits_until_the_units_before_it_are_paid_at_the_rate() -> None:
    time = FakeTime()
    limiter = CapacityLimiter(10, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        limiter.acquire()
        limiter.consume(5)  # 5 units at 10/s: half a second each
    limiter.acquire()
    assert time.slept == [0.5, 0.5, 0.5]


def test_time_spent_elsewhere_counts_towards_the_wait() -> None:
    time = FakeTime()
    limiter = CapacityLimiter(10, clock=time.clock, sleep=time.sleep)
    limiter.acquire()
    limiter.consume(10)
    time.now += 0.75
    limiter.acquire()
    assert time.slept == [pytest.approx(0.25)]


@pytest.mark.parametrize("rate", [0, -1, "fast", True])
def test_a_rate_must_be_a_positive_number(rate: object) -> None:
    with pytest.raises(ValidationError, match="rate_limit"):
        CapacityLimiter(rate)  # type: ignore[arg-type]


def test_consumed_units_reads_single_and_batch_responses() -> None:
    assert consumed_units({"ConsumedCapacity": {"CapacityUnits": 2.5}}, fallback=9) == 2.5
    batch = {"ConsumedCapacity": [{"CapacityUnits": 1.0}, {"CapacityUnits": 3.0}]}
    assert consumed_units(batch, fallback=9) == 4.0
    assert consumed_units({}, fallback=9) == 9


def test_an_item_costs_one_write_unit_per_started_kib() -> None:
    assert estimate_write_units({"id": {"S": "x"}}) == 1
    assert estimate_write_units({"id": {"S": "x" * 1500}}) == 2


def test_unprocessed_items_are_resent_with_growing_backoff() -> None:
    sent: list[list[str]] = []
    pauses: list[float] = []
    leftovers = [["b", "c"], ["c"], []]

    def send(items: list[dict]) -> tuple[list[dict], float]:
        sent.append([i["id"]["S"] for i in items])
        left = leftovers[len(sent) - 1]
        return [i for i in items if i["id"]["S"] in left], 1.0

    items = [{"id": {"S": name}} for name in "abc"]
    units = write_batch(send, items, sleep=pauses.append)

    assert sent == [["a", "b", "c"], ["b", "c"], ["c"]]
    assert units == 3.0
    assert len(pauses) == 2 and all(0 <= p <= 5.0 for p in pauses)


def test_items_still_unprocessed_after_every_attempt_are_throttled() -> None:
    def send(items: list[dict]) -> tuple[list[dict], float]:
        return items, 1.0

    with pytest.raises(Throttled, match="unprocessed"):
        write_batch(send, [{"id": {"S": "a"}}], sleep=lambda s: None, max_attempts=3)
