"""Several sources' checks interleaved in one thread, so that a worker's analysis overlaps them.

In a monitor pass most changed sources list one changed page. Checked one after another, each
waits while its page is parsed and classified, so handing the page to an analysis worker saves
nothing: someone still waits for it. Threads do not help either; the rest of a check (reading
the listing, writing the article) holds the GIL, and threads contending for it cost more than
they overlap (BENCHMARKS.md, fifteenth and sixteenth rounds).

Here the checks run as steps (``pipeline.check_steps``): where one would wait for a worker, it
yields, and the next source is started (its state read, its listing fetched, its page fetched
and handed to a worker) before the first one is resumed to store what the worker returned.
The calling process and one worker are then busy at once. Up to ``depth`` checks are under way;
the oldest that can go on always goes first, so answers are taken in the order they come and
at most ``depth`` sources' pages are held at once.

What holds as before: the fetcher spaces the requests to each host (``host_interval``) and
caps those in flight (``max_concurrent_requests``), whichever check makes them. Every request
is made in this thread, a source's pages too (run alone, a check fetches its next page ahead
in a thread of its own; here the other checks overlap that wait). A check yields only with
its own writes committed, so no write lock is held while another check runs
(``pipeline._waiting_for``).
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from storage.source_state import CheckState
from tradewatch.pipeline import (
    PipelineContext,
    SourceReport,
    Steps,
    check_steps,
    crash_report,
    monitor_states,
)
from tradewatch.sources_config import SourceConfig

log = logging.getLogger(__name__)

# Checks under way at once: one storing while the next is analysed is the overlap there is with
# one worker; a third keeps a slow page from stalling the one behind it.
DEPTH = 3


@dataclass
class _Check:
    index: int  # in the sources given
    source: SourceConfig
    steps: Steps[SourceReport]
    waiting: Future[Any] | None = None  # what it yielded last; None before it has run

    def may_go_on(self) -> bool:
        return self.waiting is None or self.waiting.done()


def check_interleaved(
    ctx: PipelineContext,
    sources: Sequence[SourceConfig],
    *,
    depth: int = DEPTH,
    force: bool = True,
    now: datetime | None = None,
) -> list[SourceReport]:
    """``monitor_pass.check_or_crash`` of each source, up to ``depth`` of them interleaved (see
    the module); one report per source, in the order of ``sources``. Pages, even one, go to
    the analysis workers, started for them if need be (``analysis.pool_for``)."""
    if depth < 1:
        raise ValueError(f"depth={depth}: expected at least 1")
    reports: dict[int, SourceReport] = {}
    states = _states(ctx, sources, now=now)
    upcoming = deque(enumerate(sources))
    under_way: deque[_Check] = deque()
    while upcoming or under_way:
        # The oldest goes on when it can: a worker answers in the order it was asked, so the
        # oldest's answer comes first (asking the others too would cost a poll of the pipes each).
        ready = under_way[0] if under_way and under_way[0].may_go_on() else None
        if ready is None and upcoming and len(under_way) < depth:
            index, source = upcoming.popleft()
            state = states.get(source.name)
            steps = check_steps(ctx, source, force=force, now=now, interleaved=True, state=state)
            ready = _Check(index, source, steps)
            under_way.append(ready)
        if ready is None:
            ready = under_way[0]  # every check waits, and none can start: wait for the oldest
        report = _advance(ready)
        if report is not None:
            under_way.remove(ready)
            reports[ready.index] = report
    return [reports[index] for index in range(len(sources))]


def _states(
    ctx: PipelineContext, sources: Sequence[SourceConfig], *, now: datetime | None
) -> dict[str, CheckState]:
    """The sources' stored states, read at once (a query, not one per source); none when
    that fails, and then each check reads its own and reports its own failure."""
    if not sources:
        return {}
    try:
        return monitor_states(ctx, sources, now=now or datetime.now(UTC))
    except Exception:
        log.exception("reading %d sources' states at once failed; one by one", len(sources))
        return {}


def _advance(check: _Check) -> SourceReport | None:
    """Run ``check`` to its next wait (None) or to its end (its report; a ``crash`` report
    when it raised, as ``check_or_crash`` gives)."""
    try:
        check.waiting = next(check.steps)
    except StopIteration as stop:
        report: SourceReport = stop.value
        return report
    except Exception as exc:
        log.exception("source %s: unexpected error", check.source.name)
        return crash_report(check.source.name, exc)
    return None
