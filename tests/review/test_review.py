"""Accepting writes the next baseline version (stored and on disk); dismissing counts as a
false alarm; both feed the false-alert rate."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlmodel import Session, select

from classify.baseline import Trend, load_baseline
from classify.types import Direction
from storage.enums import PolicyChangeStatus
from storage.models import BaselineVersion, PolicyChange
from storage.review import ReviewError, review_stats
from tests.review.helpers import store_change, write_baseline
from tests.storage.helpers import at
from tradewatch.review import accept_change, changes_for_review, dismiss_change, next_version


@pytest.mark.parametrize(
    ("version", "taken", "expected"),
    [
        ("2024.1", set(), "2024.2"),
        ("2024.9", {"2024.10"}, "2024.11"),
        ("v3", set(), "v4"),
        ("draft", set(), "draft.1"),
    ],
)
def test_next_version(version: str, taken: set[str], expected: str) -> None:
    assert next_version(version, taken) == expected


def test_review_lists_open_changes_with_evidence(session: Session, tmp_path: Path) -> None:
    change = store_change(session, outlets=("Daily NK", "NK News"))
    items = changes_for_review(session=session, baseline=load_baseline(write_baseline(tmp_path)))
    assert [i.change.id for i in items] == [change.id]
    item = items[0]
    assert item.dimension_title == "Who may trade"
    assert item.baseline_stance == "centralizing"
    assert sorted(r.article.outlet for r in item.reports) == ["Daily NK", "NK News"]
    sentence, cues = item.reports[0].sentences[0]
    assert sentence == "Provincial trading companies may now sign contracts directly."
    assert "sign contracts directly" in cues


def test_accept_writes_next_baseline_version(session: Session, tmp_path: Path) -> None:
    path = write_baseline(tmp_path)
    change = store_change(session, outlets=("Daily NK", "NK News"))
    assert change.id is not None
    result = accept_change(
        session=session, change_id=change.id, baseline_path=path, note=None, now=at(48)
    )
    assert (result.previous_version, result.version) == ("2025.1", "2025.2")

    written = load_baseline(path)  # the file validates
    assert written.version == "2025.2" and written.as_of == date(2025, 3, 12)
    dim = written.dimension("trade_authority")
    assert dim is not None
    assert dim.stance == "delegating to provinces"  # the reported stance
    assert dim.trend is Trend.LOOSENING
    assert dim.tightened_stance == "centralizing"  # a move back restores the old stance
    assert "Daily NK, NK News" in dim.statement and "centralizing" in dim.statement
    cited = [(c.outlet, str(c.url)) for c in dim.citations[:2]]
    assert ("Daily NK", "https://news.example.org/daily-nk/0") in cited
    assert dim.citations[-1].outlet == "Test Analysis"  # the old basis stays cited
    assert dim.citations[-1].note == "basis of baseline 2025.1"  # it had no note of its own

    stored = session.exec(select(BaselineVersion).where(BaselineVersion.version == "2025.2"))
    row = stored.one()
    assert row.content_hash == written.content_hash()
    session.refresh(change)
    assert change.status is PolicyChangeStatus.ACCEPTED
    assert change.reviewed_at == at(48)
    assert not list(tmp_path.glob(".*.tmp"))  # the temporary file was swapped in


def test_accept_with_note_uses_it_as_statement(session: Session, tmp_path: Path) -> None:
    path = write_baseline(tmp_path)
    change = store_change(session)
    assert change.id is not None
    accept_change(
        session=session,
        change_id=change.id,
        baseline_path=path,
        note="Provinces  now\nsign contracts.",
    )
    dim = load_baseline(path).dimension("trade_authority")
    assert dim is not None and dim.statement == "Provinces now sign contracts."


def test_dismiss_then_second_review_is_refused(session: Session, tmp_path: Path) -> None:
    path = write_baseline(tmp_path)
    change = store_change(session)
    assert change.id is not None
    dismiss_change(session=session, change_id=change.id, reason="a rumour, retracted")
    with pytest.raises(ReviewError, match="already dismissed"):
        accept_change(session=session, change_id=change.id, baseline_path=path)
    with pytest.raises(ReviewError, match="already dismissed"):
        dismiss_change(session=session, change_id=change.id, reason="again")
    with pytest.raises(ReviewError, match="needs a reason"):
        dismiss_change(session=session, change_id=change.id, reason="   ")
    with pytest.raises(ReviewError, match="no policy change with id 999"):
        dismiss_change(session=session, change_id=999, reason="x")
    assert load_baseline(path).version == "2025.1"  # untouched
    stored = session.get(PolicyChange, change.id)
    assert stored is not None and stored.review_note == "a rumour, retracted"


def test_false_alert_rate_per_dimension(session: Session, tmp_path: Path) -> None:
    path = write_baseline(tmp_path)
    loosening = store_change(session)
    tightening = store_change(session, direction=Direction.TIGHTENING, first=10)
    assert loosening.id is not None and tightening.id is not None
    assert review_stats(session=session)[-1].false_alert_rate is None
    dismiss_change(session=session, change_id=loosening.id, reason="misread")
    accept_change(session=session, change_id=tightening.id, baseline_path=path)
    stats = {s.dimension: s for s in review_stats(session=session)}
    assert (stats["trade_authority"].accepted, stats["trade_authority"].dismissed) == (1, 1)
    assert stats["all"].false_alert_rate == 0.5
