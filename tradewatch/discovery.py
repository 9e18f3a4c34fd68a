"""Finding article URLs: a source's listing (feed, sitemap or HTML listing) → entries."""

from __future__ import annotations

from dataclasses import dataclass

from parsers.base import EntryRef
from parsers.feed import parse_feed
from parsers.listing import parse_listing
from parsers.sitemap import parse_sitemap
from sources.fetch import FetchResult, to_page
from sources.fetcher import Fetcher
from tradewatch.sources_config import SourceConfig, SourceKind

MAX_CHILD_SITEMAPS = 50


@dataclass(frozen=True)
class Validators:
    """What we remember of a listing to ask "has it changed?" cheaply next time."""

    etag: str | None = None
    last_modified: str | None = None
    body_sha256: str | None = None


def read_listing(
    fetcher: Fetcher, source: SourceConfig, *, validators: Validators | None = None
) -> tuple[FetchResult | None, list[EntryRef]]:
    """Fetch and parse the source's listing; ``(None, [])`` when it has not changed.

    Raises ``FetchError`` or ``ParseError`` for the pipeline to record.
    """
    seen = validators or Validators()
    result = fetcher.get(
        source.url,
        etag=seen.etag,
        last_modified=seen.last_modified,
        allow_local=source.allows_local,
    )
    # Some servers answer 200 with the same body (or keep an ETag across changes): the body
    # hash, not the validators, decides whether anything changed.
    if result.not_modified or (seen.body_sha256 is not None and result.sha256 == seen.body_sha256):
        return None, []
    return result, parse_entries(fetcher, source, result)


def parse_entries(fetcher: Fetcher, source: SourceConfig, result: FetchResult) -> list[EntryRef]:
    """The entries of a fetched listing, following a sitemap index's children."""
    page = to_page(result)
    if source.kind is SourceKind.FEED:
        return parse_feed(page)
    if source.kind is SourceKind.LISTING:
        assert source.listing is not None  # guaranteed by SourceConfig validation
        sel = source.listing
        return parse_listing(page, item=sel.item, link=sel.link, title=sel.title)
    sitemap = parse_sitemap(page)
    entries = list(sitemap.entries)
    for child_url in sitemap.sitemaps[:MAX_CHILD_SITEMAPS]:
        child = fetcher.get(child_url, allow_local=source.allows_local)
        entries.extend(parse_sitemap(to_page(child)).entries)
    return entries
