"""Fetch limits that hold across flow runs and workers: Prefect global concurrency limits.

``tradewatch-fetch`` caps how many sources are fetched at once everywhere; one
``tradewatch-host-<host>`` limit per host caps how many of a host's sources are read at once,
so two overlapping runs (an hourly monitor and a backfill) never hit one site in parallel.
Prefect only warns when a task asks for a limit that does not exist, so flows create the
limits up front (``ensure_limits``) and tasks acquire them strictly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency

from tradewatch.settings import Settings
from tradewatch.sources_config import SourceConfig

FETCH_LIMIT = "tradewatch-fetch"
_HOST_PREFIX = "tradewatch-host-"
# A slot whose holder died (e.g. SIGKILL) is given back after this long; Prefect renews it
# while the holder is alive, so short is safe and keeps a restarted run from stalling.
LEASE_SECONDS = 60.0


def host_limit_name(host: str) -> str:
    """The limit's name for ``host``: lowercase letters, digits and dashes only."""
    return _HOST_PREFIX + (re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "unknown")


def limit_names(source: SourceConfig) -> list[str]:
    """Every limit one pass over ``source`` holds."""
    return [FETCH_LIMIT, *dict.fromkeys(host_limit_name(h) for h in source.hosts)]


def wanted_limits(settings: Settings, sources: Iterable[SourceConfig]) -> dict[str, int]:
    """Limit name → slots, for these sources."""
    limits = {FETCH_LIMIT: settings.fetch_concurrency}
    for source in sources:
        for name in limit_names(source)[1:]:
            limits[name] = settings.host_concurrency
    return limits


def ensure_limits(settings: Settings, sources: Iterable[SourceConfig]) -> dict[str, int]:
    """Create (or resize to the settings) the limits these sources need; returns them."""
    limits = wanted_limits(settings, sources)
    with get_client(sync_client=True) as client:
        for name, slots in limits.items():
            client.upsert_global_concurrency_limit_by_name(name, slots)
    return limits


@contextmanager
def fetch_slots(source: SourceConfig) -> Iterator[None]:
    """Hold the global and per-host slots for one pass over ``source``.

    Strict: a missing limit is an error, never a silent free-for-all.
    """
    with concurrency(limit_names(source), occupy=1, strict=True, lease_duration=LEASE_SECONDS):
        yield
