"""Sending from the outboxes: the steps digest deliveries and immediate alerts share.

Both follow the claim protocol of ``storage.deliveries``. Before either sends, rows a crashed
sender left ``sending`` on ``tw-uncertain=resend`` channels are made due again
(`recover_interrupted`); then each due row is claimed, sent with its idempotency key and its
outcome recorded (`send_one`): a failure only while this run's claim is still the current
one, so a send that outlived its claim never undoes what another run or an operator did.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from notify.channels import Channel, DeliveryError, UncertainPolicy, parse_channel, send
from storage.deliveries import Outbox, claim, idempotency_key, mark_failed, mark_sent, recover
from storage.enums import DeliveryStatus

log = logging.getLogger(__name__)


def channels_by_key(urls: list[str]) -> dict[str, Channel]:
    """The configured channels by key; every URL is checked (``ChannelConfigError``) before
    anything is sent."""
    return {channel.key: channel for channel in map(parse_channel, urls)}


def recover_interrupted(
    session: Session,
    *,
    model: type[Outbox],
    channels: dict[str, Channel],
    now: datetime | None,
) -> list[int]:
    """Make due again the rows of ``model`` a gone sender left uncertain on ``resend``
    channels; their ids. ``hold`` channels' rows are never touched."""
    resend = [key for key, c in channels.items() if c.uncertain is UncertainPolicy.RESEND]
    if not resend:
        return []
    recovered = recover(session=session, model=model, channel_keys=resend, now=now)
    if recovered:
        log.warning(
            "re-sending %d %s rows interrupted mid-send: %s",
            len(recovered),
            model.__tablename__,
            ", ".join(map(str, recovered)),
        )
    return recovered


class Message(Protocol):
    """A message in every format a channel may take (a stored Digest, a rendered alert)."""

    @property
    def title(self) -> str: ...
    @property
    def markdown(self) -> str: ...
    @property
    def html(self) -> str: ...
    @property
    def text(self) -> str: ...


def send_one(
    session: Session, row: Outbox, channel: Channel, message: Message, *, now: datetime | None
) -> bool | None:
    """Claim ``row`` (committed), send ``message`` on ``channel`` with the row's idempotency
    key, record the outcome and COMMIT.

    True: this run sent it (the row is ``sent``, also if another run had recorded it first;
    the receiver can drop the repeat by its key). False: refused or unreachable, recorded
    with a redacted error and retried later with backoff. None: the outcome is another's, so
    count it as neither: another run claimed the row first, or the send failed after the row
    had moved on (sent or re-claimed by another run, released by an operator), and the
    failure was not recorded over it.
    """
    if not claim(session=session, row=row, now=now):
        return None
    try:
        send(
            channel.url,
            title=message.title,
            markdown=message.markdown,
            html=message.html,
            text=message.text,
            idempotency_key=idempotency_key(row),
        )
    except DeliveryError as exc:
        return _failed(session, row, channel, exc, now=now)
    if not mark_sent(session=session, delivery=row, now=now):
        log.warning(
            "%s %s to %s was sent again: another run had already recorded it sent",
            row.__tablename__,
            row.id,
            channel.label,
        )
    session.commit()
    return True


def _failed(
    session: Session, row: Outbox, channel: Channel, exc: DeliveryError, *, now: datetime | None
) -> bool | None:
    """Record a failed send (False), unless the row moved on meanwhile (None)."""
    recorded = mark_failed(session=session, delivery=row, error=str(exc), now=now)
    session.commit()
    what = f"{row.__tablename__} {row.id} to {channel.label}"
    if recorded:
        log.warning("%s failed: %s", what, exc)
        return False
    # ``row`` now shows the state that superseded ours: whoever holds it decides what is next.
    holder = f", claimed by {row.claimed_by}" if row.status is DeliveryStatus.SENDING else ""
    log.warning(
        "%s failed (%s), but its outcome was superseded: it is %s%s; not recorded",
        what,
        exc,
        row.status,
        holder,
    )
    return None
