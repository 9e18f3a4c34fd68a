"""Read side: window items (latest assessment, no N+1), changes, events, revisions, reports."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from sqlmodel import Session

from classify.types import Direction, Relation
from storage.articles import UpsertResult, remember_listed_url, upsert_article
from storage.assessments import record_assessment
from storage.deliveries import ensure_deliveries, mark_failed
from storage.digests import save_digest
from storage.enums import PolicyChangeStatus
from storage.queries import (
    export_rows,
    policy_changes,
    revisions,
    source_events,
    status_report,
    window_items,
)
from storage.skipped import remember_skipped
from storage.source_state import record_fetch_failure, record_fetch_success
from tests.storage.helpers import T0, at, departing_signal, parsed, verdict


def _store(
    session: Session, n: int, outlet: str = "Daily NK", historical: bool = False
) -> UpsertResult:
    item = parsed(url=f"https://example.org/{n}", title=f"Item {n}", published=at(-n))
    result = upsert_article(
        session=session, parsed=item, source="s", outlet=outlet, historical=historical, now=T0
    )
    session.commit()
    return result


def _assess(session: Session, stored: UpsertResult, hour: float, **kw: Any) -> None:
    record_assessment(
        session=session,
        article=stored.article,
        revision=stored.revision,
        assessment=verdict(**kw),
        now=at(hour),
    )
    session.commit()


@contextmanager
def _count_queries(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def on_execute(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)


def test_window_items_latest_assessment_in_window(session: Session) -> None:
    a = _store(session, 1)
    b = _store(session, 2, outlet="NK News")
    old = _store(session, 3, historical=True)
    _assess(session, a, 1, classifier_version="rules-1")
    _assess(session, a, 2, classifier_version="rules-2")  # supersedes the first
    _assess(session, b, 3)
    _assess(session, b, 30, classifier_version="rules-2")  # after the window: ignored
    _assess(session, old, 4)
    record_assessment(
        session=session,
        article=a.article,
        revision=a.revision,
        assessment=verdict(departing_signal(), classifier_version="rules-3"),
        now=at(5),
    )
    session.commit()

    items = window_items(session=session, start=at(0), end=at(24))
    assert [i.url for i in items] == ["https://example.org/1", "https://example.org/2"]
    first = items[0]
    assert first.relation is Relation.DEPARTS and first.direction is Direction.LOOSENING
    assert first.outlet == "Daily NK" and first.title == "Item 1"
    assert first.classifier_version == "rules-3"
    assert first.assessed_at == at(5)
    assert [s.dimension for s in first.signals] == ["trade_authority"]
    assert first.signals[0].evidence[0]["cues"] == [
        "sign contracts directly",
        "provincial trading companies",
    ]
    assert len(first.policy_change_ids) == 1
    assert items[1].signals == [] and items[1].policy_change_ids == []
    assert items[1].classifier_version == "rules-1"

    with_old = window_items(session=session, start=at(0), end=at(24), include_historical=True)
    assert {i.url for i in with_old} == {a.article.url, b.article.url, old.article.url}
    assert window_items(session=session, start=at(6), end=at(24)) == []


def test_window_items_query_count_does_not_grow(session: Session) -> None:
    def run() -> int:
        session.expire_all()
        with _count_queries(session) as statements:
            window_items(session=session, start=at(0), end=at(24))
        return len(statements)

    first = _store(session, 1)
    _assess(session, first, 1, classifier_version="x")
    with_one = run()
    for n in range(2, 8):
        stored = _store(session, n, outlet=f"Outlet {n}")
        record_assessment(
            session=session,
            article=stored.article,
            revision=stored.revision,
            assessment=verdict(departing_signal(), departing_signal("fx_earning")),
            now=at(2),
        )
        session.commit()
    assert len(window_items(session=session, start=at(0), end=at(24))) == 7
    assert run() == with_one <= 3


def test_policy_changes_view_with_status_filter(session: Session) -> None:
    a = _store(session, 1)
    b = _store(session, 2, outlet="NK News")
    for stored, hour in ((a, 1), (b, 2)):
        record_assessment(
            session=session,
            article=stored.article,
            revision=stored.revision,
            assessment=verdict(departing_signal()),
            now=at(hour),
        )
    session.commit()
    (view,) = policy_changes(session=session)
    assert view.status is PolicyChangeStatus.OPEN
    assert view.outlets == ["Daily NK", "NK News"] and view.corroboration == 2
    assert view.article_ids == [a.article.id, b.article.id]
    assert view.first_seen_at == at(1) and view.last_seen_at == at(2)
    assert policy_changes(session=session, status="dismissed") == []
    assert len(policy_changes(session=session, status=None)) == 1


def test_source_events_in_window(session: Session) -> None:
    for hour in range(3):
        record_fetch_failure(
            session=session, name="nknews", url="u", error_kind="Timeout", error="t", now=at(hour)
        )
    record_fetch_success(
        session=session,
        name="nknews",
        url="u",
        status=200,
        outcome="changed",
        etag=None,
        last_modified=None,
        body_sha256=None,
        size=1,
        elapsed=0.1,
        now=at(10),
    )
    session.commit()
    events = source_events(session=session, start=at(0), end=at(24))
    assert [(e.source, e.kind, e.at) for e in events] == [
        ("nknews", "unhealthy", at(2)),
        ("nknews", "recovered", at(10)),
    ]
    assert source_events(session=session, start=at(3), end=at(10)) == []


def test_revisions_lists_edits_only(session: Session) -> None:
    _store(session, 1)
    edited = parsed(url="https://example.org/1", title="Item 1 (updated)", published=at(-1))
    upsert_article(session=session, parsed=edited, source="s", outlet="Daily NK", now=at(3))
    session.commit()
    (rev,) = revisions(session=session, start=at(0), end=at(24))
    assert rev.revision_no == 2 and rev.title == "Item 1 (updated)"
    assert "+Title: Item 1 (updated)" in rev.diff
    assert rev.url == "https://example.org/1" and rev.created_at == at(3)
    assert rev.previous_title == "Item 1" and rev.previous_text == rev.text == edited.text
    assert revisions(session=session, start=at(4), end=at(24)) == []


def test_status_report_counts_and_sources(session: Session) -> None:
    a = _store(session, 1)
    record_assessment(
        session=session,
        article=a.article,
        revision=a.revision,
        assessment=verdict(departing_signal()),
        now=at(1),
    )
    digest = save_digest(
        session=session,
        kind="scheduled",
        window_start=at(0),
        window_end=at(24),
        title="t",
        markdown="",
        html="",
        text="",
        summary={},
        path=None,
    )
    d1, _ = ensure_deliveries(session=session, digest=digest, channels=[("a", "A"), ("b", "B")])
    mark_failed(session=session, delivery=d1, error="refused", now=at(25))
    record_fetch_failure(
        session=session,
        name="yonhap",
        url="u",
        error_kind="Timeout",
        error="read timed out",
        now=at(1),
    )
    # The last two were stored since (live after a 404), under their URL or an alias.
    remember_listed_url(session, url="https://example.org/1?ref=rss", article=a.article, now=T0)
    dropped = [f"https://example.org/dropped/{n}" for n in range(3)]
    stored = ["https://example.org/1", "https://example.org/1?ref=rss"]
    reasons = ("paywall", "gone", "paywall", "gone", "gone")
    for url, reason in zip(dropped + stored, reasons, strict=True):
        remember_skipped(
            session,
            url=url,
            source="yonhap",
            reason=reason,
            listed_title=None,
            listed_updated=None,
            now=at(1),
        )
    session.commit()

    report = status_report(session=session)
    assert report["counts"] == {
        "articles": 1,
        "revisions": 1,
        "assessments": 1,
        "open_policy_changes": 1,
        "deliveries": {"pending": 1, "sending": 0, "sent": 0, "failed": 1},
    }
    assert report["sources"]["yonhap"] == {
        "healthy": True,
        "consecutive_failures": 1,
        "last_success_at": None,
        "last_error_kind": "Timeout",
        "last_error": "read timed out",
        "dropped_pages": {"gone": 1, "paywall": 2},
    }


def test_export_rows_streams_latest_assessment(session: Session) -> None:
    a = _store(session, 1)
    b = _store(session, 2)
    _assess(session, a, 1, classifier_version="old")
    record_assessment(
        session=session,
        article=a.article,
        revision=a.revision,
        assessment=verdict(departing_signal(), classifier_version="new"),
        now=at(2),
    )
    session.commit()
    rows = list(export_rows(session=session))
    assert [r["url"] for r in rows] == [a.article.url, b.article.url]
    assert rows[0]["relation"] == "departs" and rows[0]["dimensions"] == ["trade_authority"]
    assert rows[0]["published_at"] == (T0 - timedelta(hours=1)).isoformat()
    assert rows[1]["relevant"] is None and rows[1]["dimensions"] == []
    assert list(export_rows(session=session, since=at(1))) == []
