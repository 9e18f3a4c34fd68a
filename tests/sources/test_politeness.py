"""Per-host spacing, Retry-After parsing and backoff, with a fake clock: no real waiting."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from sources.politeness import HostRateLimiter, backoff_delay, parse_retry_after


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.sleeps: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.sleeps.append(seconds)


def test_first_request_to_a_host_does_not_wait() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(1.0, clock=clock, sleep=clock.sleep)
    assert limiter.wait("https://a.example") == 0
    assert clock.sleeps == []


def test_requests_to_one_host_are_spaced_by_the_interval() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(1.0, clock=clock, sleep=clock.sleep)
    waits = [limiter.wait("https://a.example") for _ in range(3)]
    # Nothing advanced the clock, so each caller reserves the next free slot.
    assert waits == [0.0, 1.0, 2.0]
    assert clock.sleeps == [1.0, 2.0]


def test_hosts_are_limited_independently() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(1.0, clock=clock, sleep=clock.sleep)
    limiter.wait("https://a.example")
    assert limiter.wait("https://b.example") == 0


def test_time_passing_frees_the_slot() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(2.0, clock=clock, sleep=clock.sleep)
    limiter.wait("https://a.example")
    clock.now += 1.5
    assert limiter.wait("https://a.example") == pytest.approx(0.5)


def test_zero_interval_never_waits() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(1.0, clock=clock, sleep=clock.sleep)
    assert [limiter.wait("http://127.0.0.1:1", interval=0.0) for _ in range(3)] == [0, 0, 0]


def test_defer_holds_off_every_caller() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(1.0, clock=clock, sleep=clock.sleep)
    limiter.defer("https://a.example", 30)
    assert limiter.wait("https://a.example") == 30


def test_concurrent_callers_get_distinct_slots() -> None:
    clock = FakeClock()
    limiter = HostRateLimiter(1.0, clock=clock, sleep=clock.sleep)
    waits: list[float] = []
    lock = threading.Lock()

    def call() -> None:
        waited = limiter.wait("https://a.example")
        with lock:
            waits.append(waited)

    threads = [threading.Thread(target=call) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=5)
    assert sorted(waits) == [float(i) for i in range(8)]


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("Thu, 30 Jan 2025 01:00:30 GMT", 30.0),
        ("Thu, 30 Jan 2025 00:59:00 GMT", 0.0),  # already past
        ("soon", None),
        (None, None),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    now = datetime(2025, 1, 30, 1, 0, tzinfo=UTC)
    assert parse_retry_after(value, now=now) == seconds


def test_backoff_grows_exponentially_with_bounded_jitter() -> None:
    low = [backoff_delay(n, base=1.0, cap=60, rand=lambda: 0.0) for n in (1, 2, 3, 4)]
    high = [backoff_delay(n, base=1.0, cap=60, rand=lambda: 1.0) for n in (1, 2, 3, 4)]
    assert low == [0.5, 1.0, 2.0, 4.0]
    assert high == [1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(20, base=1.0, cap=60, rand=lambda: 1.0) == 60
