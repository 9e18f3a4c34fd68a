"""Per-source memory: conditional-GET validators, the fetch log, and health changes.

Health changes are events written once per change, so a digest can list what happened in its
window: a source turns ``unhealthy`` after ``failure_threshold`` consecutive failures,
``recovered`` on its next success, and ``silent`` once per spell without new items.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, true, update
from sqlalchemy import select as sa_select
from sqlmodel import Session, col

from storage.db import held_object, in_lists, table_of
from storage.enums import FetchOutcome, SourceEventKind
from storage.models import FetchLog, SourceEvent, SourceState
from storage.types import as_utc

# Error texts can be whole HTML pages; keep enough to diagnose, not the page.
MAX_ERROR_CHARS = 2000

_STATE = table_of(SourceState)
_LOG = table_of(FetchLog)

# Every monitor pass reads and writes each source's state once. Through the ORM (an object
# loaded, changed, flushed) that cost several times the statements themselves, so the common
# cases below are Core statements built once; the rare ones (a source seen for the first
# time, one that recovers) take the ORM path, which writes events.
_CHECK = sa_select(
    _STATE.c.name,
    _STATE.c.last_attempt_at,
    _STATE.c.etag,
    _STATE.c.last_modified,
    _STATE.c.last_body_sha256,
).where(_STATE.c.name.in_(bindparam("names", expanding=True)))
_SPELL = sa_select(_STATE.c.last_new_item_at, _STATE.c.created_at).where(
    _STATE.c.name == bindparam("name")
)


def _kept(column: str) -> object:
    """The new value of ``column``, or its stored one where the new one is None."""
    return func.coalesce(bindparam(column, type_=_STATE.c[column].type), _STATE.c[column])


# Only while the source is healthy: a success that ends an unhealthy spell writes an event.
_HEALTHY_SUCCESS = (
    update(_STATE)
    .where(_STATE.c.name == bindparam("key"), _STATE.c.healthy == true())
    .values(
        etag=_kept("etag"),
        last_modified=_kept("last_modified"),
        last_body_sha256=_kept("last_body_sha256"),
        last_new_item_at=_kept("last_new_item_at"),
        consecutive_failures=0,
        last_attempt_at=bindparam("at", type_=_STATE.c.last_attempt_at.type),
        last_success_at=bindparam("at", type_=_STATE.c.last_success_at.type),
    )
)
_SILENT_SINCE = sa_select(col(SourceEvent.id)).where(
    col(SourceEvent.source) == bindparam("name"),
    col(SourceEvent.kind) == SourceEventKind.SILENT,
    col(SourceEvent.at) >= bindparam("since", type_=_STATE.c.created_at.type),
)


@dataclass(frozen=True)
class CheckState:
    """What a monitor check needs of a source's state: when it was last tried (its cadence)
    and the listing's validators (the conditional request)."""

    last_attempt_at: datetime | None
    etag: str | None
    last_modified: str | None
    body_sha256: str | None


def check_states(
    *, session: Session, names: Iterable[str], now: datetime | None = None
) -> dict[str, CheckState]:
    """The ``CheckState`` of each source in ``names``, by name, read in one query (per 500
    names); a source's state row is created (and flushed) on first use at ``now``. Flushes
    pending changes first, never commits."""
    session.flush()
    wanted = list(dict.fromkeys(names))
    found: dict[str, CheckState] = {}
    for chunk in in_lists(wanted):
        for name, *state in session.connection().execute(_CHECK, {"names": chunk}):
            found[name] = CheckState(*state)
    for name in wanted:
        if name not in found:
            row = get_source_state(session=session, name=name, now=now)
            found[name] = CheckState(row.last_attempt_at, row.etag, row.last_modified, None)
    return found


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
    Flushes pending changes first, never commits.
    """
    at = as_utc(now, what="now")
    log: dict[str, Any] = {
        "source": name,
        "url": url,
        "at": at,
        "status": status,
        "outcome": FetchOutcome(outcome),
        "error_kind": None,
        "error": None,
        "bytes": size,
        "elapsed": elapsed,
    }
    session.flush()
    conn = session.connection()
    values = {
        "key": name,
        "etag": etag,
        "last_modified": last_modified,
        "last_body_sha256": body_sha256,
        "last_new_item_at": at if new_items > 0 else None,
        "at": at,
    }
    event: SourceEvent | None = None
    if not conn.execute(_HEALTHY_SUCCESS, values).rowcount:
        # No row yet, or an unhealthy spell this success ends: create the row, or mark it
        # healthy with the ``recovered`` event, then the same UPDATE applies.
        state = get_source_state(session=session, name=name, now=at)
        if not state.healthy:
            down_for = at - state.unhealthy_since if state.unhealthy_since else None
            detail = f"recovered after {_human(down_for)}" if down_for is not None else "recovered"
            event = SourceEvent(source=name, kind=SourceEventKind.RECOVERED, at=at, detail=detail)
            session.add(event)
            state.healthy = True
            state.unhealthy_since = None
            session.add(state)
        session.flush()
        conn.execute(_HEALTHY_SUCCESS, values)
    conn.execute(_LOG.insert(), log)
    _expire_held(session, name)
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
    session.flush()
    conn = session.connection()
    row = conn.execute(_SPELL, {"name": name}).first()
    if row is None:
        state = get_source_state(session=session, name=name, now=at)
        last_new_item_at, created_at = state.last_new_item_at, state.created_at
    else:
        last_new_item_at, created_at = row
    since = last_new_item_at or created_at
    if at - since < silent_for:
        return None
    if conn.execute(_SILENT_SINCE, {"name": name, "since": since}).first() is not None:
        return None
    what = "no new items since" if last_new_item_at else "no items at all since"
    event = SourceEvent(
        source=name,
        kind=SourceEventKind.SILENT,
        at=at,
        detail=f"{what} {since:%Y-%m-%d %H:%M} UTC ({_human(at - since)})",
    )
    session.add(event)
    session.flush()
    return event


def _expire_held(session: Session, name: str) -> None:
    """Expire the session's object of source ``name``'s state, if it holds one, so it is read
    again after a Core statement changed its row."""
    held = held_object(session, SourceState, name)
    if held is not None:
        session.expire(held)


def _human(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    if hours < 48:
        return f"{hours:.0f} h"
    return f"{hours / 24:.0f} days"
