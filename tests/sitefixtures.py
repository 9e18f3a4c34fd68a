"""A loopback copy of the sample site, with extra fault pages, for pipeline and flow tests."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tradewatch.demo import DEMO_SITE
from tradewatch.sitehost import SampleSite, serve_directory

BROKEN_FEED = b"<?xml version='1.0'?><rss><channel><item><title>cut off"


@pytest.fixture
def site_root(tmp_path: Path) -> Path:
    root = tmp_path / "site"
    shutil.copytree(DEMO_SITE, root)
    (root / "broken.xml").write_bytes(BROKEN_FEED)
    return root


@pytest.fixture(scope="session")
def site_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SampleSite]:
    """One loopback HTTP server for the whole session; each test points it at its own copy."""
    with serve_directory(tmp_path_factory.mktemp("empty-site")) as running:
        yield running


@pytest.fixture
def site(site_server: SampleSite, site_root: Path) -> SampleSite:
    """The session's server, serving a fresh writable copy of the sample site."""
    site_server.root = site_root
    site_server.clear_overrides()
    site_server.clear_requests()
    return site_server


def write_sources(
    path: Path, site: SampleSite, *, extra: list[dict[str, object]] | None = None
) -> Path:
    """A sources file with the sample desk, a malformed feed and a dead source."""
    sources: list[dict[str, object]] = [
        {
            "name": "sample-desk",
            "kind": "feed",
            "url": site.url("feed.xml"),
            "parser": "dailynk",
            "outlet": "Sample North Korea Desk",
        },
        {"name": "broken-feed", "kind": "feed", "url": site.url("broken.xml"), "parser": "generic"},
        {
            "name": "dead-source",
            "kind": "feed",
            "url": site.url("gone/feed.xml"),
            "parser": "generic",
        },
    ]
    sources.extend(extra or [])
    path.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    return path
