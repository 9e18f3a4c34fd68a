"""Immediate-alert outbox: one ``Alert`` row per (policy change, channel).

The rows follow the same claim → send → record protocol as digest deliveries (see
``storage.deliveries``): claimed and committed as ``sending`` before the channel is called, so
a crash mid-send leaves an *uncertain* row that is never re-sent automatically.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.enums import PolicyChangeStatus
from storage.models import Alert, Assessment, PolicyChange, PolicyChangeEvidence, Signal


def alert_candidates(
    *, session: Session, min_confidence: float, min_corroboration: int
) -> list[PolicyChange]:
    """Open policy changes at or above both thresholds that at least one live assessment
    reported: a change seen only in backfilled articles or in a replay (``reclassify``, whose
    assessments are historical) never alerts."""
    live = (
        select(PolicyChangeEvidence.policy_change_id)
        .join(Signal, col(Signal.id) == col(PolicyChangeEvidence.signal_id))
        .join(Assessment, col(Assessment.id) == col(Signal.assessment_id))
        .where(col(Assessment.historical).is_(False))
    )
    stmt = (
        select(PolicyChange)
        .where(
            PolicyChange.status == PolicyChangeStatus.OPEN,
            col(PolicyChange.confidence) >= min_confidence,
            col(PolicyChange.corroboration) >= min_corroboration,
            col(PolicyChange.id).in_(live),
        )
        .order_by(col(PolicyChange.first_seen_at), col(PolicyChange.id))
    )
    return list(session.exec(stmt))


def ensure_alerts(
    *, session: Session, change: PolicyChange, channels: list[tuple[str, str]]
) -> list[Alert]:
    """The alerts of ``change`` to ``channels`` ((key, label) pairs), creating missing ones as
    pending; existing rows keep their status. Flushes, never commits."""
    assert change.id is not None, "store the policy change first"
    existing = {
        a.channel_key: a
        for a in session.exec(select(Alert).where(Alert.policy_change_id == change.id))
    }
    out: list[Alert] = []
    for key, label in dict(channels).items():
        alert = existing.get(key)
        if alert is None:
            alert = Alert(policy_change_id=change.id, channel_key=key, channel_label=label)
            session.add(alert)
            existing[key] = alert
        out.append(alert)
    session.flush()
    return out
