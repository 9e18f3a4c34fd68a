"""The configured channels, and the start-of-send recovery both outboxes run.

Digest deliveries and immediate alerts share the claim protocol of ``storage.deliveries``;
before either sends, rows a crashed sender left ``sending`` on ``tw-uncertain=resend``
channels are made due again (``recover``), and this is said in the log once per run.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlmodel import Session

from notify.channels import Channel, UncertainPolicy, parse_channel
from storage.deliveries import Outbox, recover

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
