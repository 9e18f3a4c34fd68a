"""How often and how patiently we ask: per-host spacing, Retry-After and backoff.

Pure bookkeeping with an injectable clock and sleep, so tests assert waits without waiting.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

Clock = Callable[[], float]
Sleep = Callable[[float], None]


@dataclass(frozen=True)
class Politeness:
    """The limits one run keeps towards the sites it reads.

    ``host_interval``: seconds between two requests to one host (1.0 = one per second).
    ``max_concurrency``: requests in flight at once, all hosts together, in this process.
    ``max_attempts``: tries per URL for transient errors (timeouts, dropped connections,
    429/502/503/504). ``retry_after_cap``: the longest ``Retry-After`` we wait; a server asking
    for more fails the fetch. ``backoff_base``/``backoff_cap``: the first and the longest pause
    of the exponential backoff.
    """

    host_interval: float = 1.0
    max_concurrency: int = 4
    max_attempts: int = 3
    retry_after_cap: float = 120.0
    backoff_base: float = 1.0
    backoff_cap: float = 60.0


class HostRateLimiter:
    """Spaces requests to each host by at least ``interval`` seconds; thread-safe.

    A caller reserves the host's next free slot under the lock, then sleeps outside it until
    the slot comes, so threads waiting for one host never hold up another host.
    """

    def __init__(
        self, interval: float, *, clock: Clock = time.monotonic, sleep: Sleep = time.sleep
    ) -> None:
        self.interval = interval
        self._clock = clock
        self._sleep = sleep
        self._next_slot: dict[str, float] = {}
        self._lock = threading.Lock()

    def wait(self, host: str, *, interval: float | None = None) -> float:
        """Block until ``host`` may be asked again; returns the seconds waited."""
        spacing = self.interval if interval is None else interval
        with self._lock:
            now = self._clock()
            slot = max(now, self._next_slot.get(host, now))
            self._next_slot[host] = slot + spacing
        delay = slot - now
        if delay > 0:
            self._sleep(delay)
        return delay

    def defer(self, host: str, seconds: float) -> None:
        """Keep every caller off ``host`` for ``seconds`` from now (a server said so)."""
        with self._lock:
            until = self._clock() + seconds
            self._next_slot[host] = max(self._next_slot.get(host, until), until)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` value (delta-seconds or an HTTP-date).

    None when the header is missing or unreadable; a date in the past gives 0.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # HTTP-dates are GMT by definition
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def backoff_delay(
    attempt: int, *, base: float, cap: float, rand: Callable[[], float] = random.random
) -> float:
    """The pause before retry number ``attempt`` (1 = first retry): exponential, jittered.

    Half the exponential step is fixed and half random ("equal jitter"), so retries from
    many workers spread out yet never come back sooner than half the step.
    """
    step = min(cap, base * 2.0 ** (attempt - 1))
    return step / 2 + rand() * step / 2
