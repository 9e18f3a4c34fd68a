"""Builders for storage tests: articles, verdicts, a baseline and digest deliveries written
for these tests; and the corroboration rule in plain Python, to hold the database's count
against."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from alembic import command
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from classify.baseline import Baseline
from classify.types import Assessment as Verdict
from classify.types import DimensionSignal, Direction, Evidence, Relation
from parsers.base import ParsedArticle
from storage.db import alembic_config
from storage.deliveries import ensure_deliveries
from storage.digests import save_digest
from storage.enums import DigestKind
from storage.models import Article, Delivery, PolicyChangeEvidence

T0 = datetime(2025, 3, 10, 6, 0, tzinfo=UTC)
CLASSIFIER = "rules-1"


def at(hours: float) -> datetime:
    """``hours`` after T0."""
    return T0 + timedelta(hours=hours)


def parsed(
    url: str = "https://example.org/news/2025/03/border-trade",
    title: str = "Customs post at Sinuiju reopens for licensed traders",
    text: str = (
        "Officials said the customs post would handle cargo from licensed trading companies.\n\n"
        "Traders in the border city described longer inspection queues than last year."
    ),
    published: datetime | None = T0 - timedelta(days=1),
) -> ParsedArticle:
    return ParsedArticle(
        url=url, title=title, text=text, published=published, authors=("Staff reporter",)
    )


def departing_signal(
    dimension: str = "trade_authority",
    direction: Direction = Direction.LOOSENING,
    score: float = 2.0,
) -> DimensionSignal:
    return DimensionSignal(
        dimension=dimension,
        direction=direction,
        relation=Relation.DEPARTS,
        evidence=(
            Evidence(
                sentence="Provincial trading companies may now sign contracts directly.",
                cues=("sign contracts directly", "provincial trading companies"),
            ),
        ),
        score=score,
        baseline_stance="centralizing",
        reported_stance="delegating to provinces",
    )


def verdict(
    *signals: DimensionSignal,
    baseline_version: str = "2025.1",
    classifier_version: str = CLASSIFIER,
    confidence: float = 0.7,
) -> Verdict:
    relation = Relation.DEPARTS if signals else Relation.UNRELATED
    return Verdict(
        relevant=bool(signals),
        direction=signals[0].direction if signals else Direction.NONE,
        relation=relation,
        confidence=confidence,
        baseline_version=baseline_version,
        classifier_version=classifier_version,
        signals=signals,
    )


def baseline(
    version: str = "2025.1", statement: str = "Trade licences are recentralized."
) -> Baseline:
    return Baseline.model_validate(
        {
            "version": version,
            "as_of": date(2025, 1, 15),
            "title": "DPRK foreign-trade policy (test)",
            "dimensions": [
                {
                    "id": "trade_authority",
                    "title": "Who may trade",
                    "stance": "centralizing",
                    "trend": "tightening",
                    "statement": statement,
                    "citations": [{"outlet": "Test Analysis", "title": "A test citation"}],
                    "cues": {"topic": ["trading compan(y|ies)"], "loosening": ["directly"]},
                    "loosened_stance": "licences delegated to provinces",
                    "tightened_stance": "licences held by the centre",
                }
            ],
        }
    )


def stored_delivery(
    session: Session, key: str = "a", end_h: float = 24, *, label: str | None = None
) -> Delivery:
    """The one delivery, to channel ``key``, of a stored digest of the day ending at
    ``at(end_h)``; committed."""
    digest = save_digest(
        session=session,
        kind=DigestKind.SCHEDULED,
        window_start=at(end_h - 24),
        window_end=at(end_h),
        title="Digest",
        markdown="# Digest",
        html="<h1>Digest</h1>",
        text="Digest",
        summary={},
        path=None,
    )
    channels = [(key, label if label is not None else key)]
    (row,) = ensure_deliveries(session=session, digest=digest, channels=channels)
    session.commit()
    return row


def downgrade(engine: Engine, db_url: str, revision: str) -> None:
    """Migrate the database at ``db_url`` down to ``revision`` (to test the next one)."""
    with engine.begin() as conn:
        config = alembic_config(db_url)
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def independent_outlets(*, session: Session, change_id: int) -> set[str]:
    """The outlets ``storage.assessments.independent_outlet_count`` counts, found by its rule
    written out in Python: evidence articles grouped by story (the cluster key; an article
    without one, or with an empty one, is its own story), each story credited to the outlet
    of its earliest article (first seen, then lowest id)."""
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
