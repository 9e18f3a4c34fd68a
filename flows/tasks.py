"""Prefect tasks: thin wrappers that run one pipeline step each.

Tasks take plain, serialisable parameters (a source's config, file paths) and build what they
need themselves, so they run the same in process, on a worker, or in a deployment. Caching is
off: every step reads and writes the database, and a cached result would skip real work.

A source's own failures (dead site, malformed feed) are recorded values: the task fails with
``SourceFailed`` and is not retried (the next scheduled pass is the retry, and fetching again
at once would only hammer a struggling site). Anything else raised (a database hiccup, a bug
hit by a rare page) is retried with exponential backoff and jitter.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from prefect import Task, task
from prefect.cache_policies import NO_CACHE
from prefect.client.schemas.objects import State, TaskRun
from prefect.tasks import exponential_backoff

from flows.limits import fetch_slots
from tradewatch.pipeline import DateWindow, SourceOutcome, SourceReport, check_source, open_pipeline
from tradewatch.settings import load_settings
from tradewatch.sources_config import SourceConfig


class SourceFailed(Exception):
    """A source's pass failed; the report (already recorded in the database) rides along."""

    def __init__(self, report: SourceReport) -> None:
        self.report = report
        super().__init__(f"{report.source}: {report.error_kind}: {report.error}")


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


@task(
    name="check-source",
    task_run_name="check {source.name} ({source.url})",
    cache_policy=NO_CACHE,
    retries=RETRIES,
    retry_delay_seconds=exponential_backoff(backoff_factor=5),  # 5 s, 10 s, 20 s
    retry_jitter_factor=0.5,
    retry_condition_fn=is_transient,
)
def check_source_task(
    source: SourceConfig,
    baseline_file: str,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    historical: bool = False,
    force: bool = True,
) -> SourceReport:
    """One pass over one source. Raises ``SourceFailed`` (after recording it) so the task
    shows as failed in Prefect while the flow goes on with the other sources."""
    window = (
        DateWindow(window_start, window_end)
        if window_start is not None and window_end is not None
        else None
    )
    with (
        fetch_slots(source),
        open_pipeline(load_settings(), baseline_file=Path(baseline_file), migrate=False) as ctx,
    ):
        report = check_source(ctx, source, window=window, historical=historical, force=force)
    if report.outcome is SourceOutcome.ERROR:
        raise SourceFailed(report)
    return report
