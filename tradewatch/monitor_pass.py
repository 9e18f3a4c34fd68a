"""One monitor pass over many sources, the parts that need no Prefect.

The monitor flow (one Prefect task per host group) and the resident watcher
(``tradewatch.watch``, one thread per host group) share these: how sources are grouped so that
no host is read by more than ``host_concurrency`` checks at once, what a check that raised
reports, and the pass's summary.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from tradewatch.interleave import check_interleaved
from tradewatch.pipeline import (
    DateWindow,
    PipelineContext,
    SourceReport,
    check_source,
    crash_report,
)
from tradewatch.sources_config import SourceConfig

log = logging.getLogger(__name__)

_HOST_PREFIX = "tradewatch-host-"


def host_limit_name(host: str) -> str:
    """The limit's name for ``host``: lowercase letters, digits and dashes only."""
    return _HOST_PREFIX + (re.sub(r"[^a-z0-9]+", "-", host.lower()).strip("-") or "unknown")


def host_limit_names(sources: Iterable[SourceConfig]) -> list[str]:
    """The host limits a pass over ``sources`` holds, each once, in first-seen order."""
    return list(dict.fromkeys(host_limit_name(h) for s in sources for h in s.hosts))


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


def pass_groups(sources: Sequence[SourceConfig], *, per_host: int) -> list[list[SourceConfig]]:
    """``host_groups`` of ``sources``, largest first: the pass lasts at least as long as its
    longest group, so that one should not wait behind small ones for a fetch slot."""
    return sorted(host_groups(sources, per_host=per_host), key=len, reverse=True)


def in_source_order(
    reports: list[SourceReport], sources: Sequence[SourceConfig]
) -> list[SourceReport]:
    """``reports`` in the order of ``sources`` (groups finish in any order)."""
    order = {source.name: i for i, source in enumerate(sources)}
    return sorted(reports, key=lambda r: order.get(r.source, len(order)))


def check_or_crash(
    ctx: PipelineContext,
    source: SourceConfig,
    *,
    window: DateWindow | None = None,
    historical: bool = False,
    force: bool = True,
    now: datetime | None = None,
) -> SourceReport:
    """``check_source``, or a ``crash`` report when it raises: one source's bug must not
    starve the sources checked after it."""
    try:
        return check_source(ctx, source, window=window, historical=historical, force=force, now=now)
    except Exception as exc:
        log.exception("source %s: unexpected error", source.name)
        return crash_report(source.name, exc)


def summarise(reports: list[SourceReport]) -> dict[str, Any]:
    return {
        "sources": len(reports),
        "failed_sources": sorted(r.source for r in reports if r.error_kind),
        "new_articles": sum(r.new for r in reports),
        "changed_articles": sum(r.changed for r in reports),
        "departures": sum(r.departures for r in reports),
        "reports": [vars(r) | {"outcome": str(r.outcome)} for r in reports],
    }


def check_groups_here(
    ctx: PipelineContext,
    groups: Sequence[Sequence[SourceConfig]],
    *,
    threads: int,
    depth: int = 1,
    force: bool = True,
    now: datetime | None = None,
) -> list[SourceReport]:
    """What the monitor flow's tasks do, in this process: each group's sources one after
    another (with ``depth`` above 1, that many interleaved: ``tradewatch.interleave``), up to
    ``threads`` groups side by side (the fetcher's politeness spaces the requests to each host
    across threads). One report per source, in the groups' order; a source whose check raised
    gets a ``crash`` report and its group goes on."""

    def run(group: Sequence[SourceConfig]) -> list[SourceReport]:
        if depth > 1:
            return check_interleaved(ctx, group, depth=depth, force=force, now=now)
        return [check_or_crash(ctx, source, force=force, now=now) for source in group]

    if threads <= 1 or len(groups) <= 1:
        return [report for group in groups for report in run(group)]
    with ThreadPoolExecutor(
        max_workers=min(threads, len(groups)), thread_name_prefix="check"
    ) as pool:
        return [report for reports in pool.map(run, groups) for report in reports]
