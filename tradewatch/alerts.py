"""Immediate alerts: a strong departure is sent at once, not only in the next digest.

Off unless ``TRADEWATCH_ALERT_MIN_CONFIDENCE`` is set. An open policy change qualifies when its
confidence reaches that threshold, at least ``TRADEWATCH_ALERT_MIN_CORROBORATION`` distinct
outlets reported it, and at least one of its articles came from monitoring (a change known
only from backfilled, historical articles never alerts). Each (change, channel) is one
``Alert`` row, sent by the claim → send → record protocol described in
``storage.deliveries`` with the same idempotency key on every attempt; a definite failure is
retried with backoff on the next call. An alert interrupted mid-send is reported as uncertain
instead of being sent twice (``hold`` channels, the default), or re-sent once its sender is
provably gone or its lease ran out (``resend`` channels, for receivers that deduplicate).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from classify.baseline import Baseline, load_baseline
from notify.channels import Channel
from notify.content import AlertContent, DigestItem, EvidenceQuote
from notify.render import render_alert
from storage.alerts import alert_candidates, ensure_alerts
from storage.db import get_engine, upgrade
from storage.deliveries import (
    retry_due,
    uncertain,
)
from storage.models import Alert, PolicyChange, PolicyChangeEvidence, Signal
from storage.review import evidence_articles
from tradewatch.outbox import channels_by_key, recover_interrupted, send_one
from tradewatch.settings import Settings

log = logging.getLogger(__name__)

MAX_ITEMS = 3  # an alert is short: the strongest few reports, the digest has the rest


@dataclass(frozen=True)
class AlertReport:
    """What one call did: changes that qualified, alerts sent/failed, uncertain ones, and
    interrupted ones made due again on ``resend`` channels."""

    enabled: bool
    changes: int = 0
    sent: int = 0
    failed: int = 0
    uncertain: int = 0
    recovered: int = 0

    def describe(self) -> str | None:
        """One line for the monitor's log and output; None when alerts are off."""
        if not self.enabled:
            return None
        changes = f"{self.changes} qualifying change{'' if self.changes == 1 else 's'}"
        line = f"alerts: {self.sent} sent, {self.failed} failed ({changes})"
        if self.recovered:
            line += f", {self.recovered} interrupted sends due again"
        if self.uncertain:
            # An operator must decide these: nothing resends them on its own.
            line += f"; {self.uncertain} uncertain, see `tradewatch deliveries`"
        return line


def send_immediate_alerts(
    settings: Settings, *, now: datetime | None = None, engine: Engine | None = None
) -> AlertReport:
    """Alert every configured channel of each qualifying open change not yet alerted there.

    Safe to call after every monitor pass and from several workers: the claim keeps each
    (change, channel) to one send at a time. ``engine`` defaults to one on the configured
    database. Raises ``ChannelConfigError`` for a bad ``tw-`` parameter before sending.
    """
    if settings.alert_min_confidence is None or not settings.notify_urls:
        return AlertReport(enabled=False)
    channels = channels_by_key(settings.notify_urls)
    own_engine = engine is None
    if engine is None:
        url = settings.resolved_database_url
        upgrade(url)
        engine = get_engine(url)
    try:
        with Session(engine) as session:
            return _send_all(session, settings, channels, now=now)
    finally:
        if own_engine:
            engine.dispose()


def _send_all(
    session: Session, settings: Settings, channels: dict[str, Channel], *, now: datetime | None
) -> AlertReport:
    assert settings.alert_min_confidence is not None
    baseline = load_baseline(settings.baseline_file)
    recovered = recover_interrupted(session, model=Alert, channels=channels, now=now)
    labels = [(key, c.label) for key, c in channels.items()]
    changes = alert_candidates(
        session=session,
        min_confidence=settings.alert_min_confidence,
        min_corroboration=settings.alert_min_corroboration,
    )
    sent = failed = 0
    for change in changes:
        alerts = _ensure(session, change, labels)
        due = [a for a in alerts if retry_due(a, now=now)]
        if not due:
            continue
        rendered = render_alert(
            alert_content(session, change, baseline), templates_dir=settings.templates_dir
        )
        for alert in due:
            # None (another run claimed it or owns its outcome) counts as neither
            outcome = send_one(session, alert, channels[alert.channel_key], rendered, now=now)
            sent += outcome is True
            failed += outcome is False
    return AlertReport(
        enabled=True,
        changes=len(changes),
        sent=sent,
        failed=failed,
        uncertain=len(uncertain(session=session, model=Alert)),
        recovered=len(recovered),
    )


def _ensure(session: Session, change: PolicyChange, channels: list[tuple[str, str]]) -> list[Alert]:
    try:
        alerts = ensure_alerts(session=session, change=change, channels=channels)
        session.commit()
    except IntegrityError:
        # another worker inserted the same (change, channel) rows first: use theirs
        session.rollback()
        alerts = ensure_alerts(session=session, change=change, channels=channels)
        session.commit()
    return alerts


def alert_content(session: Session, change: PolicyChange, baseline: Baseline) -> AlertContent:
    """The alert's text for ``change``: the baseline's view against the strongest reports."""
    assert change.id is not None
    dim = baseline.dimension(change.dimension)
    signals = session.exec(
        select(PolicyChangeEvidence.article_id, Signal)
        .join(Signal, col(Signal.id) == col(PolicyChangeEvidence.signal_id))
        .where(PolicyChangeEvidence.policy_change_id == change.id)
    )
    evidence = {article_id: sig for article_id, sig in signals}
    scored: list[tuple[float, DigestItem]] = []
    for art in evidence_articles(session=session, change_id=change.id):
        sig = evidence.get(art.article_id)
        quotes = tuple(
            EvidenceQuote(sentence=str(e["sentence"]), cues=tuple(e.get("cues", ())))
            for e in (sig.evidence if sig else [])
        )
        scored.append(
            (
                sig.score if sig else 0.0,
                DigestItem(
                    title=art.title,
                    url=art.url,
                    outlet=art.outlet,
                    published=art.published_at,
                    dimension=change.dimension,
                    dimension_title=dim.title if dim else change.dimension,
                    direction=str(change.direction),
                    relation="departs",
                    confidence=change.confidence,
                    evidence=quotes,
                    historical=art.historical,
                ),
            )
        )
    # live reports before backfilled ones, then the strongest signal first
    scored.sort(key=lambda pair: (pair[1].historical, -pair[0]))
    items = [item for _score, item in scored]
    return AlertContent(
        policy_change_id=change.id,
        dimension=change.dimension,
        dimension_title=dim.title if dim else change.dimension,
        baseline_version=change.baseline_version,
        baseline_stance=change.from_stance or (dim.stance if dim else "(not in baseline)"),
        reported_stance=change.to_stance or str(change.direction),
        direction=str(change.direction),
        corroboration=change.corroboration,
        confidence=change.confidence,
        outlets=tuple(change.outlets),
        items=tuple(items[:MAX_ITEMS]),
    )
