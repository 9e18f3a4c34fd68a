"""The backfill flow: the monitor's pipeline over past date windows, marked historical.

Prefect has no backfill of its own (schedules only create future runs), so this flow splits
[start, end] into windows and runs one subflow per window and source, reading each source's
archive (older feed pages, sitemap, listing pages). Each subflow runs the monitor's task with a
group of one source, so it holds the source's host slots like any monitor task. Items are
stored as historical and no digest is sent unless ``notify`` is set.

Idempotent and resumable: every (source, window) is recorded in ``backfill_window``; windows
already done are skipped, so running it twice stores and fetches nothing new, and an
interrupted or partly failed backfill continues with what is left. ``redo=True`` runs done
windows again (still storing nothing twice).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger
from prefect.artifacts import create_progress_artifact, update_progress_artifact
from sqlmodel import Session

from flows.digest import digest
from flows.limits import ensure_limits
from flows.monitor import check_groups
from storage.backfill import finish_window, is_window_done, start_window
from storage.db import get_engine
from tradewatch.discovery import archive_pages_kept
from tradewatch.pipeline import SourceReport, prepare_database
from tradewatch.settings import load_settings
from tradewatch.sources_config import SourceConfig, load_sources

PROGRESS_KEY = "tradewatch-backfill"  # Prefect allows only lowercase letters, digits, dashes


def split_windows(start: date, end: date, days: int) -> list[tuple[datetime, datetime]]:
    """[start, end] (inclusive dates) as half-open UTC windows of at most ``days`` days."""
    if end < start:
        raise ValueError(f"end {end} is before start {start}")
    if days < 1:
        raise ValueError(f"window of {days} days: expected at least 1")
    first = datetime.combine(start, time.min, tzinfo=UTC)
    last = datetime.combine(end + timedelta(days=1), time.min, tzinfo=UTC)
    windows = []
    cursor = first
    while cursor < last:
        nxt = min(cursor + timedelta(days=days), last)
        windows.append((cursor, nxt))
        cursor = nxt
    return windows


def window_error(report: SourceReport) -> str | None:
    """Why a window is not done: a source error, or article pages that failed (a window is
    done only when everything it lists was read, or resuming would skip those articles)."""
    if report.error_kind:
        return f"{report.error_kind}: {report.error}"
    if report.failed:
        return f"{report.failed} article pages failed: " + "; ".join(report.article_errors)
    return None


def _record_window(
    url: str, source: str, start: datetime, end: datetime, report: SourceReport | None
) -> None:
    engine = get_engine(url)
    try:
        with Session(engine) as session:
            if report is None:
                start_window(session=session, source=source, start=start, end=end)
            else:
                finish_window(
                    session=session,
                    source=source,
                    start=start,
                    end=end,
                    new_articles=report.new,
                    error=window_error(report),
                )
            session.commit()
    finally:
        engine.dispose()


def _window_done(url: str, source: str, start: datetime, end: datetime) -> bool:
    engine = get_engine(url)
    try:
        with Session(engine) as session:
            return is_window_done(session=session, source=source, start=start, end=end)
    finally:
        engine.dispose()


@flow(
    name="backfill-window",
    flow_run_name="backfill {source.name} {window_start:%Y-%m-%d}..{window_end:%Y-%m-%d}",
)
def backfill_window(
    source: SourceConfig, window_start: datetime, window_end: datetime, baseline_file: str
) -> dict[str, Any]:
    """One source over one window: read its archive, store what was published in it."""
    url = load_settings().resolved_database_url
    _record_window(url, source.name, window_start, window_end, None)
    # A group of one: windows run one at a time, and the source's host slots are still taken
    # by the task, so a backfill and a monitor pass never read one host at once.
    (report,) = check_groups(
        [[source]],
        baseline_file=baseline_file,
        window_start=window_start,
        window_end=window_end,
        historical=True,
    )
    _record_window(url, source.name, window_start, window_end, report)
    return vars(report) | {"outcome": str(report.outcome), "window_error": window_error(report)}


@flow(name="backfill", flow_run_name="backfill {start}..{end}")
def backfill(
    start: date,
    end: date,
    sources: list[str] | None = None,
    notify: bool = False,
    window_days: int = 31,
    sources_file: str | None = None,
    baseline_file: str | None = None,
    redo: bool = False,
) -> dict[str, Any]:
    """Discover and store articles published in [start, end] (dates inclusive)."""
    logger = get_run_logger()
    settings = load_settings()
    sources_path = str(Path(sources_file) if sources_file else settings.sources_file)
    baseline_path = str(Path(baseline_file) if baseline_file else settings.baseline_file)
    selected = load_sources(Path(sources_path)).enabled(sources)  # fails fast on unknown names
    prepare_database(settings, baseline_file=Path(baseline_path))
    ensure_limits(settings, selected)
    windows = split_windows(start, end, window_days)
    plan = [(w, s) for w in windows for s in selected]  # oldest window first, every source
    # Called from a sync flow, these return plain values (Prefect's sync/async dual API).
    progress: UUID = create_progress_artifact(  # type: ignore[assignment]
        progress=0.0, key=PROGRESS_KEY, description=f"backfill {start}..{end}"
    )
    totals: dict[str, Any] = {
        "windows": len(windows),
        "runs": 0,
        "skipped_done": 0,
        "new_articles": 0,
        "departures": 0,
        "failed_sources": set(),
        "failed_windows": [],
    }
    db_url = settings.resolved_database_url
    # Each window reads its source's archive back to its start: pages already read by an
    # earlier window are not fetched again (tasks see this context: Prefect copies it).
    with archive_pages_kept():
        for count, ((w_start, w_end), source) in enumerate(plan, start=1):
            if not redo and _window_done(db_url, source.name, w_start, w_end):
                totals["skipped_done"] += 1
            else:
                result = backfill_window(
                    source=source,
                    window_start=w_start,
                    window_end=w_end,
                    baseline_file=baseline_path,
                )
                totals["runs"] += 1
                totals["new_articles"] += result["new"]
                totals["departures"] += result["departures"]
                if result["window_error"]:
                    totals["failed_sources"].add(source.name)
                    totals["failed_windows"].append(
                        f"{source.name} {w_start.date()}..{w_end.date()}: {result['window_error']}"
                    )
                logger.info(
                    "backfill %s %s..%s: %d new articles",
                    source.name,
                    w_start.date(),
                    w_end.date(),
                    result["new"],
                )
            update_progress_artifact(artifact_id=progress, progress=100.0 * count / len(plan))
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
