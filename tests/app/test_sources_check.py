"""``tradewatch sources check`` against the loopback site: one fetch per source, a table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlmodel import Session, select

from sources.fetcher import Fetcher
from sources.politeness import Politeness
from storage.db import get_engine, upgrade
from storage.models import Article, RobotsCache, SourceState
from tradewatch.cli import main
from tradewatch.sitehost import SampleSite
from tradewatch.sources_check import check_sources, format_table
from tradewatch.sources_config import SourceConfig, SourceKind


def _sources(site: SampleSite) -> list[SourceConfig]:
    return [
        SourceConfig(name="desk", kind=SourceKind.FEED, url=site.url("feed.xml"), parser="dailynk"),
        SourceConfig(
            name="broken", kind=SourceKind.FEED, url=site.url("broken.xml"), parser="generic"
        ),
        SourceConfig(name="dead", kind=SourceKind.FEED, url=site.url("gone.xml"), parser="generic"),
    ]


def test_check_reports_items_newest_date_and_errors(site: SampleSite) -> None:
    fetcher = Fetcher(
        user_agent="tradewatch/0",
        timeout=5,
        max_bytes=1_000_000,
        politeness=Politeness(host_interval=0, max_attempts=1),
    )
    with fetcher:
        desk, broken, dead = check_sources(fetcher, _sources(site))

    assert (desk.reachable, desk.robots_allowed, desk.items, desk.ok) == (True, True, 3, True)
    assert desk.newest is not None and desk.newest.year == 2025
    assert broken.reachable and broken.error_kind == "malformed" and broken.items == 0
    assert not dead.reachable and dead.error_kind == "unavailable" and dead.status == 404
    # One listing fetch per source (plus robots.txt once for the host), no article pages.
    assert sorted(site.paths_requested()) == [
        "/broken.xml",
        "/feed.xml",
        "/gone.xml",
        "/robots.txt",
    ]
    table = format_table([desk, broken, dead]).splitlines()
    assert table[0].split() == [
        "source",
        "reachable",
        "robots",
        "items",
        "parser",
        "newest",
        "item",
        "error",
    ]
    assert table[1].split()[:5] == ["desk", "yes", "yes", "3", "dailynk"]
    assert "malformed:" in table[2] and "404" in table[3]


def test_robots_disallowed_source_is_not_fetched(site: SampleSite, site_root: Path) -> None:
    (site_root / "robots.txt").write_text("User-agent: *\nDisallow: /feed.xml\n")
    with Fetcher(user_agent="tradewatch/0", timeout=5, max_bytes=100_000) as fetcher:
        (desk,) = check_sources(fetcher, _sources(site)[:1])
    assert (desk.reachable, desk.robots_allowed, desk.error_kind) == (True, False, "robots")
    assert "/feed.xml" not in site.paths_requested()


def test_cli_json_writes_only_the_robots_cache(
    site: SampleSite,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sources_file = tmp_path / "sources.yaml"
    sources_file.write_text(
        "sources:\n"
        f"  - {{name: desk, kind: feed, url: '{site.url('feed.xml')}', parser: dailynk}}\n"
        f"  - {{name: dead, kind: feed, url: '{site.url('gone.xml')}', parser: generic}}\n"
    )
    monkeypatch.setenv("TRADEWATCH_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TRADEWATCH_FETCH_ATTEMPTS", "1")

    code = main(["sources", "check", "--json", "--sources", str(sources_file)])

    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert code == 1  # one source has a problem
    assert rows["desk"]["items"] == 3 and rows["desk"]["ok"] is True
    assert rows["desk"]["parser"] == "dailynk" and rows["desk"]["newest"].startswith("2025-")
    assert rows["dead"]["reachable"] is False and rows["dead"]["error_kind"] == "unavailable"
    url = f"sqlite:///{(tmp_path / 'tradewatch.db').as_posix()}"
    upgrade(url)
    engine = get_engine(url)
    with Session(engine) as session:
        assert session.exec(select(RobotsCache)).one().status == 404
        assert session.exec(select(SourceState)).all() == []
        assert session.exec(select(Article)).all() == []
    engine.dispose()


def test_cli_unknown_source_is_bad_input(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWATCH_DATA_DIR", str(tmp_path))
    assert main(["sources", "check", "--source", "nope"]) == 2
