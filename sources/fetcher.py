"""The fetcher the pipeline uses: one place where every request of a run goes through.

It holds the HTTP client and the limits of the run. Politeness (robots.txt, per-host rate
limits, Retry-After) and address policy belong here, so that callers stay a list of steps.
"""

from __future__ import annotations

import httpx

from sources.fetch import FetchResult, fetch, make_client


class Fetcher:
    """Fetches URLs for one run; ``close()`` (or ``with``) releases the connection pool."""

    def __init__(
        self,
        *,
        user_agent: str,
        timeout: float,
        max_bytes: int,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.max_bytes = max_bytes
        self.client = make_client(user_agent=user_agent, timeout=timeout, transport=transport)

    def get(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_local: bool = False,
    ) -> FetchResult:
        """GET ``url`` (conditionally when validators are given). Raises ``FetchError``."""
        del allow_local  # address policy: see DESIGN; enforced once the policy lands here
        return fetch(
            self.client, url, etag=etag, last_modified=last_modified, max_bytes=self.max_bytes
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
