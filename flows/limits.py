"""Fetch limits that hold across flow runs and workers: Prefect global concurrency limits.

``tradewatch-fetch`` caps how many tasks fetch at once everywhere; one ``tradewatch-host-<host>``
limit per host caps how many tasks read that host at once, so two overlapping runs (an hourly
monitor and a backfill) never hit one site in parallel. Prefect only warns when a task asks for
a limit that does not exist, so flows create the limits up front (``ensure_limits``) and tasks
acquire them strictly.

A flow does not submit one task per source: sources that share a host (an outlet's feed and its
sitemap, several section feeds) would only queue on that host's limit, each task polling the
server for a slot. ``tradewatch.monitor_pass.host_groups`` puts every source of a host into one
group, run by one task that takes the slots once and reads its sources one after another. A task
reads one source at a time, so the fetch limit still caps fetches in flight, and a host is read
by at most ``host_concurrency`` tasks at once: the limits' guarantees are unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency

from tradewatch.monitor_pass import host_limit_names
from tradewatch.settings import Settings
from tradewatch.sources_config import SourceConfig

FETCH_LIMIT = "tradewatch-fetch"
# A slot whose holder died (e.g. SIGKILL) is given back after this long; Prefect renews it
# while the holder is alive (however long a group takes), so short is safe and keeps a
# restarted run from stalling.
LEASE_SECONDS = 60.0


def limit_names(sources: Iterable[SourceConfig]) -> list[str]:
    """Every limit one task over ``sources`` holds: one fetch slot, and each host's."""
    return [FETCH_LIMIT, *host_limit_names(sources)]


def wanted_limits(settings: Settings, sources: Iterable[SourceConfig]) -> dict[str, int]:
    """Limit name → slots, for these sources."""
    limits = {FETCH_LIMIT: settings.fetch_concurrency}
    for name in host_limit_names(sources):
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
def fetch_slots(sources: Iterable[SourceConfig]) -> Iterator[None]:
    """Hold one fetch slot and each of the sources' hosts' slots while ``sources`` are read.

    Strict: a missing limit is an error, never a silent free-for-all. Prefect takes all the
    slots in one step or none, so groups that overlap across runs cannot deadlock.
    """
    with concurrency(limit_names(sources), occupy=1, strict=True, lease_duration=LEASE_SECONDS):
        yield
