"""Prefect tasks: thin wrappers that run pipeline steps.

Tasks take plain, serialisable parameters (sources' configs, file paths) and build what they
need themselves, so they run the same in process, on a worker, or in a deployment. Caching is
off: every step reads and writes the database, and a cached result would skip real work.

One task checks a group of sources that share hosts (``tradewatch.monitor_pass.host_groups``):
it takes the fetch and host slots once, opens the pipeline once and reads its sources one after
another. Per-task costs (a task run's API round trips, taking the slots, loading the baseline,
opening the database and the HTTP client) are paid per group instead of per source, and sources
of one host no longer queue on that host's limit, each polling the server for a slot.

A source's own failures (dead site, malformed feed) are recorded values: the task fails with
``SourceFailed`` and is not retried (the next scheduled pass is the retry, and fetching again
at once would only hammer a struggling site). Anything else raised (a database hiccup, a bug
hit by a rare page) is retried with exponential backoff and jitter.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, cast
from uuid import UUID

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.context import TaskRunContext
from prefect.tasks import TaskRunNameCallbackWithParameters, exponential_backoff

from flows.limits import fetch_slots
from tradewatch.monitor_pass import check_or_crash
from tradewatch.pipeline import DateWindow, SourceOutcome, SourceReport, open_pipeline
from tradewatch.settings import load_settings
from tradewatch.sources_config import SourceConfig

log = logging.getLogger(__name__)


class SourceFailed(Exception):
    """Sources of a group failed (each failure already recorded in the database); the reports
    of every source in the group ride along, so the flow still collects them all."""

    def __init__(self, reports: list[SourceReport]) -> None:
        self.reports = reports
        failed = [f"{r.source}: {r.error_kind}: {r.error}" for r in reports if r.error_kind]
        super().__init__("; ".join(failed))


class SourcesCrashed(Exception):
    """Checking some sources of a group raised unexpectedly (retried). Every source's report
    rides along: a ``crash`` report for each source that raised, the others as they came."""

    def __init__(self, reports: list[SourceReport]) -> None:
        self.reports = reports
        crashed = [f"{r.source}: {r.error}" for r in reports if r.error_kind == "crash"]
        super().__init__("; ".join(crashed))


RETRIES = 3


def is_transient(task: Task[..., object], task_run: TaskRun, state: State[object]) -> bool:
    """Retry unexpected exceptions; a recorded source failure is final for this pass."""
    try:
        state.result()
    except SourceFailed:
        return False
    except Exception:
        return True
    return False


def group_run_name(parameters: dict[str, Any]) -> str:
    """``check 127.0.0.1: 50 sources``, or ``check dailynk (www.dailynk.com)`` for one source."""
    sources: list[SourceConfig] = parameters["sources"]
    hosts = list(dict.fromkeys(h for s in sources for h in s.hosts))
    where = hosts[0] if len(hosts) == 1 else f"{hosts[0]} +{len(hosts) - 1} hosts"
    if len(sources) == 1:
        return f"check {sources[0].name} ({where})"
    return f"check {where}: {len(sources)} sources"


# What earlier attempts of a task run completed, by task run: a retry then checks only the
# sources they did not finish. A source already read would otherwise be read again at once (a
# failing site hammered, against the promise above) or, on the hourly schedule, be skipped as
# not due and lose its report. Prefect retries a task in the same process; should a retry ever
# run elsewhere, it finds nothing here and checks the whole group, which is merely redundant.
_completed: dict[UUID, dict[str, SourceReport]] = {}


@contextmanager
def _earlier_attempts() -> Iterator[dict[str, SourceReport]]:
    """Reports from earlier attempts of this task run; kept for the next attempt when this one
    raises something that will be retried (``SourceFailed`` is raised outside, never retried),
    dropped otherwise."""
    run = TaskRunContext.get()
    if run is None:  # called as a plain function (``task.fn``): no retries to remember for
        yield {}
        return
    key = run.task_run.id
    done = _completed.pop(key, {})
    try:
        yield done
    except Exception:
        if run.task_run.run_count <= run.task.retries:  # attempt n of 1 + retries
            _completed[key] = done
        raise


@task(
    name="check-sources",
    # Prefect's protocol for such callbacks also lists a classmethod no function has.
    task_run_name=cast(TaskRunNameCallbackWithParameters, group_run_name),
    cache_policy=NO_CACHE,
    retries=RETRIES,
    retry_delay_seconds=exponential_backoff(backoff_factor=5),  # 5 s, 10 s, 20 s
    retry_jitter_factor=0.5,
    retry_condition_fn=is_transient,
)
def check_sources_task(
    sources: list[SourceConfig],
    baseline_file: str,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    historical: bool = False,
    force: bool = True,
) -> list[SourceReport]:
    """One pass over each of ``sources`` (a host group; backfill passes one source), in order.

    Returns one report per source. Each source records its own success or failure; one that
    fails or raises does not stop the others. When any failed, raises ``SourceFailed`` (not
    retried) so the task shows as failed in Prefect while the flow goes on; when any raised,
    raises ``SourcesCrashed`` (retried). Both carry every source's report.

    A retry checks only the sources an earlier attempt did not finish (see
    ``_earlier_attempts``): those that raised, or all not yet reached when taking the slots or
    opening the pipeline failed. Should a retry find no memory of the earlier attempt, it runs
    the whole group again, which is acceptable: a pass is idempotent (conditional requests,
    articles already stored are skipped), so it costs the host one more listing request per
    source, at the retry's backoff and under the same limits.
    """
    window = (
        DateWindow(window_start, window_end)
        if window_start is not None and window_end is not None
        else None
    )
    with _earlier_attempts() as done:
        todo = [s for s in sources if s.name not in done]
        crashed: dict[str, SourceReport] = {}
        if todo:
            # Slots last: they are for fetching, and asked for as the task run started, the
            # request met Prefect's SQLite server recording that start (a 503, then the
            # client's 2 s backoff, on most runs of the local mode).
            with (
                open_pipeline(
                    load_settings(), baseline_file=Path(baseline_file), migrate=False
                ) as ctx,
                fetch_slots(todo),
            ):
                for source in todo:
                    report = check_or_crash(
                        ctx, source, window=window, historical=historical, force=force
                    )
                    (crashed if report.error_kind == "crash" else done)[source.name] = report
        reports = [done[s.name] if s.name in done else crashed[s.name] for s in sources]
        if crashed:
            raise SourcesCrashed(reports)
    if any(r.outcome is SourceOutcome.ERROR for r in reports):
        raise SourceFailed(reports)
    return reports
