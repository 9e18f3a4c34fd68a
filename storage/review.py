"""Review verdicts on policy changes, and the false-alert rate they measure.

An analyst accepts a change (policy did move: the baseline gets a new version) or dismisses it
(a false alarm). Both are one conditional UPDATE on an ``open`` row, so two reviewers racing
cannot both decide the same change. Accepted and dismissed counts per dimension give the
measured false-alert rate: dismissed / (accepted + dismissed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from storage.enums import PolicyChangeStatus
from storage.models import Article, PolicyChange, PolicyChangeEvidence, Signal
from storage.types import as_utc


class ReviewError(ValueError):
    """The change does not exist or was already reviewed."""


@dataclass(frozen=True)
class ReviewStat:
    """Review outcomes on one dimension (or ``"all"``)."""

    dimension: str
    accepted: int
    dismissed: int

    @property
    def reviewed(self) -> int:
        return self.accepted + self.dismissed

    @property
    def false_alert_rate(self) -> float | None:
        """Dismissed share of reviewed changes; None before any review."""
        return self.dismissed / self.reviewed if self.reviewed else None


@dataclass(frozen=True)
class EvidenceArticle:
    """An article that reported a change, as a citation needs it."""

    article_id: int
    outlet: str
    title: str
    url: str
    published_at: datetime | None
    first_seen_at: datetime
    historical: bool

    @classmethod
    def of(cls, article: Article) -> EvidenceArticle:
        assert article.id is not None
        return cls(
            article_id=article.id,
            outlet=article.outlet,
            title=article.title,
            url=article.url,
            published_at=article.published_at,
            first_seen_at=article.first_seen_at,
            historical=article.historical,
        )


def get_change(*, session: Session, change_id: int) -> PolicyChange:
    """The change with this id; ``ReviewError`` if there is none."""
    change = session.get(PolicyChange, change_id)
    if change is None:
        raise ReviewError(f"no policy change with id {change_id}")
    return change


def evidence_articles(*, session: Session, change_id: int) -> list[EvidenceArticle]:
    """The articles that reported the change, in the order they were linked."""
    stmt = (
        select(Article)
        .join(PolicyChangeEvidence, col(PolicyChangeEvidence.article_id) == col(Article.id))
        .where(PolicyChangeEvidence.policy_change_id == change_id)
        .order_by(col(PolicyChangeEvidence.id))
    )
    return [EvidenceArticle.of(article) for article in session.exec(stmt)]


def decide(
    *,
    session: Session,
    change_id: int,
    status: PolicyChangeStatus,
    note: str | None,
    now: datetime | None = None,
) -> PolicyChange:
    """Record a review verdict on an open change. Flushes, never commits.

    Raises ``ReviewError`` when the change is missing or no longer open (reviewed already,
    perhaps by someone else a moment ago).
    """
    if status is PolicyChangeStatus.OPEN:
        raise ValueError("a review decides: accepted or dismissed")
    current = get_change(session=session, change_id=change_id)
    result = session.execute(
        update(PolicyChange)
        .where(
            col(PolicyChange.id) == change_id,
            col(PolicyChange.status) == PolicyChangeStatus.OPEN,
        )
        .values(status=status, review_note=note, reviewed_at=as_utc(now, what="now"))
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult of an UPDATE
        session.refresh(current)
        raise ReviewError(f"policy change {change_id} is already {current.status}")
    session.flush()
    session.refresh(current)
    return current


def review_stats(*, session: Session) -> list[ReviewStat]:
    """Accepted and dismissed counts per dimension (sorted), then the total as ``"all"``."""
    counts: dict[str, dict[PolicyChangeStatus, int]] = {}
    stmt = (
        select(PolicyChange.dimension, PolicyChange.status, func.count())
        .where(col(PolicyChange.status) != PolicyChangeStatus.OPEN)
        .group_by(col(PolicyChange.dimension), col(PolicyChange.status))
    )
    for dimension, status, n in session.exec(stmt):
        counts.setdefault(dimension, {})[PolicyChangeStatus(status)] = int(n)
    stats = [
        ReviewStat(
            dimension=dim,
            accepted=c.get(PolicyChangeStatus.ACCEPTED, 0),
            dismissed=c.get(PolicyChangeStatus.DISMISSED, 0),
        )
        for dim, c in sorted(counts.items())
    ]
    total = ReviewStat(
        dimension="all",
        accepted=sum(s.accepted for s in stats),
        dismissed=sum(s.dismissed for s in stats),
    )
    return [*stats, total]


@dataclass(frozen=True)
class ReportedEvidence:
    """One article's report of a change, with the sentences (and cues) that carried it."""

    change_id: int
    article: EvidenceArticle
    score: float
    sentences: tuple[tuple[str, tuple[str, ...]], ...]  # (sentence, cues)


def reported_evidence(
    *, session: Session, change_ids: list[int]
) -> dict[int, list[ReportedEvidence]]:
    """Per change id, its reporting articles with their evidence, strongest first (one query)."""
    if not change_ids:
        return {}
    stmt = (
        select(PolicyChangeEvidence.policy_change_id, Article, Signal)
        .join(Article, col(Article.id) == col(PolicyChangeEvidence.article_id))
        .join(Signal, col(Signal.id) == col(PolicyChangeEvidence.signal_id))
        .where(col(PolicyChangeEvidence.policy_change_id).in_(change_ids))
        .order_by(col(PolicyChangeEvidence.id))
    )
    out: dict[int, list[ReportedEvidence]] = {}
    for change_id, article, signal in session.exec(stmt):
        out.setdefault(change_id, []).append(
            ReportedEvidence(
                change_id=change_id,
                article=EvidenceArticle.of(article),
                score=signal.score,
                sentences=tuple(
                    (str(e.get("sentence", "")), tuple(str(c) for c in e.get("cues", ())))
                    for e in signal.evidence
                ),
            )
        )
    for reports in out.values():
        reports.sort(key=lambda r: -r.score)
    return out
