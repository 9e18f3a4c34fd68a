"""Digest delivery end to end: exact content at real local receivers, never twice, a crash
mid-send reported as uncertain, definite failures retried, secrets kept out."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlmodel import Session, select

from notify.channels import channel_key
from notify.render import render_html, render_markdown
from storage.enums import DeliveryStatus, DigestKind
from storage.models import Delivery
from tests.notify.samples import content
from tests.notify.servers import free_port, smtp_server, webhook_receiver
from tradewatch.digest import deliver_due, publish, uncertain_notes

SECRET = "Sm7pPassw0rdSecret"
TOKEN = "W3bh00kT0kenSecret"


def _publish(session: Session, tmp_path: Path, urls: list[str]) -> int:
    outcome = publish(
        session,
        content=content(),
        kind=DigestKind.SCHEDULED,
        directory=tmp_path / "digests",
        urls=urls,
    )
    return outcome.digest_id


def test_email_and_webhook_receive_exact_digest_once(session: Session, tmp_path: Path) -> None:
    c = content()
    with smtp_server() as (smtp_port, inbox), webhook_receiver() as (port, received):
        urls = [
            f"mailto://127.0.0.1:{smtp_port}?from=digest@example.org&to=desk@example.org",
            f"json://analyst:{SECRET}@127.0.0.1:{port}/hooks/{TOKEN}",
        ]
        _publish(session, tmp_path, urls)
        mail = inbox.get(timeout=10)
        hook = received.get(timeout=10)
        # publishing the same window again sends nothing more
        _publish(session, tmp_path, urls)
        assert deliver_due(session, urls=urls) == (0, 0)
        assert inbox.empty() and received.empty()
    assert mail["Subject"] == c.title
    html_part = mail.get_body(preferencelist=("html",))
    assert html_part is not None
    # SMTP carries lines ending in CRLF; the content is otherwise exactly the rendered HTML
    assert html_part.get_content().replace("\r\n", "\n").strip() == render_html(c).strip()
    assert hook.payload["title"] == c.title
    assert hook.payload["message"] == render_markdown(c).rstrip()
    rows = session.exec(select(Delivery)).all()
    assert [r.status for r in rows] == [DeliveryStatus.SENT, DeliveryStatus.SENT]
    assert all(SECRET not in r.channel_label and TOKEN not in r.channel_label for r in rows)


def test_crash_between_send_and_record_is_uncertain_not_resent(
    session: Session, tmp_path: Path
) -> None:
    with webhook_receiver() as (port, received):
        url = f"json://127.0.0.1:{port}/hooks/{TOKEN}"
        _publish(session, tmp_path, [url])
        received.get(timeout=10)
        # rewind to what a process killed right after the send leaves: claimed, not recorded
        row = session.exec(select(Delivery)).one()
        row.status = DeliveryStatus.SENDING
        session.add(row)
        session.commit()
        assert deliver_due(session, urls=[url]) == (0, 0)
        assert received.empty()
    notes = uncertain_notes(session)
    assert [(n.kind, n.id, n.channel) for n in notes] == [
        ("delivery", row.id, "json://127.0.0.1:" + str(port) + "/…/…")
    ]
    assert TOKEN not in notes[0].channel


def test_definite_failure_is_retried_and_secret_never_logged(
    session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    port = free_port()
    url = f"json://analyst:{SECRET}@127.0.0.1:{port}/hooks/{TOKEN}"
    with caplog.at_level(logging.DEBUG):
        _publish(session, tmp_path, [url])
    row = session.exec(select(Delivery)).one()
    assert row.status is DeliveryStatus.FAILED and row.attempts == 1
    assert row.channel_key == channel_key(url)
    stored = f"{row.last_error} {row.channel_label}"
    assert SECRET not in stored and TOKEN not in stored
    assert SECRET not in caplog.text and TOKEN not in caplog.text
    written = "".join(p.read_text("utf-8") for p in (tmp_path / "digests").iterdir())
    assert SECRET not in written and TOKEN not in written
    assert row.next_attempt_at is not None
    assert deliver_due(session, urls=[url], now=row.next_attempt_at) == (0, 1)
    session.refresh(row)
    assert row.attempts == 2 and row.status is DeliveryStatus.FAILED
