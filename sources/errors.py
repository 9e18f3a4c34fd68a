"""Typed fetch errors; each becomes a recorded outcome on its source, never a crash.

::

    FetchError
    ├── SourceUnavailable   connection refused, DNS failure, HTTP 5xx/4xx, redirect loop,
    │   │                   an address in the local network (kind "blocked_address"),
    │   │                   a Retry-After beyond the cap (kind "rate_limited")
    │   ├── FetchTimeout    connect or read timeout
    │   └── HTTPStatusError the server answered with an error status (``status``,
    │                       ``retry_after``)
    ├── PageTooLarge        body exceeded the size cap (streamed and cut, never fully read)
    └── BlockedByRobots     robots.txt disallows the URL, or could not be read (5xx)

``transient`` marks errors worth retrying after a pause (timeouts, dropped connections,
429/502/503/504); the fetcher retries those with backoff and no others.
"""

from __future__ import annotations


class FetchError(Exception):
    """Fetching a URL failed. ``kind`` is a short stable label for logs and counters."""

    kind = "fetch_error"
    transient = False

    def __init__(self, url: str, message: str, *, kind: str | None = None) -> None:
        self.url = url
        if kind is not None:
            self.kind = kind
        super().__init__(f"{message} ({url})")


class SourceUnavailable(FetchError):
    kind = "unavailable"


class FetchTimeout(SourceUnavailable):
    kind = "timeout"
    transient = True


class ConnectionFailed(SourceUnavailable):
    """The connection was refused, reset or dropped mid-answer (worth a retry)."""

    transient = True


class HTTPStatusError(SourceUnavailable):
    """An error status (>= 400). ``retry_after`` is the raw Retry-After header, if any."""

    # Statuses that usually mean "not now" rather than "never".
    TRANSIENT_STATUSES = frozenset({429, 502, 503, 504})

    def __init__(self, url: str, message: str, *, status: int, retry_after: str | None) -> None:
        super().__init__(url, message)
        self.status = status
        self.retry_after = retry_after
        self.transient = status in self.TRANSIENT_STATUSES


class PageTooLarge(FetchError):
    kind = "too_large"


class BlockedByRobots(FetchError):
    kind = "robots"
