"""Classifier verdicts, their per-dimension signals, and the policy changes departures open.

A departure on a dimension opens a ``PolicyChange`` for (dimension, direction, baseline
version), or corroborates the open one. ``outlets`` lists every distinct outlet that reported
it; ``corroboration`` counts independent reports (see ``independent_outlets``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from classify.types import Assessment as Verdict
from classify.types import DimensionSignal, Direction, Relation
from storage.enums import PolicyChangeStatus
from storage.models import (
    Article,
    ArticleRevision,
    Assessment,
    BaselineVersion,
    PolicyChange,
    PolicyChangeEvidence,
    Signal,
)
from storage.types import as_utc


@dataclass
class RecordResult:
    """What ``record_assessment`` did.

    ``policy_changes`` are the changes this call opened or corroborated; empty when the
    assessment already existed (``created`` False), so re-runs raise no alerts.
    """

    assessment: Assessment
    created: bool
    policy_changes: list[PolicyChange] = field(default_factory=list)


def assessment_exists(
    *,
    session: Session,
    article_id: int,
    content_hash: str,
    baseline_version: str,
    classifier_version: str,
) -> bool:
    """Whether this revision was already assessed under these baseline and classifier versions."""
    return (
        _find(session, article_id, content_hash, baseline_version, classifier_version) is not None
    )


def record_assessment(
    *,
    session: Session,
    article: Article,
    revision: ArticleRevision,
    assessment: Verdict,
    now: datetime | None = None,
) -> RecordResult:
    """Store ``assessment`` of ``revision`` with its signals; open or corroborate changes.

    Idempotent by (article, revision content hash, baseline version, classifier version).
    Flushes, never commits.
    """
    at = as_utc(now, what="now")
    assert article.id is not None and revision.id is not None, "store the article first"
    existing = _find(
        session,
        article.id,
        revision.content_hash,
        assessment.baseline_version,
        assessment.classifier_version,
    )
    if existing is not None:
        return RecordResult(existing, created=False)

    row = Assessment(
        article_id=article.id,
        revision_id=revision.id,
        content_hash=revision.content_hash,
        baseline_version=assessment.baseline_version,
        classifier_version=assessment.classifier_version,
        relevant=assessment.relevant,
        direction=assessment.direction,
        relation=assessment.relation,
        confidence=assessment.confidence,
        dimensions=assessment.dimensions,
        evidence=assessment.evidence,
        historical=article.historical,
        created_at=at,
    )
    session.add(row)
    session.flush()
    assert row.id is not None

    changes: list[PolicyChange] = []
    for sig in assessment.signals:
        signal = Signal(
            assessment_id=row.id,
            dimension=sig.dimension,
            direction=sig.direction,
            relation=sig.relation,
            score=sig.score,
            evidence=[{"sentence": ev.sentence, "cues": list(ev.cues)} for ev in sig.evidence],
            baseline_stance=sig.baseline_stance,
            reported_stance=sig.reported_stance,
        )
        session.add(signal)
        session.flush()
        if sig.relation is Relation.DEPARTS:
            changes.append(
                _open_or_corroborate(
                    session,
                    article=article,
                    signal=signal,
                    sig=sig,
                    baseline_version=assessment.baseline_version,
                    confidence=assessment.confidence,
                    at=at,
                )
            )
    return RecordResult(row, created=True, policy_changes=changes)


def _find(
    session: Session,
    article_id: int,
    content_hash: str,
    baseline_version: str,
    classifier_version: str,
) -> Assessment | None:
    stmt = select(Assessment).where(
        Assessment.article_id == article_id,
        Assessment.content_hash == content_hash,
        Assessment.baseline_version == baseline_version,
        Assessment.classifier_version == classifier_version,
    )
    return session.exec(stmt).first()


def _open_or_corroborate(
    session: Session,
    *,
    article: Article,
    signal: Signal,
    sig: DimensionSignal,
    baseline_version: str,
    confidence: float,
    at: datetime,
) -> PolicyChange:
    change = session.exec(
        select(PolicyChange).where(
            PolicyChange.dimension == sig.dimension,
            PolicyChange.direction == sig.direction,
            PolicyChange.baseline_version == baseline_version,
            PolicyChange.status == PolicyChangeStatus.OPEN,
        )
    ).first()
    if change is None:
        change = PolicyChange(
            dimension=sig.dimension,
            direction=sig.direction,
            baseline_version=baseline_version,
            from_stance=sig.baseline_stance,
            to_stance=sig.reported_stance
            or _stance_after(session, baseline_version, sig.dimension, sig.direction),
            status=PolicyChangeStatus.OPEN,
            first_seen_at=at,
            last_seen_at=at,
            outlets=[],
            corroboration=0,
            confidence=confidence,
        )
        session.add(change)
        session.flush()

    if article.outlet not in change.outlets:
        # Reassign, not append: JSON columns do not track in-place mutation.
        change.outlets = [*change.outlets, article.outlet]
    change.last_seen_at = max(change.last_seen_at, at)
    change.confidence = max(change.confidence, confidence)
    if change.to_stance is None and sig.reported_stance:
        change.to_stance = sig.reported_stance
    session.add(change)

    assert change.id is not None and article.id is not None and signal.id is not None
    linked = session.exec(
        select(PolicyChangeEvidence).where(
            PolicyChangeEvidence.policy_change_id == change.id,
            PolicyChangeEvidence.article_id == article.id,
        )
    ).first()
    if linked is None:
        session.add(
            PolicyChangeEvidence(
                policy_change_id=change.id, article_id=article.id, signal_id=signal.id
            )
        )
        session.flush()
    change.corroboration = len(independent_outlets(session=session, change_id=change.id))
    session.add(change)
    session.flush()
    return change


def independent_outlets(*, session: Session, change_id: int) -> set[str]:
    """The outlets that reported a policy change independently.

    The rule: the change's evidence articles are grouped by story cluster (``cluster_key``;
    an article without one is its own story). Each story is credited to the outlet of its
    earliest article (first seen, then lowest id), and each outlet counts once. So an outlet
    reprinting another's story adds nothing; an outlet reporting the change in its own story
    counts; an outlet with several stories still counts once.
    """
    rows = session.exec(
        select(Article.id, Article.outlet, Article.cluster_key, Article.first_seen_at)
        .join(PolicyChangeEvidence, col(PolicyChangeEvidence.article_id) == col(Article.id))
        .where(PolicyChangeEvidence.policy_change_id == change_id)
    ).all()
    first: dict[str, tuple[datetime, int, str]] = {}
    for article_id, outlet, cluster_key, first_seen in rows:
        assert article_id is not None
        story = cluster_key or f"a{article_id}"
        candidate = (first_seen, article_id, outlet)
        if story not in first or candidate < first[story]:
            first[story] = candidate
    return {outlet for _, _, outlet in first.values()}


def _stance_after(
    session: Session, baseline_version: str, dimension: str, direction: Direction
) -> str | None:
    """The baseline's own wording for where a departure would leave the dimension, if any."""
    key = {Direction.LOOSENING: "loosened_stance", Direction.TIGHTENING: "tightened_stance"}
    if direction not in key:
        return None
    document = session.exec(
        select(BaselineVersion.document).where(BaselineVersion.version == baseline_version)
    ).first()
    if not document:
        return None
    for dim in document.get("dimensions", []):
        if isinstance(dim, dict) and dim.get("id") == dimension:
            stance = dim.get(key[direction])
            return stance if isinstance(stance, str) else None
    return None
