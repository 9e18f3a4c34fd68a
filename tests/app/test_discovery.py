"""Archive discovery for backfill: paged feeds, sitemaps and listing pages, and when it stops."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest

from sources.errors import FetchError
from sources.fetcher import Fetcher
from tradewatch.discovery import ArchiveStop, archive_pages_kept, read_archive
from tradewatch.sources_config import ArchiveConfig, ArchiveKind, SourceConfig

HOST = "https://news.example"
JAN_2024 = datetime(2024, 1, 1, tzinfo=UTC)


def rss(*items: tuple[str, str]) -> bytes:
    """A feed of (slug, RFC 822 date) items."""
    body = "".join(
        f"<item><title>{slug}</title><link>{HOST}/{slug}/</link><pubDate>{when}</pubDate></item>"
        for slug, when in items
    )
    channel = f"<channel><title>t</title>{body}</channel>"
    return f"<?xml version='1.0'?><rss version='2.0'>{channel}</rss>".encode()


def fetcher_for(pages: dict[str, bytes], seen: list[str]) -> Fetcher:
    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        body = pages.get(str(request.url))
        if body is None:
            return httpx.Response(404, text="not found")
        return httpx.Response(200, content=body, headers={"Content-Type": "application/xml"})

    return Fetcher(
        user_agent="test",
        timeout=5,
        max_bytes=1_000_000,
        transport=httpx.MockTransport(handler),
        obey_robots=False,
        resolver=lambda host, port: ["93.184.215.14"],  # a public address; no DNS in tests
        sleep=lambda seconds: None,  # per-host spacing is the fetcher's business, not ours
    )


def source(**archive: object) -> SourceConfig:
    return SourceConfig.model_validate(
        {
            "name": "desk",
            "kind": "feed",
            "url": f"{HOST}/feed/",
            "parser": "generic",
            "archive": archive or None,
            "listing": {"item": "li.post", "link": "a"},
        }
    )


Run = Callable[..., tuple[list[str], list[str], ArchiveStop]]


@pytest.fixture
def run() -> Run:
    def go(
        pages: dict[str, bytes], src: SourceConfig, since: datetime | None = JAN_2024
    ) -> tuple[list[str], list[str], ArchiveStop]:
        seen: list[str] = []
        with fetcher_for(pages, seen) as fetcher:
            listing = read_archive(fetcher, src, since=since)
        return [e.url.rsplit("/", 2)[-2] for e in listing.entries], seen, listing.stop

    return go


def test_paged_feed_stops_at_the_first_page_older_than_the_window(run: Run) -> None:
    pages = {
        f"{HOST}/feed/": rss(("c", "Mon, 05 Feb 2024 00:00:00 +0000")),
        f"{HOST}/feed/?paged=2": rss(("b", "Wed, 10 Jan 2024 00:00:00 +0000")),
        f"{HOST}/feed/?paged=3": rss(("a", "Fri, 15 Dec 2023 00:00:00 +0000")),
        f"{HOST}/feed/?paged=4": rss(("z", "Fri, 01 Dec 2023 00:00:00 +0000")),
    }
    slugs, seen, stop = run(pages, source(kind="paged_feed", url=f"{HOST}/feed/"))
    assert slugs == ["c", "b", "a"]
    assert stop is ArchiveStop.OLDER_THAN_WINDOW
    assert f"{HOST}/feed/?paged=4" not in seen


def test_within_a_backfill_run_an_archive_page_is_fetched_once() -> None:
    # Windows go oldest first, each reading back to its start from the newest page: the
    # second and third windows read only pages the first had read.
    pages = {
        f"{HOST}/feed/": rss(("c", "Mon, 05 Feb 2024 00:00:00 +0000")),
        f"{HOST}/feed/?paged=2": rss(("b", "Wed, 10 Jan 2024 00:00:00 +0000")),
        f"{HOST}/feed/?paged=3": rss(("a", "Fri, 15 Dec 2023 00:00:00 +0000")),
    }
    ns = "xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'"
    pages[f"{HOST}/sitemap.xml"] = (
        f"<sitemapindex {ns}><sitemap><loc>{HOST}/s1.xml</loc></sitemap></sitemapindex>"
    ).encode()
    pages[f"{HOST}/s1.xml"] = (
        f"<urlset {ns}><url><loc>{HOST}/a/</loc></url><url><loc>{HOST}/b/</loc></url></urlset>"
    ).encode()
    paged = source(kind="paged_feed", url=f"{HOST}/feed/")
    sitemap = source(kind="sitemap", url=f"{HOST}/sitemap.xml")
    listing_only = source()  # its listing is the paged archive's first page: read apart
    windows = [datetime(2023, 12, 1, tzinfo=UTC), JAN_2024, datetime(2024, 2, 1, tzinfo=UTC)]
    seen: list[str] = []
    with fetcher_for(pages, seen) as fetcher, archive_pages_kept():
        found = [len(read_archive(fetcher, paged, since=start).entries) for start in windows]
        for start in windows:
            assert len(read_archive(fetcher, sitemap, since=start).entries) == 2
            assert len(read_archive(fetcher, listing_only, since=start).entries) == 1
    assert found == [3, 3, 2]  # as without: each window reads back to its own start
    # Each page once (the listing twice: once as a listing); past the last page, a 404 is
    # not kept, but only the first window got that far.
    assert sorted(seen) == sorted([*pages, f"{HOST}/feed/", f"{HOST}/feed/?paged=4"])

    # A failure is not kept, and outside a run nothing is.
    del pages[f"{HOST}/feed/?paged=2"]
    seen.clear()
    with fetcher_for(pages, seen) as fetcher:
        with archive_pages_kept():
            for _ in range(2):
                assert read_archive(fetcher, paged, since=JAN_2024).stop is ArchiveStop.NOT_FOUND
        read_archive(fetcher, paged, since=JAN_2024)
    assert seen.count(f"{HOST}/feed/?paged=2") == 3
    assert seen.count(f"{HOST}/feed/") == 2


def test_paged_feed_stops_at_404_past_the_last_page(run: Run) -> None:
    pages = {
        f"{HOST}/feed/": rss(("c", "Mon, 05 Feb 2024 00:00:00 +0000")),
        f"{HOST}/feed/?paged=2": rss(("b", "Wed, 10 Jan 2024 00:00:00 +0000")),
    }
    slugs, _, stop = run(pages, source(kind="paged_feed", url=f"{HOST}/feed/"))
    assert slugs == ["c", "b"] and stop is ArchiveStop.NOT_FOUND


def test_a_site_that_ignores_the_page_number_is_read_once(run: Run) -> None:
    same = rss(("c", "Mon, 05 Feb 2024 00:00:00 +0000"))
    pages = {f"{HOST}/feed/": same, f"{HOST}/feed/?paged=2": same}
    slugs, seen, stop = run(pages, source(kind="paged_feed", url=f"{HOST}/feed/"))
    assert slugs == ["c"] and stop is ArchiveStop.REPEATED and len(seen) == 2


def test_page_template_and_max_pages(run: Run) -> None:
    pages = {
        f"{HOST}/archive/{n}.xml": rss((f"p{n}", "Mon, 05 Feb 2024 00:00:00 +0000"))
        for n in range(1, 6)
    }
    src = source(kind="paged_feed", url=f"{HOST}/archive/{{page}}.xml", max_pages=3)
    slugs, seen, stop = run(pages, src)
    assert slugs == ["p1", "p2", "p3"] and stop is ArchiveStop.MAX_PAGES and len(seen) == 3


def test_the_first_archive_page_failing_is_the_sources_error(run: Run) -> None:
    with pytest.raises(FetchError, match="404"):
        run({}, source(kind="paged_feed", url=f"{HOST}/feed/"))


def test_listing_pages_use_the_sources_selectors(run: Run) -> None:
    def page(*slugs: str) -> bytes:
        items = "".join(f'<li class="post"><a href="/{s}/">{s}</a></li>' for s in slugs)
        return f"<html><body><ul>{items}</ul><a href='/nav/'>nav</a></body></html>".encode()

    pages = {f"{HOST}/news?p=1": page("n1", "n2"), f"{HOST}/news?p=2": page("n3")}
    src = source(kind="listing", url=f"{HOST}/news?p={{page}}", max_pages=5)
    slugs, _, stop = run(pages, src)
    assert slugs == ["n1", "n2", "n3"] and stop is ArchiveStop.NOT_FOUND


def test_sitemap_index_children_are_followed(run: Run) -> None:
    index = (
        "<sitemapindex xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
        f"<sitemap><loc>{HOST}/s1.xml</loc></sitemap><sitemap><loc>{HOST}/s2.xml</loc></sitemap>"
        f"<sitemap><loc>{HOST}/gone.xml</loc></sitemap></sitemapindex>"
    ).encode()

    def urlset(slug: str, lastmod: str) -> bytes:
        return (
            "<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'>"
            f"<url><loc>{HOST}/{slug}/</loc><lastmod>{lastmod}</lastmod></url></urlset>"
        ).encode()

    pages = {
        f"{HOST}/sitemap.xml": index,
        f"{HOST}/s1.xml": urlset("old", "2023-05-01"),
        f"{HOST}/s2.xml": urlset("new", "2024-03-01"),
    }
    seen: list[str] = []
    with fetcher_for(pages, seen) as fetcher:
        listing = read_archive(
            fetcher, source(kind="sitemap", url=f"{HOST}/sitemap.xml"), since=JAN_2024
        )
    # A broken child is skipped; dates come from lastmod for the pipeline's window check.
    assert {e.url: e.published for e in listing.entries} == {
        f"{HOST}/old/": datetime(2023, 5, 1, tzinfo=UTC),
        f"{HOST}/new/": datetime(2024, 3, 1, tzinfo=UTC),
    }
    assert listing.stop is ArchiveStop.SITEMAP_READ and listing.pages == 3


def test_without_an_archive_the_current_listing_is_read(run: Run) -> None:
    pages = {f"{HOST}/feed/": rss(("c", "Mon, 05 Feb 2024 00:00:00 +0000"))}
    slugs, seen, stop = run(pages, source())
    assert slugs == ["c"] and stop is ArchiveStop.LISTING_ONLY and seen == [f"{HOST}/feed/"]


def test_archive_config_page_urls_and_validation() -> None:
    paged = ArchiveConfig(kind=ArchiveKind.PAGED_FEED, url=f"{HOST}/feed/?lang=en")
    assert paged.page_url(1) == f"{HOST}/feed/?lang=en"
    assert paged.page_url(3) == f"{HOST}/feed/?lang=en&paged=3"
    with pytest.raises(ValueError, match="listing archive needs"):
        SourceConfig.model_validate(
            {
                "name": "x",
                "kind": "feed",
                "url": f"{HOST}/feed/",
                "parser": "generic",
                "archive": {"kind": "listing", "url": f"{HOST}/news/{{page}}"},
            }
        )
    with pytest.raises(ValueError, match="http"):
        ArchiveConfig(kind=ArchiveKind.SITEMAP, url="ftp://example/sitemap.xml")
    assert source(kind="paged_feed", url="https://archive.example/feed/").hosts == (
        "news.example",
        "archive.example",
    )
