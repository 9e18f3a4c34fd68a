"""The idempotency key on the wire (webhook header, e-mail header), the same on every attempt;
tradewatch's own ``tw-`` URL parameters, removed before Apprise and checked."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from notify.channels import (
    IDEMPOTENCY_HEADER,
    MAIL_DELIVERY_ID_HEADER,
    ChannelConfigError,
    UncertainPolicy,
    channel_key,
    parse_channel,
    redact_url,
    send,
)
from storage.deliveries import idempotency_key
from storage.enums import DeliveryStatus, DigestKind
from storage.models import Delivery
from tests.notify.samples import WINDOW_END, content
from tests.notify.servers import smtp_server, webhook_receiver
from tradewatch.digest import deliver_due, publish

TOKEN = "IdemH00kT0kenSecret"
PASSWORD = "IdemPassw0rdSecret"


def _bodies() -> dict[str, str]:
    return {"title": "t", "markdown": "m", "html": "<p>h</p>", "text": "x"}


@pytest.mark.parametrize(
    ("url", "apprise_url", "policy"),
    [
        ("json://127.0.0.1:8080/hook", "json://127.0.0.1:8080/hook", UncertainPolicy.HOLD),
        (
            "json://127.0.0.1:8080/hook?tw-uncertain=resend",
            "json://127.0.0.1:8080/hook",
            UncertainPolicy.RESEND,
        ),
        (
            "mailto://127.0.0.1:25?from=a@b.org&TW-Uncertain=Hold&to=c@d.org",
            "mailto://127.0.0.1:25?from=a@b.org&to=c@d.org",
            UncertainPolicy.HOLD,
        ),
        (
            f"json://u:{PASSWORD}@127.0.0.1/{TOKEN}?tw-uncertain=resend&+X-Trace=1&:k=v",
            f"json://u:{PASSWORD}@127.0.0.1/{TOKEN}?+X-Trace=1&:k=v",
            UncertainPolicy.RESEND,
        ),
    ],
)
def test_tw_parameters_are_removed_and_read(
    url: str, apprise_url: str, policy: UncertainPolicy
) -> None:
    channel = parse_channel(url)
    assert channel.apprise_url == apprise_url
    assert channel.uncertain is policy
    # the key ignores tw- parameters (a policy change keeps the channel's rows); the label
    # shows the URL as configured
    assert channel.key == channel_key(apprise_url)
    assert channel.label == redact_url(url)
    assert PASSWORD not in repr(channel) and TOKEN not in repr(channel)


def test_switching_a_channels_policy_keeps_its_key() -> None:
    held = parse_channel(f"json://hooks.example.org/{TOKEN}?a=1")
    resent = parse_channel(f"json://hooks.example.org/{TOKEN}?a=1&tw-uncertain=resend")
    assert held.key == resent.key
    assert (held.uncertain, resent.uncertain) == (UncertainPolicy.HOLD, UncertainPolicy.RESEND)


@pytest.mark.parametrize(
    "url", ["json://h.example.org/p?", "json://h.example.org/p?a=1&&b=2", "not a url ? &"]
)
def test_url_without_tw_parameters_reaches_apprise_unchanged(url: str) -> None:
    assert parse_channel(url).apprise_url == url


def test_redacted_label_shows_the_policy_but_no_secret() -> None:
    url = f"json://u:{PASSWORD}@hooks.example.org/{TOKEN}?tw-uncertain=resend&token=abc"
    assert redact_url(url) == "json://***:***@hooks.example.org/…?tw-uncertain=resend&token=***"
    # a value that is not a policy word is hidden like any other
    assert redact_url("json://h.example.org?tw-uncertain=s3cret") == (
        "json://h.example.org?tw-uncertain=***"
    )


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "tw-uncertain=maybe",
            "tw-uncertain must be one of hold, resend (got 'maybe')",
        ),
        ("tw-uncertain=", "tw-uncertain must be one of hold, resend (got '')"),
        ("tw-uncertian=resend", "unknown parameter tw-uncertian; known: tw-uncertain"),
        ("tw-uncertain=hold&tw-uncertain=resend", "tw-uncertain is given more than once"),
    ],
)
def test_bad_tw_parameter_is_a_clear_error(query: str, message: str) -> None:
    url = f"json://u:{PASSWORD}@127.0.0.1:8080/{TOKEN}?{query}"
    with pytest.raises(ChannelConfigError) as info:
        parse_channel(url)
    text = str(info.value)
    assert text.startswith("notification URL json://***:***@127.0.0.1:8080/…?")
    assert text.endswith(message)
    assert PASSWORD not in text and TOKEN not in text


def test_only_webhooks_and_email_carry_the_key() -> None:
    keyed = ["json://h.example.org", "forms://h.example.org", "xml://h.example.org"]
    keyed += ["mailtos://u:p@example.org?to=a@b.org"]
    assert all(parse_channel(u).keyed for u in keyed)
    assert not parse_channel("slack://T0/B0/tok").keyed
    assert not parse_channel("discord://1/tok").keyed


def test_webhook_gets_idempotency_header_and_no_tw_parameter() -> None:
    with webhook_receiver() as (port, received):
        send(
            f"json://127.0.0.1:{port}/hooks/{TOKEN}?tw-uncertain=resend&-q=1",
            **_bodies(),
            idempotency_key="tw-digest-7-abc",
        )
        request = received.get(timeout=10)
    assert request.headers[IDEMPOTENCY_HEADER] == "tw-digest-7-abc"
    # Apprise sends "-name" parameters on the query string; ours never reach it
    assert request.path == f"/hooks/{TOKEN}?q=1"


def test_email_gets_delivery_id_header_beside_apprises_message_id() -> None:
    with smtp_server() as (port, inbox):
        send(
            f"mailto://127.0.0.1:{port}?from=digest@example.org&to=desk@example.org"
            "&tw-uncertain=resend",
            **_bodies(),
            idempotency_key="tw-alert-3-def",
        )
        message = inbox.get(timeout=10)
    assert message[MAIL_DELIVERY_ID_HEADER] == "tw-alert-3-def"
    assert message["Message-ID"] and "tw-alert-3-def" not in message["Message-ID"]
    assert message["To"] == "desk@example.org"


def test_key_is_the_same_on_every_attempt_and_logged_without_secrets(
    session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # the receiver refuses the first POST (a definite failure, retried after the backoff)
    with webhook_receiver(statuses=[500]) as (port, received), caplog.at_level(logging.DEBUG):
        url = f"json://analyst:{PASSWORD}@127.0.0.1:{port}/hooks/{TOKEN}"
        publish(
            session,
            content=content(),
            kind=DigestKind.SCHEDULED,
            directory=tmp_path / "digests",
            urls=[url],
        )
        row = session.exec(select(Delivery)).one()
        assert row.status is DeliveryStatus.FAILED
        assert row.next_attempt_at is not None
        assert deliver_due(session, urls=[url], now=row.next_attempt_at) == (1, 0)
        first, second = received.get(timeout=10), received.get(timeout=10)
    session.refresh(row)
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    key = idempotency_key(row)
    assert key.startswith(f"tw-digest-{row.digest_id}-")
    assert first.headers[IDEMPOTENCY_HEADER] == second.headers[IDEMPOTENCY_HEADER] == key
    assert f"(key {key})" in caplog.text
    assert PASSWORD not in caplog.text and TOKEN not in caplog.text


def test_key_differs_per_channel_and_digest(session: Session, tmp_path: Path) -> None:
    with webhook_receiver() as (port, received):
        urls = [f"json://127.0.0.1:{port}/a", f"json://127.0.0.1:{port}/b"]
        for end in (WINDOW_END, WINDOW_END + timedelta(days=1)):
            publish(
                session,
                content=content(window_end=end),
                kind=DigestKind.SCHEDULED,
                directory=tmp_path / "digests",
                urls=urls,
            )
        keys = [received.get(timeout=10).headers[IDEMPOTENCY_HEADER] for _ in range(4)]
    rows = session.exec(select(Delivery).order_by(col(Delivery.id))).all()
    assert len(set(keys)) == 4
    assert sorted(keys) == sorted(idempotency_key(r) for r in rows)
