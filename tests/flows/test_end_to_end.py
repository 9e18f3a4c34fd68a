"""The monitor and digest flows, end to end, against the loopback sample site.

One Prefect harness for the whole session; everything below runs real flows with real tasks,
a real SQLite database, a real HTTP site and a real webhook receiver.
"""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session, select

from storage.db import get_engine
from storage.models import Article, Assessment, Delivery, PolicyChange, SourceState
from tests.notify.servers import WebhookRequest, webhook_receiver
from tests.sitefixtures import write_sources
from tradewatch.sitehost import SampleSite

pytestmark = pytest.mark.prefect


@dataclass
class Receiver:
    url: str
    inbox: queue.Queue[WebhookRequest]

    def drain(self) -> list[WebhookRequest]:
        items = []
        while not self.inbox.empty():
            items.append(self.inbox.get_nowait())
        return items


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with webhook_receiver() as (port, inbox):
        yield Receiver(url=f"json://127.0.0.1:{port}/hook", inbox=inbox)


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> Path:
    monkeypatch.setenv("TRADEWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'tw.db'}")
    monkeypatch.setenv("TRADEWATCH_DIGEST_DIR", str(tmp_path / "digests"))
    monkeypatch.setenv("TRADEWATCH_NOTIFY_URLS", receiver.url)
    return tmp_path


def test_monitor_then_digest(
    prefect_harness: None, site: SampleSite, env: Path, receiver: Receiver
) -> None:
    from flows.digest import digest
    from flows.monitor import monitor

    sources = write_sources(env / "sources.yaml", site)
    summary = monitor(sources_file=str(sources))

    # The good source is stored in full; the two bad ones fail alone, recorded, flow goes on.
    assert summary["new_articles"] == 3
    assert summary["failed_sources"] == ["broken-feed", "dead-source"]
    assert summary["departures"] >= 1
    # Alerts are off (no TRADEWATCH_ALERT_MIN_CONFIDENCE): reported as such, not as 0 sent.
    assert summary["alerts"]["enabled"] is False and summary["alerts_line"] is None
    engine = get_engine(f"sqlite:///{env / 'tw.db'}")
    with Session(engine) as session:
        titles = {a.title for a in session.exec(select(Article))}
        assert len(titles) == 3
        assert len(list(session.exec(select(Assessment)))) == 3
        change = session.exec(
            select(PolicyChange).where(PolicyChange.dimension == "trade_authority")
        ).one()
        assert change.outlets == ["Sample North Korea Desk"]
        dead = session.get(SourceState, "dead-source")
        assert dead is not None and dead.consecutive_failures == 1
        assert dead.last_error is not None and "404" in dead.last_error

    result = digest()
    markdown = Path(result["paths"][0]).read_text(encoding="utf-8")
    # Departures come first, with the evidence sentence and the link.
    departures_at = markdown.index("Departures")
    assert departures_at < markdown.index("Confirmations")
    assert "independently" in markdown[departures_at:]
    assert site.url("2025/04/trading-companies-win-independent-trade-authority") in markdown
    assert "dead-source" in markdown  # source errors are shown
    assert "football" not in markdown.lower()  # the unrelated item is not listed
    assert Path(result["paths"][1]).read_text(encoding="utf-8").startswith("<!DOCTYPE html>")

    # Delivered once to the webhook, and recorded as sent.
    (request,) = receiver.drain()
    assert request.path == "/hook"
    assert "trading companies" in json.dumps(request.payload).lower()
    with Session(engine) as session:
        (delivery,) = session.exec(select(Delivery)).all()
        assert delivery.status == "sent" and delivery.attempts == 1
        assert receiver.url not in (delivery.channel_label or "")

    # A second pass downloads no article page (the feed answers 304) and stores nothing.
    before = len(site.paths_requested())
    again = monitor(sources_file=str(sources), sources=["sample-desk"])
    assert again["new_articles"] == 0
    new_requests = site.paths_requested()[before:]
    assert new_requests == ["/feed.xml"]
    with Session(engine) as session:
        assert len(list(session.exec(select(Article)))) == 3
    engine.dispose()


def test_demo_digest_leads_with_the_trade_authority_departure(
    prefect_harness: None, tmp_path: Path
) -> None:
    from tradewatch.demo import run_demo

    path = run_demo(workdir=tmp_path / "demo")
    markdown = path.read_text(encoding="utf-8")
    first_section = markdown.split("\n## ")[1]
    assert first_section.lower().startswith("departures")
    first_group = first_section.split("\n### ")[1]
    assert first_group.lower().startswith("who may trade")
    assert "independently" in first_group
