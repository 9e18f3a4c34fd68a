"""The outbox: one ``Delivery`` per (digest, channel), retried with backoff until sent.

A channel is known by a key derived from its URL, never by the URL itself: Apprise URLs carry
tokens and passwords. ``notify.channels.channel_key`` and ``redact_url`` make the pair
callers pass in.

At most once per (digest, channel), and nothing lost
----------------------------------------------------
A channel cannot take part in our transaction, so "send, then record" always leaves a gap in
which the process can die: the channel has the digest and the database does not know. Sending
again after a restart would repeat it; never sending again would lose it on a real failure.
The protocol closes the gap by making it *visible* instead of guessing:

1. ``claim`` moves a due row (``pending``, or ``failed`` past its backoff) to ``sending`` with
   one conditional UPDATE and **commits** it before the channel is called. Two runs racing for
   the same row cannot both win: the loser's UPDATE matches no row.
2. The caller sends. ``mark_sent`` records acceptance; ``mark_failed`` records a definite
   refusal (the channel answered no, or could not be reached), which is retried later with
   backoff (5 min × 2^(attempts-1), at most 6 h).
3. A row still ``sending`` when a later run looks is **uncertain**: the process died between
   the send and the record, and only a person can tell whether the message arrived. It is
   never sent again automatically; ``uncertain`` lists it (``tradewatch status``, the next
   digest's footer), and an operator either releases it (send again: ``release``) or confirms
   it (it did arrive: ``confirm``) with ``tradewatch deliveries retry|confirm ID``.

So a digest reaches a channel at most once without an operator's say-so, and a definite
failure is never silently dropped. Immediate alerts (``storage.alerts``) use the same
functions on the ``alert`` table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import update
from sqlalchemy.orm import selectinload
from sqlmodel import Session, and_, col, or_, select

from storage.enums import DeliveryStatus
from storage.models import Alert, Delivery, Digest
from storage.types import as_utc

Outbox = TypeVar("Outbox", Delivery, Alert)

# Only these may be claimed: ``sending`` is uncertain and ``sent`` is final.
_CLAIMABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)

BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
MAX_ERROR_CHARS = 2000


def ensure_outbox(
    *,
    session: Session,
    existing: Iterable[Outbox],
    channels: list[tuple[str, str]],
    make: Callable[[str, str], Outbox],
) -> list[Outbox]:
    """The rows of one message to ``channels`` ((key, label) pairs): ``existing`` ones keep
    their status, missing ones are made pending with ``make(key, label)``. Returned in
    ``channels`` order; flushes, never commits. Shared by digests and alerts."""
    by_key = {row.channel_key: row for row in existing}
    out: list[Outbox] = []
    for key, label in dict(channels).items():
        row = by_key.get(key)
        if row is None:
            row = by_key[key] = make(key, label)
            session.add(row)
        out.append(row)
    session.flush()
    return out


def ensure_deliveries(
    *, session: Session, digest: Digest, channels: list[tuple[str, str]]
) -> list[Delivery]:
    """The deliveries of ``digest`` to ``channels`` ((key, label) pairs), creating missing ones
    as pending; existing rows keep their status. Returned in ``channels`` order."""
    digest_id = digest.id
    assert digest_id is not None, "save the digest first"
    return ensure_outbox(
        session=session,
        existing=session.exec(select(Delivery).where(Delivery.digest_id == digest_id)),
        channels=channels,
        make=lambda key, label: Delivery(digest_id=digest_id, channel_key=key, channel_label=label),
    )


def due_deliveries(*, session: Session, now: datetime | None = None) -> list[Delivery]:
    """Deliveries to attempt now, of any digest: pending ones, and failed ones whose backoff
    has run out. Oldest first, each with ``delivery.digest`` loaded."""
    at = as_utc(now, what="now")
    stmt = (
        select(Delivery)
        .where(
            or_(
                Delivery.status == DeliveryStatus.PENDING,
                and_(
                    col(Delivery.status) == DeliveryStatus.FAILED,
                    col(Delivery.next_attempt_at) <= at,
                ),
            )
        )
        .order_by(col(Delivery.id))
        # Senders read ``delivery.digest``: load them all in one more query, not one each.
        .options(selectinload(Delivery.digest))  # type: ignore[arg-type]  # SQLModel types relationships as their target class
    )
    return list(session.exec(stmt))


def claim(*, session: Session, row: Outbox, now: datetime | None = None) -> bool:
    """Move ``row`` (a Delivery or an Alert) to ``sending`` and COMMIT; True if this caller
    won it. False when it is no longer claimable (another run claimed or sent it).

    Counts the attempt now: an attempt that dies mid-send still happened.
    """
    at = as_utc(now, what="now")
    model = type(row)
    result = session.execute(
        update(model)
        .where(col(model.id) == row.id, col(model.status).in_(_CLAIMABLE))
        .values(status=DeliveryStatus.SENDING, attempts=model.attempts + 1, last_attempt_at=at)
    )
    session.commit()
    session.refresh(row)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def mark_sent(*, session: Session, delivery: Outbox, now: datetime | None = None) -> None:
    """The channel accepted the message: never send it there again."""
    at = as_utc(now, what="now")
    if delivery.status is not DeliveryStatus.SENDING:
        delivery.attempts += 1  # not claimed first: count the attempt here
    delivery.status = DeliveryStatus.SENT
    delivery.last_attempt_at = at
    delivery.sent_at = at
    if isinstance(delivery, Delivery):
        delivery.next_attempt_at = None
    session.add(delivery)
    session.flush()


def mark_failed(
    *, session: Session, delivery: Outbox, error: str, now: datetime | None = None
) -> None:
    """The channel refused or was unreachable: retry after 5 min × 2^(attempts-1), at most 6 h.

    ``error`` is stored as given: callers must not put the channel URL in it.
    """
    at = as_utc(now, what="now")
    if delivery.status is not DeliveryStatus.SENDING:
        delivery.attempts += 1
    delivery.status = DeliveryStatus.FAILED
    delivery.last_attempt_at = at
    delivery.last_error = error[:MAX_ERROR_CHARS]
    if isinstance(delivery, Delivery):
        delivery.next_attempt_at = at + backoff(delivery.attempts)
    session.add(delivery)
    session.flush()


def retry_due(row: Outbox, *, now: datetime | None = None) -> bool:
    """Whether a row may be attempted now: pending, or failed and past its backoff."""
    if row.status is DeliveryStatus.PENDING:
        return True
    if row.status is not DeliveryStatus.FAILED or row.last_attempt_at is None:
        return False
    at = as_utc(now, what="now")
    if isinstance(row, Delivery) and row.next_attempt_at is not None:
        return row.next_attempt_at <= at
    return row.last_attempt_at + backoff(row.attempts) <= at


def uncertain(*, session: Session, model: type[Outbox]) -> list[Outbox]:
    """Rows left in ``sending``: sent or not, nobody knows. Oldest first."""
    stmt = (
        select(model)
        .where(model.status == DeliveryStatus.SENDING)
        .order_by(col(model.last_attempt_at), col(model.id))
    )
    return list(session.exec(stmt))


class OutboxError(ValueError):
    """An operator action on a row that does not exist or is not in a state that allows it."""


def release(
    *, session: Session, model: type[Outbox], row_id: int, now: datetime | None = None
) -> Outbox:
    """An operator's "send it again": an uncertain or failed row becomes pending (due now).

    Flushes, never commits. Raises ``OutboxError`` for a missing row or one already sent.
    """
    row = _get(session, model, row_id)
    if row.status not in (DeliveryStatus.SENDING, DeliveryStatus.FAILED):
        raise OutboxError(f"{_name(model)} {row_id} is {row.status}; only sending or failed rows")
    row.status = DeliveryStatus.PENDING
    if isinstance(row, Delivery):
        row.next_attempt_at = None
    row.last_error = f"released by operator at {as_utc(now, what='now'):%Y-%m-%d %H:%M} UTC"
    session.add(row)
    session.flush()
    return row


def confirm(
    *, session: Session, model: type[Outbox], row_id: int, now: datetime | None = None
) -> Outbox:
    """An operator's "it did arrive": an uncertain row is recorded as sent. Flushes only."""
    row = _get(session, model, row_id)
    if row.status is not DeliveryStatus.SENDING:
        raise OutboxError(f"{_name(model)} {row_id} is {row.status}; only sending rows")
    row.status = DeliveryStatus.SENT
    row.sent_at = as_utc(now, what="now")
    session.add(row)
    session.flush()
    return row


def _get(session: Session, model: type[Outbox], row_id: int) -> Outbox:
    row = session.get(model, row_id)
    if row is None:
        raise OutboxError(f"no {_name(model)} with id {row_id}")
    return row


def _name(model: type[Delivery] | type[Alert]) -> str:
    return "delivery" if model is Delivery else "alert"


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed tries (1 → 5 min, 2 → 10 min...)."""
    # Cap the exponent first: 2**n for a large n is a huge int before min() sees it.
    exponent = min(max(attempts - 1, 0), 16)
    wait: timedelta = BACKOFF_BASE * (2**exponent)
    return min(wait, BACKOFF_CAP)
