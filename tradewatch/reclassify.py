"""Replay: re-run the current baseline and classifier over stored articles.

Each article's latest revision is assessed again; the new assessment is stored beside the old
ones (the idempotency key includes baseline and classifier versions, so a second replay adds
nothing). Departures open or corroborate policy changes as usual, but the new assessments are
marked ``historical``: replayed verdicts are about old news and must not raise alerts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, col, select

from classify.rules import CLASSIFIER_VERSION, RuleClassifier
from classify.types import ClassifierInput, Direction, Relation
from storage.articles import latest_revision
from storage.assessments import record_assessment
from storage.db import get_engine
from storage.models import Article, Assessment
from storage.types import utcnow
from tradewatch.pipeline import prepare_database
from tradewatch.settings import Settings


@dataclass(frozen=True)
class VerdictChange:
    """An article whose relation or direction differs from its previous assessment."""

    article_id: int
    url: str
    title: str
    old_relation: Relation
    new_relation: Relation
    old_direction: Direction
    new_direction: Direction
    old_versions: str  # "baseline/classifier" of the assessment compared against


@dataclass
class ReclassifyReport:
    """What a replay did."""

    baseline_version: str
    classifier_version: str
    articles: int = 0  # articles looked at
    assessed: int = 0  # new assessments stored
    already: int = 0  # already assessed under these versions
    first_time: int = 0  # articles that had no assessment before
    policy_changes: int = 0  # policy changes opened or corroborated
    changes: list[VerdictChange] = field(default_factory=list)

    def to_json(self) -> dict[str, object]:
        return {
            "baseline_version": self.baseline_version,
            "classifier_version": self.classifier_version,
            "articles": self.articles,
            "assessed": self.assessed,
            "already_assessed": self.already,
            "first_time": self.first_time,
            "policy_changes": self.policy_changes,
            "changed": len(self.changes),
            "changes": [
                {
                    "article_id": c.article_id,
                    "url": c.url,
                    "title": c.title,
                    "relation": [c.old_relation.value, c.new_relation.value],
                    "direction": [c.old_direction.value, c.new_direction.value],
                    "compared_with": c.old_versions,
                }
                for c in self.changes
            ],
        }


def _previous(session: Session, article_id: int, exclude_id: int | None) -> Assessment | None:
    stmt = (
        select(Assessment)
        .where(Assessment.article_id == article_id)
        .order_by(col(Assessment.created_at).desc(), col(Assessment.id).desc())
    )
    if exclude_id is not None:
        stmt = stmt.where(Assessment.id != exclude_id)
    return session.exec(stmt).first()


def reclassify(
    settings: Settings,
    *,
    since: datetime | None = None,
    baseline_file: Path | None = None,
    now: datetime | None = None,
) -> ReclassifyReport:
    """Assess every stored article (first seen at or after ``since``) with the current rules.

    One transaction per article, as in the pipeline. Returns totals and, per article whose
    relation or direction changed against its most recent earlier assessment, old and new.
    """
    baseline = prepare_database(settings, baseline_file=baseline_file)
    classifier = RuleClassifier(baseline)
    at = now or utcnow()
    report = ReclassifyReport(baseline.version, CLASSIFIER_VERSION)
    engine = get_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            stmt = select(Article.id).order_by(col(Article.id))
            if since is not None:
                stmt = stmt.where(col(Article.first_seen_at) >= since)
            ids = [i for i in session.exec(stmt) if i is not None]
        for article_id in ids:
            with Session(engine) as session:
                _replay_one(session, classifier, article_id, report, at)
                session.commit()
    finally:
        engine.dispose()
    return report


def _replay_one(
    session: Session,
    classifier: RuleClassifier,
    article_id: int,
    report: ReclassifyReport,
    at: datetime,
) -> None:
    article = session.get(Article, article_id)
    assert article is not None
    report.articles += 1
    revision = latest_revision(session, article)
    verdict = classifier.assess(
        ClassifierInput(
            id=str(article_id),
            title=revision.title,
            text=revision.text,
            date=article.published_at.date().isoformat() if article.published_at else None,
            url=article.url,
            outlet=article.outlet,
        )
    )
    result = record_assessment(
        session=session, article=article, revision=revision, assessment=verdict, now=at
    )
    if not result.created:
        report.already += 1
        return
    report.assessed += 1
    report.policy_changes += len(result.policy_changes)
    # A replayed verdict is about old news: it never makes its article alert-worthy.
    result.assessment.historical = True
    session.add(result.assessment)
    old = _previous(session, article_id, result.assessment.id)
    if old is None:
        report.first_time += 1
        return
    if old.relation != verdict.relation or old.direction != verdict.direction:
        report.changes.append(
            VerdictChange(
                article_id=article_id,
                url=article.url,
                title=article.title,
                old_relation=old.relation,
                new_relation=verdict.relation,
                old_direction=old.direction,
                new_direction=verdict.direction,
                old_versions=f"{old.baseline_version}/{old.classifier_version}",
            )
        )
