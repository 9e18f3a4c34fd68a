"""The backfill flow: the monitor's pipeline over past date windows, marked historical.

Prefect has no backfill of its own (schedules only create future runs), so this flow splits
[start, end) into windows and runs one subflow per window. Items are stored as historical and
no digest is sent unless ``notify`` is set. Running it twice stores nothing new.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact

from flows.digest import digest
from flows.monitor import collect_reports, summarise
from flows.tasks import check_source_task
from tradewatch.pipeline import prepare_database
from tradewatch.settings import load_settings
from tradewatch.sources_config import load_sources


def split_windows(start: date, end: date, days: int) -> list[tuple[datetime, datetime]]:
    """[start, end] (inclusive dates) as half-open UTC windows of at most ``days`` days."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    first = datetime.combine(start, time.min, tzinfo=UTC)
    last = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    windows = []
    cursor = first
    while cursor < last:
        nxt = min(cursor + timedelta(days=days), last)
        windows.append((cursor, nxt))
        cursor = nxt
    return windows


@flow(
    name="backfill-window", flow_run_name="backfill {window_start:%Y-%m-%d}..{window_end:%Y-%m-%d}"
)
def backfill_window(
    window_start: datetime,
    window_end: datetime,
    sources: list[str] | None,
    sources_file: str,
    baseline_file: str,
) -> dict[str, Any]:
    config = load_sources(Path(sources_file))
    futures = [
        check_source_task.submit(
            source=s,
            baseline_file=baseline_file,
            window_start=window_start,
            window_end=window_end,
            historical=True,
        )
        for s in config.enabled(sources)
    ]
    return summarise(collect_reports(futures))


@flow(name="backfill", flow_run_name="backfill {start}..{end}")
def backfill(
    start: date,
    end: date,
    sources: list[str] | None = None,
    notify: bool = False,
    window_days: int = 31,
    sources_file: str | None = None,
    baseline_file: str | None = None,
) -> dict[str, Any]:
    """Discover and store articles published in [start, end] (dates inclusive)."""
    logger = get_run_logger()
    settings = load_settings()
    sources_path = str(Path(sources_file) if sources_file else settings.sources_file)
    baseline_path = str(Path(baseline_file) if baseline_file else settings.baseline_file)
    load_sources(Path(sources_path)).enabled(sources)  # fail fast on unknown source names
    prepare_database(settings, baseline_file=Path(baseline_path))
    windows = split_windows(start, end, window_days)
    # Called from a sync flow, these return plain values (Prefect's sync/async dual API).
    progress: UUID = create_progress_artifact(  # type: ignore[assignment]
        progress=0.0, key="tradewatch-backfill", description=f"backfill {start}..{end}"
    )
    totals: dict[str, Any] = {
        "windows": len(windows),
        "new_articles": 0,
        "departures": 0,
        "failed_sources": set(),
    }
    for done, (w_start, w_end) in enumerate(windows, start=1):
        result = backfill_window(
            window_start=w_start,
            window_end=w_end,
            sources=sources,
            sources_file=sources_path,
            baseline_file=baseline_path,
        )
        totals["new_articles"] += result["new_articles"]
        totals["departures"] += result["departures"]
        totals["failed_sources"].update(result["failed_sources"])
        update_progress_artifact(artifact_id=progress, progress=100.0 * done / len(windows))
        logger.info(
            "backfill window %s..%s: %d new articles",
            w_start.date(),
            w_end.date(),
            result["new_articles"],
        )
    totals["failed_sources"] = sorted(totals["failed_sources"])
    if notify:
        totals["digest"] = digest(
            since=windows[0][0],
            until=windows[-1][1],
            kind="retrospective",
            baseline_file=baseline_path,
            include_historical=True,
        )
    return totals
