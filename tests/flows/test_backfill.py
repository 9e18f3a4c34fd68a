"""Backfill through the real flow: archive pages, historical items, resume, then a digest.

The loopback site gets a two-page archive feed; one article page fails on the first run, so
that window is left failed and the second run picks up exactly that window.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from sqlmodel import Session, select

from storage.db import get_engine
from storage.enums import BackfillStatus
from storage.models import Article, BackfillWindow, Delivery, SourceState
from tradewatch.cli import main
from tradewatch.sitehost import SampleSite

pytestmark = pytest.mark.prefect

NEW_ITEMS = """
  <item><title>Major trading companies win independent trade authority</title>
    <link>{{BASE_URL}}/2025/04/trading-companies-win-independent-trade-authority/</link>
    <pubDate>Thu, 10 Apr 2025 00:30:00 +0000</pubDate></item>
  <item><title>Pyongyang hosts spring football cup for provincial teams</title>
    <link>{{BASE_URL}}/2025/04/pyongyang-spring-football-cup/</link>
    <pubDate>Sat, 12 Apr 2025 03:00:00 +0000</pubDate></item>"""
OLD_ITEMS = """
  <item><title>Cabinet reins in trade licences</title>
    <link>{{BASE_URL}}/2023/03/cabinet-reins-in-trade-licences/</link>
    <pubDate>Tue, 14 Mar 2023 01:00:00 +0000</pubDate></item>"""
OLD_PAGE = "/2023/03/cabinet-reins-in-trade-licences/"


def feed(items: str) -> str:
    channel = f"<channel><title>Desk</title>{items}</channel>"
    return f'<?xml version="1.0"?><rss version="2.0">{channel}</rss>'


@pytest.fixture
def env(tmp_path: Path, site_root: Path, site: SampleSite, monkeypatch: pytest.MonkeyPatch) -> Path:
    (site_root / "archive").mkdir()
    (site_root / "archive" / "1.xml").write_text(feed(NEW_ITEMS), encoding="utf-8")
    (site_root / "archive" / "2.xml").write_text(feed(OLD_ITEMS), encoding="utf-8")
    source = {
        "name": "sample-desk",
        "kind": "feed",
        "url": site.url("feed.xml"),
        "parser": "dailynk",
        "outlet": "Sample North Korea Desk",
        "archive": {"kind": "paged_feed", "url": site.url("archive/{page}.xml")},
    }
    (tmp_path / "sources.yaml").write_text(yaml.safe_dump({"sources": [source]}), "utf-8")
    monkeypatch.setenv("TRADEWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'tw.db'}")
    monkeypatch.setenv("TRADEWATCH_DIGEST_DIR", str(tmp_path / "digests"))
    monkeypatch.setenv("TRADEWATCH_NOTIFY_URLS", "json://127.0.0.1:9/never")
    return tmp_path


def backfill(env: Path, *extra: str) -> int:
    return main(
        [
            "backfill",
            "--sources",
            str(env / "sources.yaml"),
            "--since",
            "2023-01-01",
            "--until",
            "2025-12-31",
            "--window-days",
            "366",
            *extra,
        ]
    )


def test_backfill_resumes_and_is_idempotent(
    prefect_harness: None,
    env: Path,
    site: SampleSite,
    capsys: pytest.CaptureFixture[str],
) -> None:
    engine = get_engine(f"sqlite:///{env / 'tw.db'}")
    site.override(OLD_PAGE, status=500, body=b"down")

    assert backfill(env) == 0
    out = capsys.readouterr()
    assert "3 windows, 3 source-windows run" in out.out
    assert "2 new articles" in out.out
    assert "article pages failed" in out.out
    assert "3/3" in out.err  # the progress bar reached the end
    # Each of the three windows read the archive back to its start; each page came once.
    archive = [p for p in site.paths_requested() if p.startswith("/archive/")]
    assert sorted(archive) == ["/archive/1.xml", "/archive/2.xml", "/archive/3.xml"]
    with Session(engine) as session:
        stored = session.exec(select(Article)).all()
        assert {a.url.rstrip("/").rsplit("/", 1)[-1] for a in stored} == {
            "trading-companies-win-independent-trade-authority",
            "pyongyang-spring-football-cup",
        }
        assert all(a.historical for a in stored)
        statuses = [w.status for w in session.exec(select(BackfillWindow).order_by("window_start"))]
        assert statuses == [BackfillStatus.FAILED, BackfillStatus.DONE, BackfillStatus.DONE]
        assert session.get(SourceState, "sample-desk") is None  # the monitor's memory untouched

    # Resumed: only the failed 2023 window runs again and fetches its article.
    site.clear_overrides()
    before = len(site.paths_requested())
    assert backfill(env) == 0
    assert "1 source-windows run, 2 already done; 1 new articles" in capsys.readouterr().out
    assert OLD_PAGE in site.paths_requested()[before:]
    assert "/2025/04/pyongyang-spring-football-cup/" not in site.paths_requested()[before:]

    # Done: a third run fetches nothing and stores nothing.
    before = len(site.paths_requested())
    assert backfill(env) == 0
    assert "0 source-windows run, 3 already done; 0 new articles" in capsys.readouterr().out
    assert site.paths_requested()[before:] == []
    with Session(engine) as session:
        assert len(session.exec(select(Article)).all()) == 3
        assert session.exec(select(Delivery)).all() == []  # no --notify: nothing sent

    engine.dispose()


def test_retrospective_digest_covers_the_backfilled_period(
    prefect_harness: None, env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert backfill(env, "--no-progress") == 0
    assert main(["digest", "--since", "2023-01-01", "--until", "2026-01-01", "--no-deliver"]) == 0
    path = capsys.readouterr().out.strip().splitlines()[-1].removeprefix("digest written to ")
    markdown = Path(path).read_text(encoding="utf-8")
    assert "Departures" in markdown and "independently" in markdown
