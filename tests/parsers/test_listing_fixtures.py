"""Golden tests for feeds and sitemaps: ``tests/fixtures/{feeds,sitemaps}/<case>.xml``.

Beside each, ``<case>.expected.json`` holds the fetched ``url`` and either the expected
``entries`` (and ``sitemaps``) or ``"error": "FeedMalformed"``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from parsers.base import EntryRef, FeedMalformed, FetchedPage
from parsers.feed import MAX_ENTRIES, parse_feed
from parsers.sitemap import parse_sitemap

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FEEDS = sorted((FIXTURES / "feeds").glob("*.xml"))
SITEMAPS = sorted((FIXTURES / "sitemaps").glob("*.xml"))


def _load(case: Path) -> tuple[FetchedPage, dict[str, Any]]:
    expected: dict[str, Any] = json.loads(
        case.with_name(f"{case.stem}.expected.json").read_text(encoding="utf-8")
    )
    return FetchedPage(url=expected["url"], body=case.read_bytes()), expected


def _as_dicts(entries: Sequence[EntryRef], keys: Sequence[str]) -> list[dict[str, Any]]:
    rows = []
    for entry in entries:
        if entry.published is not None:
            assert entry.published.utcoffset() is not None, "published must be tz-aware"
        row = {
            "url": entry.url,
            "title": entry.title,
            "published": entry.published.astimezone(UTC).isoformat() if entry.published else None,
            "summary": entry.summary,
        }
        rows.append({key: row[key] for key in keys})
    return rows


def _normalised(expected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    # Compare instants, not spellings: "+00:00" and "Z" name the same moment.
    for row in expected:
        if row["published"] is not None:
            row["published"] = datetime.fromisoformat(row["published"]).astimezone(UTC).isoformat()
    return expected


def _check_error(run: Callable[[], object], expected: dict[str, Any]) -> bool:
    if expected.get("error") != "FeedMalformed":
        return False
    with pytest.raises(FeedMalformed):
        run()
    return True


@pytest.mark.parametrize("case", FEEDS, ids=lambda p: f"feeds/{p.stem}")
def test_feed_fixture(case: Path) -> None:
    page, expected = _load(case)
    if _check_error(lambda: parse_feed(page), expected):
        return
    entries = parse_feed(page)
    keys = ("url", "title", "published", "summary")
    assert _as_dicts(entries, keys) == _normalised(expected["entries"])


@pytest.mark.parametrize("case", SITEMAPS, ids=lambda p: f"sitemaps/{p.stem}")
def test_sitemap_fixture(case: Path) -> None:
    page, expected = _load(case)
    if _check_error(lambda: parse_sitemap(page), expected):
        return
    result = parse_sitemap(page)
    keys = ("url", "title", "published")
    assert _as_dicts(result.entries, keys) == _normalised(expected["entries"])
    assert list(result.sitemaps) == expected["sitemaps"]


def test_feed_fixtures_cover_required_kinds() -> None:
    assert {p.stem for p in FEEDS} >= {"rss2", "atom", "empty", "malformed"}
    assert {p.stem for p in SITEMAPS} >= {"urlset", "index"}


def test_feed_is_capped() -> None:
    items = "".join(
        f"<item><title>t{i}</title><link>https://ex.org/{i}</link></item>"
        for i in range(MAX_ENTRIES + 10)
    )
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    )
    entries = parse_feed(FetchedPage(url="https://ex.org/feed", body=body.encode()))
    assert len(entries) == MAX_ENTRIES
    assert entries[-1].url == f"https://ex.org/{MAX_ENTRIES - 1}"


def test_sitemap_does_not_expand_external_entities() -> None:
    page, _ = _load(FIXTURES / "sitemaps" / "xxe.xml")
    result = parse_sitemap(page)
    hostname = Path("/etc/hostname")
    if hostname.exists() and (secret := hostname.read_text().strip()):
        assert all(secret not in entry.url for entry in result.entries)
    assert [entry.url for entry in result.entries] == ["https://www.example.org/"]


def test_a_body_naming_a_local_file_is_not_read_from_disk(tmp_path: Path) -> None:
    # feedparser opens bytes that name an existing file: a server answering with a path
    # must get "not a feed", never the entries of a file on this machine.
    local = tmp_path / "local-feed.xml"
    local.write_bytes((FIXTURES / "feeds" / "rss2.xml").read_bytes())
    page = FetchedPage(url="https://ex.org/feed", body=str(local).encode())
    with pytest.raises(FeedMalformed, match="not a feed"):
        parse_feed(page)


def _rss(items: str) -> FetchedPage:
    body = (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>{items}</channel></rss>'
    )
    return FetchedPage(url="https://ex.org/news/feed", body=body.encode())


def test_an_id_that_is_not_a_web_address_is_never_made_a_link() -> None:
    page = _rss(
        '<item><title>a</title><guid isPermaLink="false">id-123</guid></item>'
        '<item><title>b</title><guid isPermaLink="false">https://ex.org/b</guid></item>'
        "<item><title>c</title><link>c.html</link><guid>id-9</guid></item>"
    )
    # "id-123" resolved against the feed would be https://ex.org/news/id-123, a made-up page.
    assert [e.url for e in parse_feed(page)] == ["https://ex.org/b", "https://ex.org/news/c.html"]


def test_an_element_named_like_a_parsed_date_is_not_a_date() -> None:
    page = _rss(
        "<item><title>a</title><link>https://ex.org/a</link>"
        "<published_parsed>oops</published_parsed><updated_parsed>7</updated_parsed></item>"
    )
    (entry,) = parse_feed(page)
    assert (entry.url, entry.published, entry.updated) == ("https://ex.org/a", None, None)
