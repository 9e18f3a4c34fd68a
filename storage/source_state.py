"""Per-source memory: conditional-GET validators, the fetch log, and health changes.

Health changes are events written once per change, so a digest can list what happened in its
window: a source turns ``unhealthy`` after ``failure_threshold`` consecutive failures,
``recovered`` on its next success, and ``silent`` once per spell without new items.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from storage.enums import FetchOutcome, SourceEventKind
from storage.models import FetchLog, SourceEvent, SourceState
from storage.types import as_utc

# Error texts can be whole HTML pages; keep enough to diagnose, not the page.
MAX_ERROR_CHARS = 2000


def get_source_state(*, session: Session, name: str, now: datetime | None = None) -> SourceState:
    """The state row for source ``name``, created (and flushed) on first use at ``now``."""
    state = session.get(SourceState, name)
    if state is None:
        state = SourceState(name=name, created_at=as_utc(now, what="now"))
        session.add(state)
        session.flush()
    return state


def record_fetch_success(
    *,
    session: Session,
    name: str,
    url: str,
    status: int | None,
    outcome: FetchOutcome | str,
    etag: str | None,
    last_modified: str | None,
    body_sha256: str | None,
    size: int | None,
    elapsed: float | None,
    new_items: int = 0,
    now: datetime | None = None,
) -> SourceEvent | None:
    """Log a successful fetch and reset the failure count.

    Validators and body hash are kept when the new value is None (a 304 carries no body).
    Returns the ``recovered`` event when this success ends an unhealthy spell, else None.
    """
    at = as_utc(now, what="now")
    state = get_source_state(session=session, name=name, now=at)
    session.add(
        FetchLog(
            source=name,
            url=url,
            at=at,
            status=status,
            outcome=FetchOutcome(outcome),
            bytes=size,
            elapsed=elapsed,
        )
    )
    if etag is not None:
        state.etag = etag
    if last_modified is not None:
        state.last_modified = last_modified
    if body_sha256 is not None:
        state.last_body_sha256 = body_sha256
    state.consecutive_failures = 0
    state.last_attempt_at = at
    state.last_success_at = at
    if new_items > 0:
        state.last_new_item_at = at

    event: SourceEvent | None = None
    if not state.healthy:
        down_for = at - state.unhealthy_since if state.unhealthy_since else None
        detail = f"recovered after {_human(down_for)}" if down_for is not None else "recovered"
        event = SourceEvent(source=name, kind=SourceEventKind.RECOVERED, at=at, detail=detail)
        session.add(event)
        state.healthy = True
        state.unhealthy_since = None
    session.add(state)
    session.flush()
    return event


def record_fetch_failure(
    *,
    session: Session,
    name: str,
    url: str,
    error_kind: str,
    error: str,
    status: int | None = None,
    now: datetime | None = None,
    failure_threshold: int = 3,
) -> SourceEvent | None:
    """Log a failed fetch; returns the ``unhealthy`` event when this failure crosses the
    threshold (only then: later failures of an unhealthy source add no event)."""
    at = as_utc(now, what="now")
    error = error[:MAX_ERROR_CHARS]
    state = get_source_state(session=session, name=name, now=at)
    session.add(
        FetchLog(
            source=name,
            url=url,
            at=at,
            status=status,
            outcome=FetchOutcome.ERROR,
            error_kind=error_kind,
            error=error,
        )
    )
    state.consecutive_failures += 1
    state.last_attempt_at = at
    state.last_error = error
    state.last_error_kind = error_kind

    event: SourceEvent | None = None
    if state.healthy and state.consecutive_failures >= failure_threshold:
        state.healthy = False
        state.unhealthy_since = at
        event = SourceEvent(
            source=name,
            kind=SourceEventKind.UNHEALTHY,
            at=at,
            detail=f"{state.consecutive_failures} failures in a row; last: {error_kind}: {error}",
        )
        session.add(event)
    session.add(state)
    session.flush()
    return event


def record_silence(
    *, session: Session, name: str, silent_for: timedelta, now: datetime | None = None
) -> SourceEvent | None:
    """Record a ``silent`` event when the source has had no new item for ``silent_for``.

    Once per silent spell: a spell starts at the last new item (or when the source was first
    seen) and ends with the next new item. Returns the event written now, else None.
    """
    at = as_utc(now, what="now")
    state = get_source_state(session=session, name=name, now=at)
    since = state.last_new_item_at or state.created_at
    if at - since < silent_for:
        return None
    already = session.exec(
        select(SourceEvent.id).where(
            SourceEvent.source == name,
            SourceEvent.kind == SourceEventKind.SILENT,
            col(SourceEvent.at) >= since,
        )
    ).first()
    if already is not None:
        return None
    what = "no new items since" if state.last_new_item_at else "no items at all since"
    event = SourceEvent(
        source=name,
        kind=SourceEventKind.SILENT,
        at=at,
        detail=f"{what} {since:%Y-%m-%d %H:%M} UTC ({_human(at - since)})",
    )
    session.add(event)
    session.flush()
    return event


def _human(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} days"
