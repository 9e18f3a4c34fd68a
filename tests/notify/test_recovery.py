"""Sends a crash left uncertain, end to end at a loopback receiver: a ``hold`` channel's are
never re-sent; a ``resend`` channel's are re-sent once, with the same idempotency key, when
the claimer is gone or its lease has ended, and not while a live claimer holds the lease."""

from __future__ import annotations

import queue
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from notify.channels import IDEMPOTENCY_HEADER
from storage.deliveries import LEASE, Claimer, claim, idempotency_key
from storage.enums import DeliveryStatus, DigestKind
from storage.models import Alert, Delivery
from tests.notify.samples import content
from tests.notify.servers import WebhookRequest, webhook_receiver
from tests.review.helpers import store_change, write_baseline
from tradewatch.alerts import send_immediate_alerts
from tradewatch.cli import main
from tradewatch.digest import deliver_due, publish
from tradewatch.settings import Settings

HOST = socket.gethostname()
NO_SUCH_PID = 2**22 + 1  # above Linux's PID_MAX_LIMIT: never a running process
DEAD = f"{HOST}:{NO_SUCH_PID}:4242"
ELSEWHERE = f"worker-2.example.org:{NO_SUCH_PID}:4242"


def _sent_once(
    session: Session, tmp_path: Path, url: str, received: queue.Queue[WebhookRequest]
) -> tuple[Delivery, WebhookRequest]:
    """Publish the sample digest to ``url`` alone; its row and the request that arrived."""
    publish(
        session,
        content=content(),
        kind=DigestKind.SCHEDULED,
        directory=tmp_path / "digests",
        urls=[url],
    )
    first = received.get(timeout=10)
    row = session.exec(select(Delivery)).one()
    return row, first


def _interrupt(session: Session, row: Delivery, claimed_by: str, expires: datetime) -> None:
    """Rewind ``row`` to what a sender killed after the send leaves: claimed, not recorded."""
    row.status = DeliveryStatus.SENDING
    row.sent_at = None
    row.claimed_by = claimed_by
    row.claim_expires_at = expires
    session.add(row)
    session.commit()


def test_hold_channel_never_resends_even_when_the_claimer_is_gone(
    session: Session, tmp_path: Path
) -> None:
    with webhook_receiver() as (port, received):
        url = f"json://127.0.0.1:{port}/hook"  # hold: the default
        row, _first = _sent_once(session, tmp_path, url, received)
        gone_long_ago = datetime.now(UTC) - timedelta(days=1)
        _interrupt(session, row, DEAD, gone_long_ago)
        assert deliver_due(session, urls=[url]) == (0, 0)
        assert deliver_due(session, urls=[url], now=datetime.now(UTC) + 2 * LEASE) == (0, 0)
        assert received.empty()
    session.refresh(row)
    assert (row.status, row.claimed_by, row.last_error) == (DeliveryStatus.SENDING, DEAD, None)


def test_resend_channel_resends_a_dead_claimers_row_once_with_the_same_key(
    session: Session, tmp_path: Path
) -> None:
    with webhook_receiver() as (port, received):
        url = f"json://127.0.0.1:{port}/hook?tw-uncertain=resend"
        row, first = _sent_once(session, tmp_path, url, received)
        # the claimer died after the send; its lease has not run out, but it is provably gone
        _interrupt(session, row, DEAD, datetime.now(UTC) + LEASE)
        assert deliver_due(session, urls=[url]) == (1, 0)
        again = received.get(timeout=10)
        assert deliver_due(session, urls=[url]) == (0, 0)
        assert received.empty()
    key = first.headers[IDEMPOTENCY_HEADER]
    assert again.headers[IDEMPOTENCY_HEADER] == key
    assert again.payload == first.payload and again.path == "/hook"
    session.refresh(row)
    assert row.status is DeliveryStatus.SENT and row.attempts == 2
    assert idempotency_key(row) == key
    assert row.claimed_by == str(Claimer.current())
    assert (row.last_error or "").startswith(
        f"re-sent after an interrupted send (claimed by {DEAD}; its process is gone"
    )


@pytest.mark.parametrize("holder", ["this process", "another host"])
def test_a_claim_within_its_lease_is_left_alone_and_taken_after_it(
    holder: str, session: Session, tmp_path: Path
) -> None:
    with webhook_receiver() as (port, received):
        url = f"json://127.0.0.1:{port}/hook?tw-uncertain=resend"
        row, first = _sent_once(session, tmp_path, url, received)
        claimed_at = datetime.now(UTC)
        if holder == "this process":
            row.status = DeliveryStatus.PENDING
            session.add(row)
            session.commit()
            assert claim(session=session, row=row, now=claimed_at)  # a live claim: ours
        else:
            _interrupt(session, row, ELSEWHERE, claimed_at + LEASE)
        holder_id = row.claimed_by
        within = claimed_at + LEASE - timedelta(seconds=1)
        assert deliver_due(session, urls=[url], now=within) == (0, 0)
        assert received.empty()
        session.refresh(row)
        assert (row.status, row.claimed_by) == (DeliveryStatus.SENDING, holder_id)
        # once the lease has run out, the claim is over whoever holds it
        assert deliver_due(session, urls=[url], now=claimed_at + LEASE) == (1, 0)
        again = received.get(timeout=10)
    assert again.headers[IDEMPOTENCY_HEADER] == first.headers[IDEMPOTENCY_HEADER]
    session.refresh(row)
    assert row.status is DeliveryStatus.SENT
    assert "its lease ended" in (row.last_error or "")


def test_alerts_resend_with_the_same_key_and_hold_stays_uncertain(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with Session(engine) as session:
        store_change(session, confidence=0.8)
    with webhook_receiver() as (port, received):
        hold = f"json://127.0.0.1:{port}/hold"
        resend = f"json://127.0.0.1:{port}/resend?tw-uncertain=resend"
        settings = Settings(
            database_url=db_url,
            notify_urls=[hold, resend],
            baseline_file=write_baseline(tmp_path),
            alert_min_confidence=0.6,
        )
        assert send_immediate_alerts(settings, engine=engine).sent == 2
        firsts = {r.path: r for r in (received.get(timeout=10), received.get(timeout=10))}
        with Session(engine) as session:
            for alert in session.exec(select(Alert)):
                alert.status = DeliveryStatus.SENDING
                alert.claimed_by = DEAD
                session.add(alert)
            session.commit()
        report = send_immediate_alerts(settings, engine=engine)
        again = received.get(timeout=10)
        assert received.empty()
    assert (report.recovered, report.sent, report.uncertain) == (1, 1, 1)
    assert again.path == "/resend"
    assert again.headers[IDEMPOTENCY_HEADER] == firsts["/resend"].headers[IDEMPOTENCY_HEADER]
    assert again.headers[IDEMPOTENCY_HEADER].startswith("tw-alert-")
    with Session(engine) as session:
        by_label = {a.channel_label: a.status for a in session.exec(select(Alert))}
    assert by_label == {
        f"json://127.0.0.1:{port}/…": DeliveryStatus.SENDING,
        f"json://127.0.0.1:{port}/…?tw-uncertain=resend": DeliveryStatus.SENT,
    }


def test_deliveries_command_shows_claimer_policy_and_key(
    session: Session,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with webhook_receiver() as (port, received):
        url = f"json://127.0.0.1:{port}/hook?tw-uncertain=resend"
        row, _first = _sent_once(session, tmp_path, url, received)
    expires = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    _interrupt(session, row, ELSEWHERE, expires)
    monkeypatch.setenv("TRADEWATCH_DATABASE_URL", db_url)
    monkeypatch.setenv("TRADEWATCH_NOTIFY_URLS", url)
    assert main(["deliveries"]) == 0
    out = capsys.readouterr().out
    assert f"delivery {row.id}: digest {row.digest_id} -> {row.channel_label}: UNCERTAIN" in out
    assert f"claimed by {ELSEWHERE} until 2030-01-02 03:04 UTC" in out
    assert "resend: re-sent once its claimer is gone or its lease ends" in out
    assert f"key {idempotency_key(row)}" in out
    monkeypatch.setenv("TRADEWATCH_NOTIFY_URLS", url.replace("resend", "later"))
    assert main(["deliveries"]) == 2
    assert "tw-uncertain must be one of hold, resend (got 'later')" in capsys.readouterr().err
