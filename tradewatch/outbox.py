"""Sending from the outboxes: the steps digest deliveries and immediate alerts share.

Both follow the claim protocol of ``storage.deliveries``. Before either sends, rows a crashed
sender left ``sending`` on ``tw-uncertain=resend`` channels are made due again
(`recover_interrupted`); then each due row is claimed, sent with its idempotency key and its
outcome recorded (`send_one`).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Protocol

from sqlmodel import Session

from notify.channels import Channel, DeliveryError, UncertainPolicy, parse_channel, send
from storage.deliveries import Outbox, claim, idempotency_key, mark_failed, mark_sent, recover

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
    key, record the outcome and COMMIT. True: sent. False: refused or unreachable, recorded
    with a redacted error and retried later with backoff. None: another run claimed it."""
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
        mark_failed(session=session, delivery=row, error=str(exc), now=now)
        session.commit()
        log.warning("%s %s to %s failed: %s", row.__tablename__, row.id, channel.label, exc)
        return False
    mark_sent(session=session, delivery=row, now=now)
    session.commit()
    return True
