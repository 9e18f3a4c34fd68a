"""Backfill progress rows: done windows are remembered, failed ones run again."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sqlmodel import Session, select

from storage.backfill import backfill_progress, finish_window, is_window_done, start_window
from storage.enums import BackfillStatus
from storage.models import BackfillWindow

JAN = (datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC))
FEB = (datetime(2024, 2, 1, tzinfo=UTC), datetime(2024, 3, 1, tzinfo=UTC))


def test_a_finished_window_is_done_and_counted(session: Session) -> None:
    start_window(session=session, source="dailynk", start=JAN[0], end=JAN[1])
    session.commit()
    assert not is_window_done(session=session, source="dailynk", start=JAN[0], end=JAN[1])

    finish_window(session=session, source="dailynk", start=JAN[0], end=JAN[1], new_articles=7)
    session.commit()

    assert is_window_done(session=session, source="dailynk", start=JAN[0], end=JAN[1])
    assert not is_window_done(session=session, source="38north", start=JAN[0], end=JAN[1])
    row = session.exec(select(BackfillWindow)).one()
    assert row.status is BackfillStatus.DONE
    assert row.new_articles == 7 and row.completed_at is not None
    progress = backfill_progress(
        session=session, sources=["dailynk", "38north"], windows=[JAN, FEB]
    )
    assert (progress.total, progress.done, progress.failed, progress.new_articles) == (4, 1, 0, 7)


def test_a_failed_window_starts_over_in_the_same_row(session: Session) -> None:
    start_window(session=session, source="dailynk", start=FEB[0], end=FEB[1])
    finish_window(
        session=session, source="dailynk", start=FEB[0], end=FEB[1], new_articles=0, error="boom"
    )
    session.commit()
    progress = backfill_progress(session=session, sources=["dailynk"], windows=[FEB])
    assert progress.failed == 1 and progress.finished == 1

    row = start_window(session=session, source="dailynk", start=FEB[0], end=FEB[1])
    session.commit()
    assert row.status is BackfillStatus.RUNNING and row.error is None
    assert len(session.exec(select(BackfillWindow)).all()) == 1


def test_windows_match_whatever_the_time_zone(session: Session) -> None:
    seoul = timezone(timedelta(hours=9))
    finish_window(session=session, source="s", start=JAN[0], end=JAN[1], new_articles=1)
    session.commit()
    assert is_window_done(
        session=session,
        source="s",
        start=JAN[0].astimezone(seoul),
        end=JAN[1].astimezone(seoul),
    )
    other = backfill_progress(session=session, sources=["s"], windows=[FEB])
    assert other.done == 0 and other.total == 1
