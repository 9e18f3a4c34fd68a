"""Classifier verdicts, their per-dimension signals, and the policy changes departures open.

A departure on a dimension opens a ``PolicyChange`` for (dimension, direction, baseline
version), or corroborates the open one. ``outlets`` lists every distinct outlet that reported
it; ``corroboration`` counts independent reports (see ``independent_outlets``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import BindParameter, Exists, and_, bindparam, exists, insert, or_
from sqlalchemy.orm import Mapped
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
    return add_assessment(
        session=session, article=article, revision=revision, assessment=assessment, now=now
    )


def add_assessment(
    *,
    session: Session,
    article: Article,
    revision: ArticleRevision,
    assessment: Verdict,
    now: datetime | None = None,
) -> RecordResult:
    """``record_assessment`` for a caller that already knows the assessment is not stored:
    it asked ``assessment_exists`` in this transaction, or stored the revision in it.

    Saves the lookup, not the guarantee: the assessment's unique key still refuses a
    duplicate (``IntegrityError`` at flush). Flushes, never commits.
    """
    at = as_utc(now, what="now")
    assert article.id is not None and revision.id is not None, "store the article first"
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
    session.flush()  # the signals need the assessment's id
    assert row.id is not None

    # Plain INSERTs, not ORM objects: nothing here reads the signals back, and a unit of work
    # per signal cost more than the rows themselves (the ids come back in order).
    rows = [
        {
            "assessment_id": row.id,
            "dimension": sig.dimension,
            "direction": sig.direction,
            "relation": sig.relation,
            "score": sig.score,
            "evidence": [{"sentence": ev.sentence, "cues": list(ev.cues)} for ev in sig.evidence],
            "baseline_stance": sig.baseline_stance,
            "reported_stance": sig.reported_stance,
        }
        for sig in assessment.signals
    ]
    changes: list[PolicyChange] = []
    if not any(sig.relation is Relation.DEPARTS for sig in assessment.signals):
        if rows:
            session.execute(insert(Signal), rows)
        return RecordResult(row, created=True, policy_changes=changes)

    ids = session.scalars(
        insert(Signal).returning(col(Signal.id), sort_by_parameter_order=True), rows
    ).all()
    departing: list[tuple[DimensionSignal, int]] = []
    for sig, signal_id in zip(assessment.signals, ids, strict=True):
        assert signal_id is not None
        if sig.relation is Relation.DEPARTS:
            departing.append((sig, signal_id))
    evidence: list[dict[str, int]] = []
    with session.no_autoflush:
        # Safe without autoflush: everything pending was just flushed, and what this loop
        # leaves pending (evidence rows, counts) belongs to changes it has already handled.
        found = _open_changes(session, assessment.baseline_version, departing)
        handled: set[int] = set()
        for sig, signal_id in departing:
            change, link = _open_or_corroborate(
                session,
                found,
                article=article,
                signal_id=signal_id,
                sig=sig,
                baseline_version=assessment.baseline_version,
                confidence=assessment.confidence,
                at=at,
                handled=handled,
            )
            if link is not None:
                evidence.append(link)
            changes.append(change)
    if evidence:
        session.execute(insert(PolicyChangeEvidence), evidence)
    session.flush()
    return RecordResult(row, created=True, policy_changes=changes)


# Statements run for every article are built once: building one costs more than running it.
_FIND = select(Assessment).where(
    col(Assessment.article_id) == bindparam("article_id"),
    col(Assessment.content_hash) == bindparam("content_hash"),
    col(Assessment.baseline_version) == bindparam("baseline_version"),
    col(Assessment.classifier_version) == bindparam("classifier_version"),
)


def _find(
    session: Session,
    article_id: int,
    content_hash: str,
    baseline_version: str,
    classifier_version: str,
) -> Assessment | None:
    params = {
        "article_id": article_id,
        "content_hash": content_hash,
        "baseline_version": baseline_version,
        "classifier_version": classifier_version,
    }
    return session.exec(_FIND, params=params).first()


_OPEN_CHANGES = select(PolicyChange).where(
    col(PolicyChange.baseline_version) == bindparam("baseline_version"),
    col(PolicyChange.status) == PolicyChangeStatus.OPEN,
    col(PolicyChange.dimension).in_(bindparam("dimensions", expanding=True)),
)


def _open_changes(
    session: Session, baseline_version: str, departing: list[tuple[DimensionSignal, int]]
) -> dict[tuple[str, Direction], PolicyChange]:
    """The open changes the departing signals may corroborate, in one query."""
    dimensions = sorted({sig.dimension for sig, _ in departing})
    result = session.exec(
        _OPEN_CHANGES, params={"baseline_version": baseline_version, "dimensions": dimensions}
    )
    return {(change.dimension, change.direction): change for change in result}


def _open_or_corroborate(
    session: Session,
    found: dict[tuple[str, Direction], PolicyChange],
    *,
    article: Article,
    signal_id: int,
    sig: DimensionSignal,
    baseline_version: str,
    confidence: float,
    at: datetime,
    handled: set[int],
) -> tuple[PolicyChange, dict[str, int] | None]:
    """Open the change ``sig`` departs towards, or corroborate the open one; the change and
    the evidence row to insert (None when the article is already evidence of it).

    ``found`` holds the open changes (this call adds the one it opens); ``handled`` the ids
    of the changes this assessment has already linked the article to.
    """
    assert article.id is not None
    change = found.get((sig.dimension, sig.direction))
    opened = change is None
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
        session.flush()  # the evidence row needs the change's id
        found[(sig.dimension, sig.direction)] = change
    assert change.id is not None

    link: dict[str, int] | None = None
    if change.id in handled:  # a second signal of this assessment towards the same change
        credited: int | None = change.corroboration
    else:
        handled.add(change.id)
        state = None if opened else _evidence_state(session, change.id, article)
        if state is None or not state.linked:
            link = {"policy_change_id": change.id, "article_id": article.id, "signal_id": signal_id}
        credited = _credited_after_link(change, article, list(change.outlets), state)
    if credited is None:
        # Not decidable from what is stored: count from all the evidence, this link included.
        if link is not None:
            session.execute(insert(PolicyChangeEvidence), [link])
            link = None
        credited = len(independent_outlets(session=session, change_id=change.id))

    if article.outlet not in change.outlets:
        # Reassign, not append: JSON columns do not track in-place mutation.
        change.outlets = [*change.outlets, article.outlet]
    change.last_seen_at = max(change.last_seen_at, at)
    change.confidence = max(change.confidence, confidence)
    if change.to_stance is None and sig.reported_stance:
        change.to_stance = sig.reported_stance
    change.corroboration = credited
    return change, link


@dataclass(frozen=True)
class _EvidenceState:
    """What decides whether one more evidence article can change a policy change's count."""

    linked: bool  # the article is already evidence of the change
    newer: bool  # some evidence article has a higher id than this one
    later: bool  # some evidence article was first seen after this one
    same_story: bool  # some evidence article tells this article's story


def _is_evidence(article_id: Mapped[int | None] | BindParameter[int]) -> Exists:
    """Whether ``article_id`` is evidence of the change bound as ``change_id``."""
    return exists().where(
        col(PolicyChangeEvidence.policy_change_id) == bindparam("change_id"),
        col(PolicyChangeEvidence.article_id) == article_id,
    )


# One round trip, built once (SQLAlchemy caches its compiled form). Each part can be answered
# from an index, so its cost does not grow with the change's evidence: the (change, article)
# unique index for the first two (or, for the second, the article_id index: only articles
# newer than this one); for the others the scan starts from the article table
# (``first_seen_at`` index, ``cluster_key`` index or primary key: a handful of rows) and probes
# that unique index per row. Written the other way round, SQLite would walk all the evidence.
_EVIDENCE_STATE = select(
    _is_evidence(bindparam("article_id")).label("linked"),
    exists()
    .where(
        col(PolicyChangeEvidence.policy_change_id) == bindparam("change_id"),
        col(PolicyChangeEvidence.article_id) > bindparam("article_id"),
    )
    .label("newer"),
    exists()
    .where(col(Article.first_seen_at) > bindparam("first_seen"), _is_evidence(col(Article.id)))
    .label("later"),
    exists()
    .where(
        or_(
            col(Article.cluster_key) == bindparam("story"),
            and_(
                col(Article.id) == bindparam("story_id"),
                or_(col(Article.cluster_key).is_(None), col(Article.cluster_key) == ""),
            ),
        ),
        _is_evidence(col(Article.id)),
    )
    .label("same_story"),
)


def _evidence_state(session: Session, change_id: int, article: Article) -> _EvidenceState:
    assert article.id is not None
    story = _story(article.id, article.cluster_key)
    # An article without a key is the story "a<id>": match that one too (-1 matches nothing).
    story_id = int(story[1:]) if story[:1] == "a" and story[1:].isdigit() else -1
    linked, newer, later, same_story = session.exec(
        _EVIDENCE_STATE,
        params={
            "change_id": change_id,
            "article_id": article.id,
            "first_seen": article.first_seen_at,
            "story": story,
            "story_id": story_id,
        },
    ).one()
    return _EvidenceState(bool(linked), bool(newer), bool(later), bool(same_story))


def _credited_after_link(
    change: PolicyChange,
    article: Article,
    outlets_before: list[str],
    state: _EvidenceState | None,
) -> int | None:
    """How many outlets ``independent_outlets`` credits once ``article`` is evidence of
    ``change``, when that follows from the stored count; None when it takes the full count.

    Under the rule, an article first seen after every evidence article of the change (ties:
    a higher id) cannot be the earliest of a story already there. So, given the count before:
    if its story is there, nothing changes; if its outlet was not there, the outlet is new and
    credited (+1); if every outlet there is credited (count == outlets), its outlet already is.
    Otherwise (an article older than the evidence: a late revision, a re-assessment, a ``now``
    behind the stored times; or an outlet seen so far only in others' stories) it takes the
    full count. A linked article adds no evidence; its story is unchanged unless it joined a
    cluster after it was linked (an article keyed before clustering existed), so only one in
    its own story is decided here. Assumes a cluster key, once set, never changes (the rule of
    ``assign_cluster``); anything re-keying stored articles must recount the changes.
    """
    assert article.id is not None
    if state is None:  # the change was opened by this article
        return 1
    if state.linked:
        own = _story(article.id, article.cluster_key) == _story(article.id, None)
        return change.corroboration if own else None
    if state.later or state.newer:
        return None
    if state.same_story:
        return change.corroboration
    if article.outlet not in outlets_before:
        return change.corroboration + 1
    if change.corroboration == len(outlets_before):
        return change.corroboration
    return None


def _story(article_id: int, cluster_key: str | None) -> str:
    """The story an article belongs to under ``independent_outlets``' rule."""
    return cluster_key or f"a{article_id}"


def independent_outlets(*, session: Session, change_id: int) -> set[str]:
    """The outlets that reported a policy change independently.

    The rule: the change's evidence articles are grouped by story cluster (``cluster_key``;
    an article without one is its own story). Each story is credited to the outlet of its
    earliest article (first seen, then lowest id), and each outlet counts once. So an outlet
    reprinting another's story adds nothing; an outlet reporting the change in its own story
    counts; an outlet with several stories still counts once.

    ``PolicyChange.corroboration`` is the size of this set, kept up to date as evidence is
    added (see ``_credited_after_link``) without reading all the evidence each time.
    """
    rows = session.exec(
        select(Article.id, Article.outlet, Article.cluster_key, Article.first_seen_at)
        .join(PolicyChangeEvidence, col(PolicyChangeEvidence.article_id) == col(Article.id))
        .where(PolicyChangeEvidence.policy_change_id == change_id)
    ).all()
    first: dict[str, tuple[datetime, int, str]] = {}
    for article_id, outlet, cluster_key, first_seen in rows:
        assert article_id is not None
        story = _story(article_id, cluster_key)
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
