"""The outbox: one ``Delivery`` per (digest, channel), retried with backoff until sent.

A channel is known by a key derived from its URL, never by the URL itself: Apprise URLs carry
tokens and passwords. ``notify.channels.channel_key`` and ``redact_url`` make the pair
callers pass in.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import selectinload
from sqlmodel import Session, and_, col, or_, select

from storage.enums import DeliveryStatus
from storage.models import Delivery, Digest
from storage.types import as_utc

BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
MAX_ERROR_CHARS = 2000


def ensure_deliveries(
    *, session: Session, digest: Digest, channels: list[tuple[str, str]]
) -> list[Delivery]:
    """The deliveries of ``digest`` to ``channels`` ((key, label) pairs), creating missing ones
    as pending; existing rows keep their status. Returned in ``channels`` order."""
    assert digest.id is not None, "save the digest first"
    existing = {
        d.channel_key: d
        for d in session.exec(select(Delivery).where(Delivery.digest_id == digest.id))
    }
    out: list[Delivery] = []
    for key, label in dict(channels).items():
        delivery = existing.get(key)
        if delivery is None:
            delivery = Delivery(digest_id=digest.id, channel_key=key, channel_label=label)
            session.add(delivery)
            existing[key] = delivery
        out.append(delivery)
    session.flush()
    return out


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


def mark_sent(*, session: Session, delivery: Delivery, now: datetime | None = None) -> None:
    """The channel accepted the digest: never send it there again."""
    at = as_utc(now, what="now")
    delivery.status = DeliveryStatus.SENT
    delivery.attempts += 1
    delivery.last_attempt_at = at
    delivery.sent_at = at
    delivery.next_attempt_at = None
    session.add(delivery)
    session.flush()


def mark_failed(
    *, session: Session, delivery: Delivery, error: str, now: datetime | None = None
) -> None:
    """The channel refused or was unreachable: retry after 5 min × 2^(attempts-1), at most 6 h.

    ``error`` is stored as given: callers must not put the channel URL in it.
    """
    at = as_utc(now, what="now")
    delivery.status = DeliveryStatus.FAILED
    delivery.attempts += 1
    delivery.last_attempt_at = at
    delivery.last_error = error[:MAX_ERROR_CHARS]
    delivery.next_attempt_at = at + backoff(delivery.attempts)
    session.add(delivery)
    session.flush()


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed tries (1 → 5 min, 2 → 10 min...)."""
    # Cap the exponent first: 2**n for a large n is a huge int before min() sees it.
    exponent = min(max(attempts - 1, 0), 16)
    wait: timedelta = BACKOFF_BASE * (2**exponent)
    return min(wait, BACKOFF_CAP)
