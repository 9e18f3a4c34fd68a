"""Composing a digest from what is stored, writing it to files, and delivering it.

Departures come first (grouped by dimension, ranked by how many outlets reported them), then
confirmations, new dimensions, source health and revisions. An empty window still yields a
short heartbeat so that silence is never ambiguous. The foot carries the measured false-alert
rate and any delivery whose outcome is unknown.

Delivery follows the claim → send → record protocol of ``storage.deliveries``: definite
failures retried with backoff, every attempt carrying the same idempotency key, and a send
interrupted by a crash either reported as uncertain (``hold`` channels, the default: at most
once) or re-sent once its sender is gone (``resend`` channels: at least once, exactly once at
a receiver that deduplicates on the key).
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session

from classify.baseline import Baseline
from notify.content import (
    DeliveryNote,
    DepartureGroup,
    DigestContent,
    DigestItem,
    DigestSummary,
    EvidenceQuote,
    FalseAlertNote,
    RevisionNote,
    SourceHealthNote,
    word_diff,
)
from notify.render import render_html, render_markdown, render_text
from storage.deliveries import (
    due_deliveries,
    ensure_deliveries,
    uncertain,
)
from storage.digests import last_digest, save_digest
from storage.models import Alert, Delivery, PolicyChange
from storage.queries import (
    ItemView,
    SignalView,
    failing_sources,
    policy_changes,
    revisions,
    source_events,
    status_report,
    window_items,
)
from storage.review import review_stats
from tradewatch.files import write_atomically
from tradewatch.outbox import channels_by_key, recover_interrupted, send_one

log = logging.getLogger(__name__)

DEFAULT_WINDOW = timedelta(days=1)


@dataclass(frozen=True)
class DigestOutcome:
    """What a digest run produced and delivered."""

    digest_id: int
    title: str
    markdown: str
    paths: tuple[Path, ...]
    summary: DigestSummary
    sent: int
    failed: int
    uncertain: int = 0


def default_window(
    session: Session, *, kind: str, now: datetime | None = None
) -> tuple[datetime, datetime]:
    """Since the end of the last digest of this kind (or one day), until now."""
    end = now or datetime.now(UTC)
    previous = last_digest(session=session, kind=kind)
    start = previous.window_end if previous is not None else end - DEFAULT_WINDOW
    return start, end


def _quote(sig: SignalView) -> tuple[EvidenceQuote, ...]:
    return tuple(
        EvidenceQuote(sentence=str(ev["sentence"]), cues=tuple(ev.get("cues", ())))
        for ev in sig.evidence
    )


def _item(
    view: ItemView, sig: SignalView | None, baseline: Baseline, corroboration: int = 1
) -> DigestItem:
    dim = baseline.dimension(sig.dimension) if sig else None
    others = tuple(
        f"{s.dimension}: {s.direction} ({s.relation})" for s in view.signals if s is not sig
    )
    return DigestItem(
        title=view.title,
        url=view.url,
        outlet=view.outlet,
        published=view.published_at,
        dimension=sig.dimension if sig else None,
        dimension_title=dim.title if dim else (sig.dimension if sig else None),
        direction=str(sig.direction if sig else view.direction),
        relation=str(sig.relation if sig else view.relation),
        confidence=view.confidence,
        evidence=_quote(sig) if sig else (),
        corroboration=corroboration,
        historical=view.historical,
        other_signals=others,
    )


def build_content(
    session: Session,
    *,
    baseline: Baseline,
    start: datetime,
    end: datetime,
    include_historical: bool = False,
    title: str | None = None,
    now: datetime | None = None,
) -> DigestContent:
    """Read the window's verdicts and events and arrange them for the reader."""
    # A digest that includes historical items is a retrospective of a period: it selects by
    # publication date, since backfilled items were all assessed when the backfill ran.
    items = window_items(
        session=session,
        start=start,
        end=end,
        include_historical=include_historical,
        by_published=include_historical,
    )
    changes = {pc.id: pc for pc in policy_changes(session=session, status=None)}

    groups: dict[str, list[tuple[ItemView, SignalView]]] = defaultdict(list)
    confirmations: list[DigestItem] = []
    new_items: list[DigestItem] = []
    for view in items:
        if not view.relevant:
            continue
        departing = [s for s in view.signals if s.relation == "departs"]
        for sig in departing:
            groups[sig.dimension].append((view, sig))
        if departing:
            continue
        strongest = max(view.signals, key=lambda s: s.score, default=None)
        if view.relation == "new":
            new_items.append(_item(view, strongest, baseline))
        elif view.relation == "confirms":
            confirmations.append(_item(view, strongest, baseline))

    departures: list[DepartureGroup] = []
    for dimension, members in groups.items():
        dim = baseline.dimension(dimension)
        linked = sorted(
            {
                pc.id
                for view, sig in members
                for pc_id in view.policy_change_ids
                if (pc := changes.get(pc_id)) is not None
                and pc.dimension == dimension
                and pc.direction == sig.direction
            }
        )
        outlets = {o for pc_id in linked for o in changes[pc_id].outlets} or {
            view.outlet for view, _sig in members
        }
        # independent reports (reprints of one story count once), as the change records them
        corroboration = max((changes[i].corroboration for i in linked), default=len(outlets))
        first_sig = members[0][1]
        departures.append(
            DepartureGroup(
                dimension=dimension,
                dimension_title=dim.title if dim else dimension,
                baseline_stance=dim.stance if dim else "(not in baseline)",
                baseline_statement=dim.statement if dim else "",
                reported_stance=first_sig.reported_stance or first_sig.direction,
                direction=str(first_sig.direction),
                corroboration=corroboration,
                items=tuple(
                    _item(view, sig, baseline, corroboration=corroboration)
                    for view, sig in sorted(members, key=lambda m: -m[0].confidence)
                ),
                outlets=tuple(sorted(outlets)),
                confidence=max(view.confidence for view, _sig in members),
                # the open change, if any, is what the reader can act on
                policy_change_id=next(
                    (i for i in linked if changes[i].status == "open"),
                    linked[0] if linked else None,
                ),
            )
        )
    # Most corroborated first; among equals, in the baseline's order (it lists dimensions by
    # analytic weight: who may trade first), then the strongest signal.
    strength = {dim: max(sig.score for _view, sig in members) for dim, members in groups.items()}
    order = {dim.id: index for index, dim in enumerate(baseline.dimensions)}
    departures.sort(
        key=lambda g: (-g.corroboration, order.get(g.dimension, len(order)), -strength[g.dimension])
    )

    # Health changes only (unhealthy, recovered, silent), each written once when it happened:
    # a source that stays down is not repeated in every digest; the summary still counts it.
    # Plus this window's single failures of sources not (yet) unhealthy.
    health = [
        SourceHealthNote(source=e.source, kind=e.kind, detail=e.detail, at=e.at)
        for e in [
            *source_events(session=session, start=start, end=end),
            *failing_sources(session=session, start=start, end=end),
        ]
    ]
    status = status_report(session=session)
    sources = status["sources"]
    healthy = sum(1 for s in sources.values() if s["healthy"])

    revision_notes = [
        RevisionNote(
            title=r.title,
            url=r.url,
            revision_no=r.revision_no,
            word_diff=word_diff(r.previous_text, r.text),
            previous_title=r.previous_title,
        )
        for r in revisions(session=session, start=start, end=end)
    ]

    summary = DigestSummary(
        departures=len({item.url for g in departures for item in g.items}),
        confirmations=len(confirmations),
        new_items=len(new_items),
        sources_healthy=healthy,
        sources_unhealthy=len(sources) - healthy,
    )
    return DigestContent(
        title=title or f"tradewatch digest {start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC",
        window_start=start,
        window_end=end,
        generated_at=now or datetime.now(UTC),
        baseline_version=baseline.version,
        summary=summary,
        departures=tuple(departures),
        confirmations=tuple(confirmations),
        new_items=tuple(new_items),
        source_health=tuple(health),
        revisions=tuple(revision_notes),
        false_alerts=tuple(
            FalseAlertNote(dimension=st.dimension, accepted=st.accepted, dismissed=st.dismissed)
            for st in review_stats(session=session)
            if st.reviewed
        ),
        uncertain=uncertain_notes(session),
    )


def uncertain_notes(session: Session) -> tuple[DeliveryNote, ...]:
    """Deliveries and alerts left in ``sending`` by a sender that died mid-send."""
    notes = [
        DeliveryNote(
            kind="delivery",
            id=d.id or 0,
            channel=d.channel_label,
            subject=d.digest.title,
            since=d.last_attempt_at,
        )
        for d in uncertain(session=session, model=Delivery)
    ]
    for a in uncertain(session=session, model=Alert):
        change = session.get(PolicyChange, a.policy_change_id)
        subject = f"alert on {change.dimension} ({change.direction})" if change else "alert"
        notes.append(
            DeliveryNote(
                kind="alert",
                id=a.id or 0,
                channel=a.channel_label,
                subject=f"{subject}, change {a.policy_change_id}",
                since=a.last_attempt_at,
            )
        )
    return tuple(notes)


def write_files(
    content: DigestContent, *, directory: Path, kind: str, templates_dir: Path | None
) -> tuple[str, str, str, tuple[Path, ...]]:
    """Render the three formats and write them; returns (markdown, html, text, paths)."""
    markdown = render_markdown(content, templates_dir=templates_dir)
    html = render_html(content, templates_dir=templates_dir)
    text = render_text(content, templates_dir=templates_dir)
    directory.mkdir(parents=True, exist_ok=True)
    stem = f"digest-{kind}-{content.window_end:%Y%m%dT%H%M%S}"
    paths = []
    for suffix, body in ((".md", markdown), (".html", html), (".txt", text)):
        path = directory / f"{stem}{suffix}"
        write_atomically(path, body)
        paths.append(path)
    return markdown, html, text, tuple(paths)


def deliver_due(
    session: Session, *, urls: list[str], now: datetime | None = None
) -> tuple[int, int]:
    """Send every due (pending or retry-due) delivery whose channel is still configured.

    First, on ``resend`` channels, rows left ``sending`` by a sender that is provably gone
    (or whose lease ran out) are made due again (``storage.deliveries.recover``); ``hold``
    channels' rows are never touched. Then each due row is claimed (``sending``, committed)
    before its channel is called, with the row's idempotency key, and marked sent only after
    the channel accepted it; a definite failure is recorded with a redacted error and retried
    on a later run with backoff. A row another run claimed first is skipped, and a failure
    is not recorded over a row that moved on meanwhile (sent or re-claimed by another run).
    Raises ``ChannelConfigError`` for a bad ``tw-`` parameter before anything is claimed.
    Returns (sent, failed).
    """
    channels = channels_by_key(urls)
    recover_interrupted(session, model=Delivery, channels=channels, now=now)
    sent = failed = 0
    for delivery in due_deliveries(session=session, now=now):
        channel = channels.get(delivery.channel_key)
        if channel is None:
            continue  # channel removed from settings; keep the row, send nothing
        # None: another run took it between our query and our claim, or owns the row's
        # outcome since (see send_one): neither sent nor failed by this run
        outcome = send_one(session, delivery, channel, delivery.digest, now=now)
        sent += outcome is True
        failed += outcome is False
    return sent, failed


def publish(
    session: Session,
    *,
    content: DigestContent,
    kind: str,
    directory: Path,
    urls: list[str],
    templates_dir: Path | None = None,
    deliver: bool = True,
    now: datetime | None = None,
) -> DigestOutcome:
    """Write the digest, store it, queue one delivery per channel, and deliver what is due."""
    channels = channels_by_key(urls) if deliver else {}  # a bad channel URL fails before any write
    markdown, html, text, paths = write_files(
        content, directory=directory, kind=kind, templates_dir=templates_dir
    )
    digest = save_digest(
        session=session,
        kind=kind,
        window_start=content.window_start,
        window_end=content.window_end,
        title=content.title,
        markdown=markdown,
        html=html,
        text=text,
        summary=vars(content.summary),
        path=str(paths[0]),
    )
    if deliver:
        ensure_deliveries(
            session=session,
            digest=digest,
            channels=[(key, channel.label) for key, channel in channels.items()],
        )
    session.commit()
    sent, failed = deliver_due(session, urls=urls, now=now) if deliver else (0, 0)
    assert digest.id is not None
    return DigestOutcome(
        digest_id=digest.id,
        title=content.title,
        markdown=markdown,
        paths=paths,
        summary=content.summary,
        sent=sent,
        failed=failed,
        uncertain=len(uncertain(session=session, model=Delivery)),
    )
