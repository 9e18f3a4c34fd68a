"""The fetcher the pipeline uses: one place where every request of a run goes through.

It holds the HTTP client and the limits of the run, and applies them in this order for each
URL: the address policy (no local addresses unless ``allow_local``), robots.txt, then for each
attempt the global concurrency limit, the per-host spacing, the caller's ``throttle`` and the
request itself (redirect hops re-checked against the address policy, and every connection
checked once more, on the very addresses it connects to: sources/guarded_backend.py). Transient
failures are retried with exponential backoff and jitter; ``429``/``503`` with ``Retry-After``
wait what the server asks, up to a cap. Loopback hosts (your own machine: tests, the demo) are
not spaced.

``counts`` tallies what politeness cost: ``robots_blocked``, ``robots_unavailable``,
``retries``, ``retry_after_waits``.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial

import httpx

from sources.addresses import (
    BLOCKED_ADDRESS,
    Resolver,
    check_public,
    is_loopback_host,
    system_resolver,
)
from sources.errors import (
    BlockedByRobots,
    FetchError,
    FetchTimeout,
    HTTPStatusError,
    SourceUnavailable,
)
from sources.fetch import FetchResult, fetch, make_client
from sources.guarded_backend import GuardedBackend
from sources.politeness import (
    HostRateLimiter,
    Politeness,
    Sleep,
    backoff_delay,
    parse_retry_after,
)
from sources.robots import MAX_ROBOTS_BYTES, RobotsPolicy, RobotsStore

RATE_LIMITED = "rate_limited"


def origin_of(url: str | httpx.URL) -> str:
    """``scheme://host[:port]`` of a URL (the port only when it is not the default)."""
    parsed = url if isinstance(url, httpx.URL) else httpx.URL(url)
    default = {"http": 80, "https": 443}.get(parsed.scheme)
    port = f":{parsed.port}" if parsed.port is not None and parsed.port != default else ""
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}{port}"


class Fetcher:
    """Fetches URLs for one run; ``close()`` (or ``with``) releases the connection pool.

    Everything that touches time or the network is injectable for tests: ``transport``
    (``httpx.MockTransport``), ``resolver`` (host → addresses), ``clock``/``sleep`` (the rate
    limiter, Retry-After and backoff waits), ``now`` (robots.txt age, HTTP-dates) and ``rand``
    (jitter). ``robots_store`` shares robots.txt answers between runs; ``throttle`` is called
    with the origin before each request, after robots and the per-host spacing (a hook for
    orchestration-wide limits).
    """

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float,
        max_bytes: int,
        transport: httpx.BaseTransport | None = None,
        politeness: Politeness | None = None,
        robots_store: RobotsStore | None = None,
        obey_robots: bool = True,
        resolver: Resolver = system_resolver,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = time.sleep,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        rand: Callable[[], float] = random.random,
        throttle: Callable[[str], None] | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.politeness = politeness or Politeness()
        # Opens every connection of the production client (no ``transport``): the addresses
        # checked are the ones connected to, so DNS rebinding cannot slip a local one in.
        self._backend = GuardedBackend(resolver)
        self.client = make_client(
            user_agent=user_agent, timeout=timeout, transport=transport, backend=self._backend
        )
        self.robots: RobotsPolicy | None = (
            RobotsPolicy(
                user_agent=user_agent,
                fetch_robots=self._fetch_robots,
                store=robots_store,
                now=now,
            )
            if obey_robots
            else None
        )
        self.limiter = HostRateLimiter(self.politeness.host_interval, clock=clock, sleep=sleep)
        self.counts: Counter[str] = Counter()
        self._resolver = resolver
        self._sleep = sleep
        self._now = now
        self._rand = rand
        self._throttle = throttle
        self._slots = threading.BoundedSemaphore(self.politeness.max_concurrency)
        self._counts_lock = threading.Lock()
        self._robots_failures: dict[str, FetchError] = {}  # origin -> why robots.txt failed
        self._loopback: dict[str, bool] = {}  # origin -> on a loopback address (no spacing)

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_local: bool = False,
    ) -> FetchResult:
        """GET ``url`` (conditionally when validators are given). Raises ``FetchError``:
        ``BlockedByRobots`` when robots.txt forbids it (nothing is requested), a
        ``SourceUnavailable`` of kind ``blocked_address`` for a local address without
        ``allow_local`` (redirects included), of kind ``rate_limited`` when the server asks to
        wait longer than the cap."""
        # Parsed once here (httpx's parser costs ~16 µs a URL, on every article fetched).
        parsed = httpx.URL(url)
        origin = origin_of(parsed)
        if not allow_local:
            check_public(parsed, resolver=self._resolver, requested=url)
        self._check_robots(url, origin, allow_local=allow_local)
        return self._with_retries(
            url, origin, allow_local, etag=etag, last_modified=last_modified, max_bytes=None
        )

    def check_robots(self, url: str, *, allow_local: bool = False) -> None:
        """Raise ``BlockedByRobots`` unless robots.txt lets us fetch ``url``."""
        self._check_robots(url, origin_of(url), allow_local=allow_local)

    def _check_robots(self, url: str, origin: str, *, allow_local: bool) -> None:
        if self.robots is None:
            return
        rules = self.robots.rules_for(origin, allow_local=allow_local)
        if rules.allows(url, self.robots.agent):
            return
        if rules.verdict == "unavailable":
            self._count("robots_unavailable")
            cause = self._robots_failures.get(origin)
            if cause is not None:
                # The host itself is unreachable (DNS, refused, timeout): say that, with the
                # kind of the real failure, rather than blame robots.txt. A refused address
                # keeps its kind, whether the hop check or the connection refused it.
                error = FetchTimeout if isinstance(cause, FetchTimeout) else SourceUnavailable
                kind = BLOCKED_ADDRESS if cause.kind == BLOCKED_ADDRESS else None
                raise error(url, f"host unreachable (robots.txt fetch failed: {cause})", kind=kind)
            raise BlockedByRobots(url, "robots.txt unavailable (5xx); not now")
        self._count("robots_blocked")
        raise BlockedByRobots(url, f"robots.txt disallows it for {self.robots.agent}")

    def _with_retries(
        self,
        url: str,
        origin: str,
        allow_local: bool,
        *,
        etag: str | None,
        last_modified: str | None,
        max_bytes: int | None,
    ) -> FetchResult:
        attempts = max(1, self.politeness.max_attempts)
        for attempt in range(1, attempts + 1):
            try:
                return self._request(
                    url,
                    origin,
                    allow_local,
                    etag=etag,
                    last_modified=last_modified,
                    max_bytes=max_bytes or self.max_bytes,
                )
            except FetchError as exc:
                if not exc.transient or attempt == attempts:
                    raise
                delay = self._retry_delay(exc, url, origin, attempt)
            self._count("retries")
            if delay > 0:
                self._sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _retry_delay(self, exc: FetchError, url: str, origin: str, attempt: int) -> float:
        if isinstance(exc, HTTPStatusError) and exc.status in (429, 503):
            asked = parse_retry_after(exc.retry_after, now=self._now())
            if asked is not None:
                cap = self.politeness.retry_after_cap
                if asked > cap:
                    raise SourceUnavailable(
                        url,
                        f"HTTP {exc.status}: server asks to retry after {asked:.0f} s, "
                        f"more than the {cap:.0f} s cap (TRADEWATCH_RETRY_AFTER_CAP)",
                        kind=RATE_LIMITED,
                    ) from exc
                self._count("retry_after_waits")
                # The host's next slot moves, so everyone heading there waits, this retry
                # included (the limiter does the sleeping).
                self.limiter.defer(origin, asked)
                return 0.0
        return backoff_delay(
            attempt,
            base=self.politeness.backoff_base,
            cap=self.politeness.backoff_cap,
            rand=self._rand,
        )

    def _request(
        self,
        url: str,
        origin: str,
        allow_local: bool,
        *,
        etag: str | None,
        last_modified: str | None,
        max_bytes: int,
    ) -> FetchResult:
        if allow_local:
            # Only this origin: a redirect elsewhere is still checked when it connects.
            self._backend.allow_local(origin)
        check = None if allow_local else partial(_check_hop, resolver=self._resolver, requested=url)
        with self._slots:
            self.limiter.wait(origin, interval=0.0 if self._is_loopback(origin) else None)
            if self._throttle is not None:
                self._throttle(origin)
            return fetch(
                self.client,
                url,
                etag=etag,
                last_modified=last_modified,
                max_bytes=max_bytes,
                check_url=check,
            )

    def _is_loopback(self, origin: str) -> bool:
        known = self._loopback.get(origin)
        if known is None:
            known = self._loopback[origin] = is_loopback_host(httpx.URL(origin).host)
        return known

    def _fetch_robots(self, origin: str, allow_local: bool) -> tuple[int | None, str]:
        url = f"{origin}/robots.txt"
        try:
            result = self._request(
                url,
                origin,
                allow_local,
                etag=None,
                last_modified=None,
                max_bytes=MAX_ROBOTS_BYTES,
            )
        except HTTPStatusError as exc:
            return exc.status, ""
        except FetchError as exc:
            self._robots_failures[origin] = exc
            return None, ""
        self._robots_failures.pop(origin, None)
        return result.status, result.body.decode("utf-8", errors="replace")

    def _count(self, key: str) -> None:
        with self._counts_lock:
            self.counts[key] += 1

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_hop(url: httpx.URL, *, resolver: Resolver, requested: str) -> None:
    check_public(url, resolver=resolver, requested=requested)
