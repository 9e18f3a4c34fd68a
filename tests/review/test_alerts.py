"""Immediate alerts: thresholds, once per (change, channel), never for backfill, retried after
a definite failure, and an interrupted send left uncertain instead of repeated."""

from __future__ import annotations

import queue
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from notify.channels import DeliveryError
from storage.deliveries import LEASE
from storage.enums import DeliveryStatus
from storage.models import Alert
from tests.notify.servers import WebhookRequest, free_port, webhook_receiver
from tests.review.helpers import store_change, write_baseline
from tests.storage.helpers import at
from tradewatch import outbox
from tradewatch.alerts import AlertReport, send_immediate_alerts
from tradewatch.settings import Settings

TOKEN = "AlertH00kT0kenSecret"


def _settings(tmp_path: Path, db_url: str, urls: list[str], **kw: object) -> Settings:
    return Settings(
        database_url=db_url,
        notify_urls=urls,
        baseline_file=write_baseline(tmp_path),
        alert_min_confidence=0.6,
        **kw,  # type: ignore[arg-type]  # test-only overrides
    )


def _drain(received: queue.Queue[WebhookRequest]) -> list[WebhookRequest]:
    out = []
    while not received.empty():
        out.append(received.get_nowait())
    return out


def test_alert_sent_once_per_change_and_channel(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with Session(engine) as session:
        change_id = store_change(session, outlets=("Daily NK", "NK News"), confidence=0.8).id
        store_change(session, outlets=("Yonhap",), confidence=0.3, first=20)  # corroborates
    with webhook_receiver() as (port, received):
        settings = _settings(tmp_path, db_url, [f"json://127.0.0.1:{port}/a/{TOKEN}"])
        report = send_immediate_alerts(settings, now=at(30), engine=engine)
        first = received.get(timeout=10)
        again = send_immediate_alerts(settings, now=at(31), engine=engine)
        extra = _drain(received)
    assert (report.changes, report.sent, report.failed) == (1, 1, 0)
    assert (again.sent, again.failed) == (0, 0) and extra == []
    assert first.payload["title"] == "tradewatch alert: Who may trade departs from the baseline"
    message = first.payload["message"]
    assert "baseline *centralizing* → reported *delegating to provinces* (loosening)" in message
    assert "reported by 3 outlets (Daily NK, NK News, Yonhap)" in message
    assert "**sign contracts directly**" in message
    assert f"tradewatch review accept {change_id}" in message


def test_below_threshold_or_historical_only_never_alerts(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with Session(engine) as session:
        store_change(session, outlets=("Daily NK",), confidence=0.9, historical=True)
    with webhook_receiver() as (port, received):
        url = f"json://127.0.0.1:{port}/a"
        historical = send_immediate_alerts(
            _settings(tmp_path, db_url, [url]), now=at(30), engine=engine
        )
        strict = send_immediate_alerts(
            _settings(tmp_path, db_url, [url], alert_min_corroboration=2),
            now=at(30),
            engine=engine,
        )
        off = send_immediate_alerts(
            Settings(database_url=db_url, notify_urls=[url]), now=at(30), engine=engine
        )
        assert received.empty()
    assert historical.enabled and historical.changes == 0
    assert strict.changes == 0
    assert not off.enabled


def test_failed_alert_retried_after_backoff_and_secret_kept_out(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with Session(engine) as session:
        store_change(session, confidence=0.8)
    port = free_port()
    url = f"json://analyst:{TOKEN}@127.0.0.1:{port}/hook"
    settings = _settings(tmp_path, db_url, [url])
    failed = send_immediate_alerts(settings, now=at(30), engine=engine)
    assert (failed.sent, failed.failed) == (0, 1)
    with Session(engine) as session:
        alert = session.exec(select(Alert)).one()
        assert alert.status is DeliveryStatus.FAILED and alert.attempts == 1
        assert TOKEN not in (alert.last_error or "") + alert.channel_label
    # within the 5-minute backoff nothing is tried; after it, the alert goes out
    assert send_immediate_alerts(settings, now=at(30.05), engine=engine).failed == 0
    with webhook_receiver() as (live_port, received):
        live_url = url.replace(str(port), str(live_port))
        live = settings.model_copy(update={"notify_urls": [live_url]})
        # a different URL is a different channel: the failed one keeps waiting
        assert send_immediate_alerts(live, now=at(31), engine=engine).sent == 1
        assert received.get(timeout=10).path == "/hook"


def test_interrupted_alert_is_uncertain_and_not_resent(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    with Session(engine) as session:
        store_change(session, confidence=0.8)
    with webhook_receiver() as (port, received):
        settings = _settings(tmp_path, db_url, [f"json://127.0.0.1:{port}/a"])
        with Session(engine) as session:
            # the state a crash between claim and record leaves behind
            send_immediate_alerts(settings, now=at(30), engine=engine)
            alert = session.exec(select(Alert)).one()
            alert.status = DeliveryStatus.SENDING
            session.add(alert)
            session.commit()
        received.get(timeout=10)
        report = send_immediate_alerts(settings, now=at(40), engine=engine)
        assert received.empty()
    assert report.uncertain == 1 and report.sent == 0


def test_a_failure_after_another_run_sent_the_alert_is_not_counted_nor_recorded(
    engine: Engine, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(engine) as session:
        store_change(session, confidence=0.8)
    url = f"json://analyst:{TOKEN}@127.0.0.1:9/hook?tw-uncertain=resend"
    settings = _settings(tmp_path, db_url, [url])
    reports: list[AlertReport] = []
    sends: list[str] = []

    def slow_then_refused(url: str, **_: object) -> None:
        sends.append(url)
        if len(sends) > 1:
            return  # run B's send is accepted
        # run A's send outlives its lease: run B recovers the alert and sends it
        reports.append(send_immediate_alerts(settings, now=at(30) + LEASE, engine=engine))
        raise DeliveryError("json://analyst:…@127.0.0.1:9/… answered HTTP 500")

    monkeypatch.setattr(outbox, "send", slow_then_refused)
    late = send_immediate_alerts(settings, now=at(30), engine=engine)
    (taken_over,) = reports
    assert (taken_over.recovered, taken_over.sent, taken_over.failed) == (1, 1, 0)
    assert (late.sent, late.failed, late.uncertain) == (0, 0, 0)
    with Session(engine) as session:
        alert = session.exec(select(Alert)).one()
    assert (alert.status, alert.sent_at, alert.attempts) == (
        DeliveryStatus.SENT,
        at(30) + LEASE,
        2,
    )
