"""Immediate-alert outbox: one ``Alert`` row per (policy change, channel).

The rows follow the same claim → send → record protocol as digest deliveries (see
``storage.deliveries``): claimed and committed as ``sending`` before the channel is called, so
a crash mid-send leaves an *uncertain* row. On a ``hold`` channel (the default) it is never
re-sent automatically; on a ``tw-uncertain=resend`` channel it is re-sent with the same
idempotency key once its sender is provably gone.
"""

from __future__ import annotations

from sqlmodel import Session, col, select

from storage.deliveries import ensure_outbox
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
    change_id = change.id
    assert change_id is not None, "store the policy change first"
    return ensure_outbox(
        session=session,
        existing=session.exec(select(Alert).where(Alert.policy_change_id == change_id)),
        channels=channels,
        make=lambda key, label: Alert(
            policy_change_id=change_id, channel_key=key, channel_label=label
        ),
    )
