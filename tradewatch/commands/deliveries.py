"""``tradewatch deliveries``: the outbox, and the operator's say on uncertain sends.

A delivery (digest → channel) or alert (policy change → channel) left in ``sending`` means the
sender stopped between calling the channel and recording the answer (or is still sending): it
may or may not have arrived. On a ``hold`` channel (the default) it is never re-sent on its
own (see ``storage.deliveries``): ``retry`` releases it (or a failed one) to be sent on the
next run, ``confirm`` records that it did arrive. On a ``tw-uncertain=resend`` channel the
next run re-sends it once its claimer is gone or its lease has ended. The listing shows who
claimed it, until when, and the idempotency key, to look the message up at the receiver
(a re-send, by the operator or automatic, carries the same key).
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from tradewatch.settings import Settings

if TYPE_CHECKING:
    from notify.channels import Channel
    from storage.models import Alert, Delivery


def cmd_deliveries_list(args: argparse.Namespace, settings: Settings) -> int:
    from sqlmodel import col, select

    from notify.channels import ChannelConfigError, parse_channel
    from storage.deliveries import idempotency_key
    from storage.enums import DeliveryStatus
    from storage.models import Alert, Delivery
    from tradewatch.usage import UsageError, stored_session

    try:
        channels = {c.key: c for c in map(parse_channel, settings.notify_urls)}
    except ChannelConfigError as exc:
        raise UsageError(f"TRADEWATCH_NOTIFY_URLS: {exc}") from None

    shown = (
        (DeliveryStatus.SENDING, DeliveryStatus.FAILED, DeliveryStatus.PENDING)
        if not args.all
        else tuple(DeliveryStatus)
    )
    with stored_session(settings) as session:
        rows: list[Delivery | Alert] = [
            *session.exec(
                select(Delivery).where(col(Delivery.status).in_(shown)).order_by(col(Delivery.id))
            ),
            *session.exec(
                select(Alert).where(col(Alert.status).in_(shown)).order_by(col(Alert.id))
            ),
        ]
        if not rows:
            print("nothing pending, failed or uncertain")
            return 0
        for row in rows:
            kind = "delivery" if isinstance(row, Delivery) else "alert"
            subject = (
                f"digest {row.digest_id}"
                if isinstance(row, Delivery)
                else f"policy change {row.policy_change_id}"
            )
            state = "UNCERTAIN" if row.status is DeliveryStatus.SENDING else str(row.status)
            last = f"{row.last_attempt_at:%Y-%m-%d %H:%M}" if row.last_attempt_at else "never"
            line = (
                f"{kind} {row.id}: {subject} -> {row.channel_label}: {state}, "
                f"{row.attempts} attempt(s), last {last}"
            )
            if row.last_error and row.status is DeliveryStatus.FAILED:
                line += f"; {row.last_error}"
            if row.status is DeliveryStatus.SENDING:
                until = (
                    f"{row.claim_expires_at:%Y-%m-%d %H:%M} UTC" if row.claim_expires_at else "?"
                )
                then = _then(channels.get(row.channel_key))
                line += (
                    f"; claimed by {row.claimed_by or 'unknown'} until {until}; {then}; "
                    f"key {idempotency_key(row)}"
                )
            print(line)
    return 0


def _then(channel: Channel | None) -> str:
    """What becomes of an uncertain row on this channel."""
    from notify.channels import UncertainPolicy

    if channel is None:
        return "channel no longer configured"
    if channel.uncertain is UncertainPolicy.HOLD:
        return "hold: retry or confirm it"
    then = "resend: re-sent once its claimer is gone or its lease ends"
    return then if channel.keyed else f"{then} (this service takes no key: a repeat would show)"


def _act(args: argparse.Namespace, settings: Settings, action: str) -> int:
    from storage.deliveries import OutboxError, confirm, release
    from storage.models import Alert, Delivery
    from tradewatch.usage import UsageError, stored_session

    fn = release if action == "retry" else confirm
    with stored_session(settings) as session:
        try:
            row: Delivery | Alert = (
                fn(session=session, model=Alert, row_id=args.id)
                if args.alert
                else fn(session=session, model=Delivery, row_id=args.id)
            )
        except OutboxError as exc:
            raise UsageError(str(exc)) from None
        session.commit()
        kind = "alert" if args.alert else "delivery"
        if action == "retry":
            print(f"{kind} {row.id} released: it is sent on the next digest or monitor run")
        else:
            print(f"{kind} {row.id} recorded as sent")
    return 0


def cmd_deliveries_retry(args: argparse.Namespace, settings: Settings) -> int:
    return _act(args, settings, "retry")


def cmd_deliveries_confirm(args: argparse.Namespace, settings: Settings) -> int:
    return _act(args, settings, "confirm")


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``deliveries`` (list), ``deliveries retry ID`` and ``deliveries confirm ID``."""
    text = "pending, failed and uncertain deliveries and alerts"
    p = sub.add_parser("deliveries", help=text, description=text)
    p.add_argument("--all", action="store_true", help="also list sent ones")
    p.set_defaults(func=cmd_deliveries_list)
    actions = p.add_subparsers(dest="deliveries_command", metavar="ACTION")
    for name, func, text in (
        ("retry", cmd_deliveries_retry, "send an uncertain or failed one again on the next run"),
        ("confirm", cmd_deliveries_confirm, "record an uncertain one as received"),
    ):
        a = actions.add_parser(name, help=text, description=text)
        a.add_argument("id", type=int, help="delivery id (or alert id with --alert)")
        a.add_argument("--alert", action="store_true", help="ID is an immediate alert's id")
        a.set_defaults(func=func)
