"""Fetch limits that hold across flow runs and workers: Prefect global concurrency limits.

``tradewatch-fetch`` caps how many tasks fetch at once everywhere; one ``tradewatch-host-<host>``
limit per host caps how many tasks read that host at once, so two overlapping runs (an hourly
monitor and a backfill) never hit one site in parallel. Prefect only warns when a task asks for
a limit that does not exist, so flows create the limits up front (``ensure_limits``) and tasks
acquire them strictly.

A flow does not submit one task per source: sources that share a host (an outlet's feed and
its sitemap, several section feeds) would only queue on that host's limit, each task polling
the server for a slot. ``host_groups`` puts every source of a host into one group, run by one
task that takes the slots once and reads its sources one after another. A task reads one
source at a time, so the fetch limit still caps fetches in flight, and a host is read by at
most ``host_concurrency`` tasks at once: the limits' guarantees are unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager

from prefect.client.orchestration import get_client
from prefect.concurrency.sync import concurrency

from tradewatch.settings import Settings
from tradewatch.sources_config import SourceConfig

FETCH_LIMIT = "tradewatch-fetch"
_HOST_PREFIX = "tradewatch-host-"
# A slot whose holder died (e.g. SIGKILL) is given back after this long; Prefect renews it
# while the holder is alive (however long a group takes), so short is safe and keeps a
# restarted run from stalling.
LEASE_SECONDS = 60.0


def host_limit_name(host: str) -> str:
    """The limit's name for ``host``: lowercase letters, digits and dashes only."""
    return _HOST_PREFIX + (re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "unknown")


def host_limit_names(sources: Iterable[SourceConfig]) -> list[str]:
    """The host limits a pass over ``sources`` holds, each once, in first-seen order."""
    return list(dict.fromkeys(host_limit_name(h) for s in sources for h in s.hosts))


def limit_names(sources: Iterable[SourceConfig]) -> list[str]:
    """Every limit one task over ``sources`` holds: one fetch slot, and each host's."""
    return [FETCH_LIMIT, *host_limit_names(sources)]


def host_groups(sources: Sequence[SourceConfig], *, per_host: int = 1) -> list[list[SourceConfig]]:
    """``sources`` in groups such that at most ``per_host`` groups read any one host.

    Sources are connected when they share a host (by limit name, which is what serialises
    them); a source with two hosts joins both hosts' sources into one group. With
    ``per_host`` above 1 a connected group is dealt round-robin into that many groups, so a
    run can still read that many of a host's sources at once, as its limit allows. Groups keep
    the sources' order and come in the order of their first source.
    """
    if per_host < 1:
        raise ValueError(f"per_host={per_host}: expected at least 1")
    parent = list(range(len(sources)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first_with_host: dict[str, int] = {}
    for i, source in enumerate(sources):
        for name in host_limit_names([source]):
            j = first_with_host.setdefault(name, i)
            parent[root(i)] = root(j)
    components: dict[int, list[SourceConfig]] = {}
    for i, source in enumerate(sources):
        components.setdefault(root(i), []).append(source)
    groups: list[list[SourceConfig]] = []
    for members in components.values():
        ways = min(per_host, len(members))
        groups.extend(members[k::ways] for k in range(ways))
    return groups


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
