"""The robots.txt cache table, and a Fetcher sharing it across runs (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from sources.errors import BlockedByRobots
from sources.fetcher import Fetcher
from sources.politeness import Politeness
from storage.robots import DatabaseRobotsStore, load_robots, save_robots

T0 = datetime(2025, 1, 30, 1, 0, tzinfo=UTC)
ORIGIN = "https://news.example.org"


def test_save_then_load_and_replace(session: Session) -> None:
    assert load_robots(session=session, host=ORIGIN) is None
    save_robots(session=session, host=ORIGIN, status=200, body="User-agent: *", fetched_at=T0)
    later = T0 + timedelta(days=2)
    save_robots(session=session, host=ORIGIN, status=404, body="", fetched_at=later)
    session.commit()
    row = load_robots(session=session, host=ORIGIN)
    assert row is not None
    assert (row.status, row.body, row.fetched_at) == (404, "", later)


def _fetcher(engine: Engine, requested: list[str], now: datetime) -> Fetcher:
    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(request.url.path)
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: tradewatch\nDisallow: /private/\n")
        return httpx.Response(200, text="page")

    return Fetcher(
        user_agent="tradewatch/1 (+https://example.org)",
        timeout=5,
        max_bytes=10_000,
        transport=httpx.MockTransport(handler),
        resolver=lambda host, port: ["93.184.216.34"],
        robots_store=DatabaseRobotsStore(engine),
        politeness=Politeness(host_interval=0),
        now=lambda: now,
    )


def test_a_second_run_uses_the_cached_robots_until_it_is_a_day_old(engine: Engine) -> None:
    requested: list[str] = []
    with _fetcher(engine, requested, T0) as first:
        first.get(f"{ORIGIN}/a")
    with _fetcher(engine, requested, T0 + timedelta(hours=23)) as second:
        second.get(f"{ORIGIN}/b")
        assert second.counts["robots_blocked"] == 0
    assert requested == ["/robots.txt", "/a", "/b"]  # robots.txt read once for both runs

    with _fetcher(engine, requested, T0 + timedelta(hours=25)) as third:
        third.get(f"{ORIGIN}/c")
    assert requested[-2:] == ["/robots.txt", "/c"]  # stale after 24 h: fetched again
    with Session(engine) as session:
        row = load_robots(session=session, host=ORIGIN)
        assert row is not None and row.fetched_at == T0 + timedelta(hours=25)
        assert "Disallow: /private/" in row.body


def test_unavailable_robots_is_not_cached(engine: Engine) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503)

    fetcher = Fetcher(
        user_agent="tradewatch/1",
        timeout=5,
        max_bytes=1000,
        transport=httpx.MockTransport(handler),
        resolver=lambda host, port: ["93.184.216.34"],
        robots_store=DatabaseRobotsStore(engine),
        politeness=Politeness(host_interval=0, max_attempts=1),
    )
    with fetcher, pytest.raises(BlockedByRobots, match="unavailable"):
        fetcher.get(f"{ORIGIN}/x")
    assert fetcher.counts["robots_unavailable"] == 1
    with Session(engine) as session:
        assert load_robots(session=session, host=ORIGIN) is None
