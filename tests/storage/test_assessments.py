"""Assessments: idempotent by key, signals stored, policy changes opened and corroborated."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session, col, func, select

from classify.types import Direction, Relation
from storage.articles import UpsertResult, upsert_article
from storage.assessments import assessment_exists, record_assessment
from storage.baselines import ensure_baseline_version
from storage.enums import PolicyChangeStatus
from storage.models import Assessment, PolicyChange, PolicyChangeEvidence, Signal
from tests.storage.helpers import CLASSIFIER, T0, at, baseline, departing_signal, parsed, verdict


def _article(session: Session, n: int, outlet: str) -> UpsertResult:
    item = parsed(url=f"https://example.org/{outlet.replace(' ', '').lower()}/{n}")
    result = upsert_article(session=session, parsed=item, source=outlet, outlet=outlet, now=T0)
    session.commit()
    return result


def _count(session: Session, table: type) -> int:
    return session.exec(select(func.count()).select_from(table)).one()


def test_record_is_idempotent_by_key(session: Session) -> None:
    stored = _article(session, 1, "Daily NK")
    first = record_assessment(
        session=session,
        article=stored.article,
        revision=stored.revision,
        assessment=verdict(departing_signal()),
        now=at(1),
    )
    session.commit()
    second = record_assessment(
        session=session,
        article=stored.article,
        revision=stored.revision,
        assessment=verdict(departing_signal()),
        now=at(2),
    )
    session.commit()

    assert first.created is True and second.created is False
    assert second.assessment.id == first.assessment.id
    assert second.policy_changes == []
    assert _count(session, Assessment) == 1
    assert _count(session, Signal) == 1
    assert _count(session, PolicyChangeEvidence) == 1
    assert assessment_exists(
        session=session,
        article_id=stored.article.id or 0,
        content_hash=stored.revision.content_hash,
        baseline_version="2025.1",
        classifier_version=CLASSIFIER,
    )
    assert not assessment_exists(
        session=session,
        article_id=stored.article.id or 0,
        content_hash=stored.revision.content_hash,
        baseline_version="2025.1",
        classifier_version="rules-2",
    )


def test_new_classifier_version_is_a_new_assessment(session: Session) -> None:
    stored = _article(session, 1, "Daily NK")
    for version in ("rules-1", "rules-2"):
        result = record_assessment(
            session=session,
            article=stored.article,
            revision=stored.revision,
            assessment=verdict(classifier_version=version),
            now=T0,
        )
        assert result.created
    assert _count(session, Assessment) == 2


def test_signals_and_fields_are_stored(session: Session) -> None:
    stored = _article(session, 1, "Daily NK")
    confirming = departing_signal("border_customs", Direction.TIGHTENING, score=0.5)
    confirming = replace(confirming, relation=Relation.CONFIRMS)
    result = record_assessment(
        session=session,
        article=stored.article,
        revision=stored.revision,
        assessment=verdict(departing_signal(), confirming, confidence=0.8),
        now=at(1),
    )
    session.commit()

    row = result.assessment
    assert row.relation is Relation.DEPARTS and row.direction is Direction.LOOSENING
    assert row.dimensions == ["trade_authority", "border_customs"]
    assert row.evidence == ["Provincial trading companies may now sign contracts directly."]
    assert row.content_hash == stored.revision.content_hash
    assert row.created_at == at(1)
    signals = session.exec(select(Signal).order_by(col(Signal.id))).all()
    assert [s.dimension for s in signals] == ["trade_authority", "border_customs"]
    assert signals[0].evidence == [
        {
            "sentence": "Provincial trading companies may now sign contracts directly.",
            "cues": ["sign contracts directly", "provincial trading companies"],
        }
    ]
    assert signals[1].relation is Relation.CONFIRMS
    # Only the departing signal opens a change.
    assert [pc.dimension for pc in result.policy_changes] == ["trade_authority"]


def test_departure_opens_then_other_outlet_corroborates(session: Session) -> None:
    ensure_baseline_version(session=session, baseline=baseline())
    a = _article(session, 1, "Daily NK")
    opened = record_assessment(
        session=session,
        article=a.article,
        revision=a.revision,
        assessment=verdict(departing_signal(), confidence=0.6),
        now=at(1),
    )
    session.commit()
    change = opened.policy_changes[0]
    assert change.status is PolicyChangeStatus.OPEN
    assert change.outlets == ["Daily NK"] and change.corroboration == 1
    assert change.from_stance == "centralizing"
    assert change.to_stance == "delegating to provinces"
    assert change.first_seen_at == at(1)

    b = _article(session, 2, "NK News")
    again = record_assessment(
        session=session,
        article=b.article,
        revision=b.revision,
        assessment=verdict(departing_signal(), confidence=0.9),
        now=at(5),
    )
    session.commit()

    assert [pc.id for pc in again.policy_changes] == [change.id]
    session.expire_all()
    stored = session.exec(select(PolicyChange)).one()
    assert stored.outlets == ["Daily NK", "NK News"]
    assert stored.corroboration == 2
    assert stored.confidence == 0.9
    assert stored.first_seen_at == at(1) and stored.last_seen_at == at(5)
    links = session.exec(select(PolicyChangeEvidence.article_id)).all()
    assert set(links) == {a.article.id, b.article.id}


def test_same_outlet_twice_does_not_corroborate(session: Session) -> None:
    first = _article(session, 1, "Daily NK")
    second = _article(session, 2, "Daily NK")
    for stored, hour in ((first, 1), (second, 2)):
        record_assessment(
            session=session,
            article=stored.article,
            revision=stored.revision,
            assessment=verdict(departing_signal(), confidence=0.5),
            now=at(hour),
        )
        session.commit()

    change = session.exec(select(PolicyChange)).one()
    assert change.outlets == ["Daily NK"]
    assert change.corroboration == 1
    assert change.last_seen_at == at(2)
    assert _count(session, PolicyChangeEvidence) == 2  # both articles are still evidence


def test_other_direction_or_closed_change_opens_a_new_one(session: Session) -> None:
    a = _article(session, 1, "Daily NK")
    record_assessment(
        session=session,
        article=a.article,
        revision=a.revision,
        assessment=verdict(departing_signal()),
        now=at(1),
    )
    change = session.exec(select(PolicyChange)).one()
    change.status = PolicyChangeStatus.DISMISSED
    session.add(change)
    session.commit()

    b = _article(session, 2, "NK News")
    result = record_assessment(
        session=session,
        article=b.article,
        revision=b.revision,
        assessment=verdict(
            departing_signal(), departing_signal("fx_earning", Direction.TIGHTENING)
        ),
        now=at(2),
    )
    session.commit()
    assert len(result.policy_changes) == 2
    assert all(pc.id != change.id for pc in result.policy_changes)
    assert _count(session, PolicyChange) == 3


def test_to_stance_falls_back_to_the_baseline_wording(session: Session) -> None:
    ensure_baseline_version(session=session, baseline=baseline())
    a = _article(session, 1, "Daily NK")
    signal = departing_signal()
    signal = replace(signal, reported_stance=None)
    result = record_assessment(
        session=session,
        article=a.article,
        revision=a.revision,
        assessment=verdict(signal),
        now=at(1),
    )
    assert result.policy_changes[0].to_stance == "licences delegated to provinces"
