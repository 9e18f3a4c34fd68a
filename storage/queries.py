"""The read side: plain frozen values for digests, review and reports, never ORM rows.

Each function runs a fixed number of queries, whatever the number of items (no N+1).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from classify.types import Direction, Relation
from storage.deliveries import uncertain as uncertain_rows
from storage.enums import DeliveryStatus, PolicyChangeStatus
from storage.models import (
    Alert,
    Article,
    ArticleAlias,
    ArticleRevision,
    Assessment,
    Delivery,
    PolicyChange,
    PolicyChangeEvidence,
    Signal,
    SkippedPage,
    SourceEvent,
    SourceState,
)
from storage.review import review_stats
from storage.types import as_utc

EXPORT_BATCH = 500


@dataclass(frozen=True)
class SignalView:
    dimension: str
    direction: Direction
    relation: Relation
    score: float
    evidence: list[dict[str, Any]]  # [{"sentence": ..., "cues": [...]}]
    baseline_stance: str | None
    reported_stance: str | None


@dataclass(frozen=True)
class ItemView:
    """An article with its latest assessment in a window."""

    article_id: int
    url: str
    title: str
    outlet: str
    source: str
    published_at: datetime | None
    historical: bool
    relevant: bool
    direction: Direction
    relation: Relation
    confidence: float
    baseline_version: str
    signals: list[SignalView]
    policy_change_ids: list[int]  # changes this article gave evidence for
    assessment_id: int
    classifier_version: str
    assessed_at: datetime
    evidence: list[str]  # deciding sentences, strongest signal first


@dataclass(frozen=True)
class PolicyChangeView:
    id: int
    dimension: str
    direction: Direction
    baseline_version: str
    from_stance: str | None
    to_stance: str | None
    status: PolicyChangeStatus
    first_seen_at: datetime
    last_seen_at: datetime
    outlets: list[str]
    corroboration: int
    confidence: float
    review_note: str | None
    reviewed_at: datetime | None
    article_ids: list[int]


@dataclass(frozen=True)
class SourceEventView:
    source: str
    kind: str
    at: datetime
    detail: str


@dataclass(frozen=True)
class RevisionView:
    article_id: int
    url: str
    title: str
    outlet: str
    revision_no: int
    created_at: datetime
    diff: str
    content_hash: str
    text: str  # this revision's text
    previous_text: str  # the text of revision_no - 1
    previous_title: str


def _latest_assessment_ids(
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    include_historical: bool = True,
    by_published: bool = False,
) -> SelectOfScalar[int | None]:
    """Subquery: the newest assessment id per article (ids grow with time), of assessments
    made in [start, end) — or, with ``by_published``, of articles published in it."""
    stmt = select(func.max(Assessment.id)).group_by(col(Assessment.article_id))
    when: Any = col(Assessment.created_at)
    if by_published:
        stmt = stmt.join(Article, col(Article.id) == col(Assessment.article_id))
        when = Article.__table__.c.published_at  # type: ignore[attr-defined]  # nullable column
    if start is not None:
        stmt = stmt.where(when >= as_utc(start, what="start"))
    if end is not None:
        stmt = stmt.where(when < as_utc(end, what="end"))
    if not include_historical:
        stmt = stmt.where(col(Assessment.historical).is_(False))
    return stmt


def window_items(
    *,
    session: Session,
    start: datetime,
    end: datetime,
    include_historical: bool = False,
    by_published: bool = False,
) -> list[ItemView]:
    """Per article, its latest assessment created in [start, end), newest articles first.

    ``by_published`` selects articles *published* in the window instead (retrospective
    digests of a backfilled period, whose assessments were all made today)."""
    latest = _latest_assessment_ids(
        start=start, end=end, include_historical=include_historical, by_published=by_published
    )
    rows = session.exec(
        select(Assessment, Article)
        .join(Article, col(Article.id) == col(Assessment.article_id))
        .where(col(Assessment.id).in_(latest))
    ).all()
    signals: dict[int, list[SignalView]] = defaultdict(list)
    for sig in session.exec(
        select(Signal)
        .where(col(Signal.assessment_id).in_(latest))
        .order_by(col(Signal.score).desc(), col(Signal.id))
    ):
        signals[sig.assessment_id].append(
            SignalView(
                dimension=sig.dimension,
                direction=sig.direction,
                relation=sig.relation,
                score=sig.score,
                evidence=list(sig.evidence),
                baseline_stance=sig.baseline_stance,
                reported_stance=sig.reported_stance,
            )
        )
    changes: dict[int, list[int]] = defaultdict(list)
    article_ids = select(Assessment.article_id).where(col(Assessment.id).in_(latest))
    for article_id, change_id in session.exec(
        select(PolicyChangeEvidence.article_id, PolicyChangeEvidence.policy_change_id)
        .where(col(PolicyChangeEvidence.article_id).in_(article_ids))
        .order_by(col(PolicyChangeEvidence.policy_change_id))
    ):
        changes[article_id].append(change_id)

    items = [
        ItemView(
            article_id=_id(article.id),
            url=article.url,
            title=article.title,
            outlet=article.outlet,
            source=article.source,
            published_at=article.published_at,
            historical=assessment.historical,
            relevant=assessment.relevant,
            direction=assessment.direction,
            relation=assessment.relation,
            confidence=assessment.confidence,
            baseline_version=assessment.baseline_version,
            signals=signals.get(_id(assessment.id), []),
            policy_change_ids=changes.get(_id(article.id), []),
            assessment_id=_id(assessment.id),
            classifier_version=assessment.classifier_version,
            assessed_at=assessment.created_at,
            evidence=list(assessment.evidence),
        )
        for assessment, article in rows
    ]
    # Sorted here: NULL ordering differs between SQLite and PostgreSQL.
    items.sort(key=lambda i: (i.published_at or i.assessed_at, i.article_id), reverse=True)
    return items


def policy_changes(
    *, session: Session, status: PolicyChangeStatus | str | None = "open"
) -> list[PolicyChangeView]:
    """Policy changes with the given status (all when None), oldest first."""
    stmt = select(PolicyChange).order_by(col(PolicyChange.first_seen_at), col(PolicyChange.id))
    evidence = select(PolicyChangeEvidence.policy_change_id, PolicyChangeEvidence.article_id)
    if status is not None:
        wanted = PolicyChangeStatus(status)
        stmt = stmt.where(PolicyChange.status == wanted)
        evidence = evidence.join(
            PolicyChange, col(PolicyChange.id) == col(PolicyChangeEvidence.policy_change_id)
        ).where(PolicyChange.status == wanted)
    articles: dict[int, list[int]] = defaultdict(list)
    for change_id, article_id in session.exec(evidence.order_by(col(PolicyChangeEvidence.id))):
        articles[change_id].append(article_id)
    return [
        PolicyChangeView(
            id=_id(pc.id),
            dimension=pc.dimension,
            direction=pc.direction,
            baseline_version=pc.baseline_version,
            from_stance=pc.from_stance,
            to_stance=pc.to_stance,
            status=pc.status,
            first_seen_at=pc.first_seen_at,
            last_seen_at=pc.last_seen_at,
            outlets=list(pc.outlets),
            corroboration=pc.corroboration,
            confidence=pc.confidence,
            review_note=pc.review_note,
            reviewed_at=pc.reviewed_at,
            article_ids=articles.get(_id(pc.id), []),
        )
        for pc in session.exec(stmt)
    ]


def source_events(*, session: Session, start: datetime, end: datetime) -> list[SourceEventView]:
    """Health changes of sources in [start, end), in time order."""
    stmt = (
        select(SourceEvent)
        .where(
            col(SourceEvent.at) >= as_utc(start, what="start"),
            col(SourceEvent.at) < as_utc(end, what="end"),
        )
        .order_by(col(SourceEvent.at), col(SourceEvent.id))
    )
    return [
        SourceEventView(source=e.source, kind=str(e.kind), at=e.at, detail=e.detail)
        for e in session.exec(stmt)
    ]


def failing_sources(*, session: Session, start: datetime, end: datetime) -> list[SourceEventView]:
    """Sources whose last attempt, made in [start, end), failed but which have not (yet)
    turned unhealthy: single errors, shown in the digest of the window they happened in.
    Unhealthy sources are reported by their ``unhealthy`` event instead."""
    stmt = (
        select(SourceState)
        .where(
            col(SourceState.consecutive_failures) > 0,
            col(SourceState.healthy).is_(True),
            col(SourceState.last_attempt_at) >= as_utc(start, what="start"),
            col(SourceState.last_attempt_at) < as_utc(end, what="end"),
        )
        .order_by(col(SourceState.name))
    )
    return [
        SourceEventView(
            source=state.name,
            kind="failing",
            at=as_utc(state.last_attempt_at, what="last_attempt_at"),
            detail=f"{state.consecutive_failures} consecutive failure(s), last "
            f"{state.last_error_kind}: {state.last_error}",
        )
        for state in session.exec(stmt)
    ]


def revisions(*, session: Session, start: datetime, end: datetime) -> list[RevisionView]:
    """Revisions after the first (edits of known articles) made in [start, end), each with
    the text of the revision before it."""
    previous = aliased(ArticleRevision)
    stmt = (
        select(ArticleRevision, Article, previous)
        .join(Article, col(Article.id) == col(ArticleRevision.article_id))
        .join(
            previous,
            (col(previous.article_id) == col(ArticleRevision.article_id))
            & (col(previous.revision_no) == col(ArticleRevision.revision_no) - 1),
        )
        .where(
            col(ArticleRevision.revision_no) > 1,
            col(ArticleRevision.created_at) >= as_utc(start, what="start"),
            col(ArticleRevision.created_at) < as_utc(end, what="end"),
        )
        .order_by(col(ArticleRevision.created_at), col(ArticleRevision.id))
    )
    return [
        RevisionView(
            article_id=rev.article_id,
            url=article.url,
            title=rev.title,
            outlet=article.outlet,
            revision_no=rev.revision_no,
            created_at=rev.created_at,
            diff=rev.diff,
            content_hash=rev.content_hash,
            text=rev.text,
            previous_text=prev.text,
            previous_title=prev.title,
        )
        for rev, article, prev in session.exec(stmt)
    ]


def status_report(*, session: Session) -> dict[str, Any]:
    """Counts and per-source health, JSON-ready (datetimes as ISO strings)."""

    def count(stmt: Any) -> int:
        return int(session.exec(stmt).one())

    by_status = dict.fromkeys((s.value for s in DeliveryStatus), 0)
    for status, n in session.exec(
        select(Delivery.status, func.count()).group_by(col(Delivery.status))
    ):
        by_status[str(status)] = int(n)
    # Listed pages dropped rather than stored, and not fetched again while their listing
    # stands (storage.skipped): what a source's pages come to besides its articles. One
    # stored since (a page live after a 404, a teaser opened) is no longer dropped.
    stored = select(Article.id).where(col(Article.url) == col(SkippedPage.url))
    aliased = select(ArticleAlias.url).where(col(ArticleAlias.url) == col(SkippedPage.url))
    dropped: defaultdict[str, dict[str, int]] = defaultdict(dict)
    for source, reason, n in session.exec(
        select(SkippedPage.source, SkippedPage.reason, func.count())
        .where(~stored.exists(), ~aliased.exists())
        .group_by(col(SkippedPage.source), col(SkippedPage.reason))
    ):
        dropped[source][reason] = int(n)
    sources = {
        state.name: {
            "healthy": state.healthy,
            "consecutive_failures": state.consecutive_failures,
            "last_success_at": _iso(state.last_success_at),
            "last_error_kind": state.last_error_kind,
            "last_error": state.last_error,
            "dropped_pages": dict(sorted(dropped[state.name].items())),
        }
        for state in session.exec(select(SourceState).order_by(col(SourceState.name)))
    }
    uncertain = [
        {
            "kind": "delivery",
            "id": d.id,
            "channel": d.channel_label,
            "since": _iso(d.last_attempt_at),
        }
        for d in uncertain_rows(session=session, model=Delivery)
    ] + [
        {"kind": "alert", "id": a.id, "channel": a.channel_label, "since": _iso(a.last_attempt_at)}
        for a in uncertain_rows(session=session, model=Alert)
    ]
    return {
        "counts": {
            "articles": count(select(func.count()).select_from(Article)),
            "revisions": count(select(func.count()).select_from(ArticleRevision)),
            "assessments": count(select(func.count()).select_from(Assessment)),
            "open_policy_changes": count(
                select(func.count())
                .select_from(PolicyChange)
                .where(PolicyChange.status == PolicyChangeStatus.OPEN)
            ),
            "deliveries": by_status,
        },
        "sources": sources,
        # accepted vs dismissed departures per dimension, then "all": the false-alert rate
        "review": {
            st.dimension: {
                "accepted": st.accepted,
                "dismissed": st.dismissed,
                "false_alert_rate": st.false_alert_rate,
            }
            for st in review_stats(session=session)
        },
        # sends interrupted mid-way: never repeated until an operator decides
        "uncertain_deliveries": uncertain,
    }


def export_rows(*, session: Session, since: datetime | None = None) -> Iterator[dict[str, Any]]:
    """One row per article (first seen at or after ``since``) with its latest assessment,
    streamed in batches; assessment fields are None for articles not yet assessed."""
    latest = (
        select(
            col(Assessment.article_id).label("article_id"),
            func.max(Assessment.id).label("assessment_id"),
        )
        .group_by(col(Assessment.article_id))
        .subquery()
    )
    stmt = (
        select(Article, Assessment)
        .outerjoin(latest, latest.c.article_id == col(Article.id))
        .outerjoin(Assessment, col(Assessment.id) == latest.c.assessment_id)
        .order_by(col(Article.id))
        .execution_options(yield_per=EXPORT_BATCH)
    )
    if since is not None:
        stmt = stmt.where(col(Article.first_seen_at) >= as_utc(since, what="since"))
    for article, assessment in session.exec(stmt):
        yield {
            "url": article.url,
            "outlet": article.outlet,
            "title": article.title,
            "published_at": _iso(article.published_at),
            "text": article.text,
            "relevant": assessment.relevant if assessment else None,
            "direction": str(assessment.direction) if assessment else None,
            "relation": str(assessment.relation) if assessment else None,
            "dimensions": list(assessment.dimensions) if assessment else [],
        }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _id(value: int | None) -> int:
    assert value is not None  # rows read back from the database always have ids
    return value
