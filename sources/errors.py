"""Typed fetch errors; each becomes a recorded outcome on its source, never a crash.

::

    FetchError
    ├── SourceUnavailable   connection refused, DNS failure, HTTP 5xx/4xx, redirect loop
    │   └── FetchTimeout    connect or read timeout
    ├── PageTooLarge        body exceeded the size cap (streamed and cut, never fully read)
    └── BlockedByRobots     robots.txt disallows the URL
"""

from __future__ import annotations


class FetchError(Exception):
    """Fetching a URL failed. ``kind`` is a short stable label for logs and counters."""

    kind = "fetch_error"

    def __init__(self, url: str, message: str) -> None:
        self.url = url
        super().__init__(f"{message} ({url})")


class SourceUnavailable(FetchError):
    kind = "unavailable"


class FetchTimeout(SourceUnavailable):
    kind = "timeout"


class PageTooLarge(FetchError):
    kind = "too_large"


class BlockedByRobots(FetchError):
    kind = "robots"
