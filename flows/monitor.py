"""The monitor flow: one pass over every configured source.

Sources are checked in host groups (``tradewatch.monitor_pass.host_groups``), one task per
group: the sources of one host run one after another in a single task, groups on different hosts
run in parallel, all within the fetch and host limits.

While a resident watcher (``tradewatch watch``) runs on the same database, a monitor run checks
nothing: the watcher checks the same sources, and two processes reading one host at once
would each keep only their own politeness.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger
from prefect.futures import PrefectFuture

from flows.limits import ensure_limits
from flows.tasks import SourceFailed, SourcesCrashed, check_sources_task
from storage.watch_lock import watcher_holding
from tradewatch.alerts import send_immediate_alerts
from tradewatch.monitor_pass import in_source_order, pass_groups, summarise
from tradewatch.pipeline import SourceReport, crash_report, prepare_database
from tradewatch.settings import load_settings
from tradewatch.sources_config import SourceConfig, load_sources


def collect_reports(
    submitted: Sequence[tuple[Sequence[SourceConfig], PrefectFuture[list[SourceReport]]]],
) -> list[SourceReport]:
    """One report per source of every (group, task future), whether the task completed or
    failed; a task that crashed gives each of its sources a ``crash`` report."""
    reports: list[SourceReport] = []
    for group, future in submitted:
        future.wait()
        outcome = future.state.result(raise_on_failure=False)
        if isinstance(outcome, SourceFailed | SourcesCrashed):
            reports.extend(outcome.reports)
        elif isinstance(outcome, list):
            reports.extend(outcome)
        else:  # the task itself broke (slots, pipeline, worker): keep it visible, keep going
            reports.extend(crash_report(source.name, outcome) for source in group)
    return reports


def check_groups(
    groups: Sequence[list[SourceConfig]],
    *,
    baseline_file: str,
    force: bool = True,
    window_start: datetime | None = None,
    window_end: datetime | None = None,
    historical: bool = False,
) -> list[SourceReport]:
    """Submit one task per group and wait for all; one report per source."""
    futures = [
        check_sources_task.submit(
            sources=group,
            baseline_file=baseline_file,
            force=force,
            window_start=window_start,
            window_end=window_end,
            historical=historical,
        )
        for group in groups
    ]
    return collect_reports(list(zip(groups, futures, strict=True)))


@flow(name="monitor", flow_run_name="monitor", log_prints=False)
def monitor(
    sources: list[str] | None = None,
    sources_file: str | None = None,
    baseline_file: str | None = None,
    force: bool = True,
) -> dict[str, Any]:
    """Fetch every enabled source (or the named ones) once; store, classify, record.

    With ``force=False`` (the hourly schedule), a source whose ``fetch_every`` has not elapsed
    since its last attempt is skipped until due.
    """
    logger = get_run_logger()
    settings = load_settings()
    holder = watcher_holding(settings.resolved_database_url)
    if holder is not None:
        skipped = (
            f"not run: `tradewatch watch` ({holder}) is monitoring this database. Stop the "
            "watcher to run the monitor flow, or drop the monitor-hourly deployment "
            "(`tradewatch serve --only digest-daily`)"
        )
        logger.warning("monitor: %s", skipped)
        return summarise([]) | {"skipped": skipped, "alerts_line": ""}
    config = load_sources(Path(sources_file) if sources_file else settings.sources_file)
    baseline_path = str(Path(baseline_file) if baseline_file else settings.baseline_file)
    prepare_database(settings, baseline_file=Path(baseline_path))
    selected = config.enabled(sources)
    ensure_limits(settings, selected)
    groups = pass_groups(selected, per_host=settings.host_concurrency)
    reports = check_groups(groups, baseline_file=baseline_path, force=force)
    summary = summarise(in_source_order(reports, selected))
    # Immediate alerts (off unless TRADEWATCH_ALERT_MIN_CONFIDENCE is set): at most once per
    # policy change and channel; backfilled or replayed verdicts never alert.
    alerts = send_immediate_alerts(settings)
    summary["alerts"] = asdict(alerts)
    summary["alerts_line"] = alerts.describe()
    logger.info(
        "monitor: %d sources, %d new articles, %d departures, failed: %s",
        summary["sources"],
        summary["new_articles"],
        summary["departures"],
        ", ".join(summary["failed_sources"]) or "none",
    )
    if alerts.uncertain or alerts.failed:
        logger.warning("monitor: %s", summary["alerts_line"])
    elif summary["alerts_line"]:
        logger.info("monitor: %s", summary["alerts_line"])
    return summary
