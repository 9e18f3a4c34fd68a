"""Backfill progress, one row per (source, window), so an interrupted backfill resumes.

A window is ``running`` from its start until it is marked ``done`` (or ``failed``, with the
error). A later backfill over the same range skips ``done`` windows and runs the others again;
``running`` rows left behind by a crash are simply run again (every article write is
idempotent, so a half-done window costs fetches, never duplicates).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from storage.enums import BackfillStatus
from storage.models import BackfillWindow
from storage.source_state import MAX_ERROR_CHARS
from storage.types import as_utc

Window = tuple[datetime, datetime]


@dataclass(frozen=True)
class BackfillProgress:
    """How far a backfill over known (source, window) pairs has come."""

    total: int
    done: int
    failed: int
    new_articles: int

    @property
    def finished(self) -> int:
        return self.done + self.failed


def _key(start: datetime, end: datetime) -> Window:
    return as_utc(start, what="window start"), as_utc(end, what="window end")


def _get(*, session: Session, source: str, start: datetime, end: datetime) -> BackfillWindow | None:
    start, end = _key(start, end)
    return session.exec(
        select(BackfillWindow).where(
            BackfillWindow.source == source,
            BackfillWindow.window_start == start,
            BackfillWindow.window_end == end,
        )
    ).first()


def is_window_done(*, session: Session, source: str, start: datetime, end: datetime) -> bool:
    """Whether this source's window was completed by an earlier backfill."""
    row = _get(session=session, source=source, start=start, end=end)
    return row is not None and row.status is BackfillStatus.DONE


def start_window(
    *, session: Session, source: str, start: datetime, end: datetime, now: datetime | None = None
) -> BackfillWindow:
    """Mark the window ``running`` (creating its row); a failed or stale row starts over."""
    row = _get(session=session, source=source, start=start, end=end)
    if row is None:
        start, end = _key(start, end)
        row = BackfillWindow(source=source, window_start=start, window_end=end)
        session.add(row)
    row.status = BackfillStatus.RUNNING
    row.error = None
    row.started_at = as_utc(now, what="now")
    row.completed_at = None
    session.flush()
    return row


def finish_window(
    *,
    session: Session,
    source: str,
    start: datetime,
    end: datetime,
    new_articles: int,
    error: str | None = None,
    now: datetime | None = None,
) -> BackfillWindow:
    """Mark the window ``done`` with its count, or ``failed`` with ``error``."""
    row = _get(session=session, source=source, start=start, end=end) or start_window(
        session=session, source=source, start=start, end=end, now=now
    )
    row.status = BackfillStatus.FAILED if error else BackfillStatus.DONE
    row.error = error[:MAX_ERROR_CHARS] if error else None
    row.new_articles = new_articles
    row.completed_at = as_utc(now, what="now")
    session.flush()
    return row


def backfill_progress(
    *, session: Session, sources: Iterable[str], windows: Iterable[Window]
) -> BackfillProgress:
    """Progress over every (source, window) pair of a backfill plan."""
    names = list(sources)
    keys = {_key(s, e) for s, e in windows}
    total = len(names) * len(keys)
    if not total:
        return BackfillProgress(total=0, done=0, failed=0, new_articles=0)
    rows = session.exec(select(BackfillWindow).where(col(BackfillWindow.source).in_(names))).all()
    done = failed = new = 0
    for row in rows:
        if (as_utc(row.window_start, what="start"), as_utc(row.window_end, what="end")) not in keys:
            continue
        if row.status is BackfillStatus.DONE:
            done += 1
            new += row.new_articles
        elif row.status is BackfillStatus.FAILED:
            failed += 1
    return BackfillProgress(total=total, done=done, failed=failed, new_articles=new)
