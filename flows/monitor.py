"""The monitor flow: one pass over every configured source."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from flows.limits import ensure_limits
from flows.tasks import SourceFailed, check_source_task
from tradewatch.alerts import send_immediate_alerts
from tradewatch.pipeline import SourceReport, prepare_database
from tradewatch.settings import load_settings
from tradewatch.sources_config import load_sources


def collect_reports(futures: list[Any]) -> list[SourceReport]:
    """Each source's report, whether its task completed or failed."""
    reports: list[SourceReport] = []
    for future in futures:
        future.wait()
        outcome = future.state.result(raise_on_failure=False)
        if isinstance(outcome, SourceReport):
            reports.append(outcome)
        elif isinstance(outcome, SourceFailed):
            reports.append(outcome.report)
        else:  # an unexpected crash inside the task: keep it visible, keep going
            name = getattr(future, "task_run_name", None) or "unknown"
            reports.append(SourceReport(source=str(name), error_kind="crash", error=repr(outcome)))
    return reports


def summarise(reports: list[SourceReport]) -> dict[str, Any]:
    return {
        "sources": len(reports),
        "failed_sources": sorted(r.source for r in reports if r.error_kind),
        "new_articles": sum(r.new for r in reports),
        "changed_articles": sum(r.changed for r in reports),
        "departures": sum(r.departures for r in reports),
        "reports": [vars(r) | {"outcome": str(r.outcome)} for r in reports],
    }


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
    config = load_sources(Path(sources_file) if sources_file else settings.sources_file)
    baseline_path = str(Path(baseline_file) if baseline_file else settings.baseline_file)
    prepare_database(settings, baseline_file=Path(baseline_path))
    selected = config.enabled(sources)
    ensure_limits(settings, selected)
    futures = [
        check_source_task.submit(source=s, baseline_file=baseline_path, force=force)
        for s in selected
    ]
    summary = summarise(collect_reports(futures))
    # Immediate alerts (off unless TRADEWATCH_ALERT_MIN_CONFIDENCE is set): at most once per
    # policy change and channel; backfilled or replayed verdicts never alert.
    alerts = send_immediate_alerts(settings)
    summary["alerts"] = {"sent": alerts.sent, "failed": alerts.failed}
    logger.info(
        "monitor: %d sources, %d new articles, %d departures, failed: %s",
        summary["sources"],
        summary["new_articles"],
        summary["departures"],
        ", ".join(summary["failed_sources"]) or "none",
    )
    return summary
