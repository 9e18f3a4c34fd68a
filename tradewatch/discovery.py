"""Finding article URLs: a source's listing (feed, sitemap or HTML listing) → entries.

Monitoring reads the listing (``read_listing``); backfill reads the source's archive
(``read_archive``): older feed pages (WordPress ``?paged=N``), a sitemap's dated entries, or
numbered HTML listing pages, as declared in the source's ``archive`` config.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from parsers.base import EntryRef, ParseError
from parsers.feed import parse_feed
from parsers.listing import parse_listing
from parsers.sitemap import SitemapResult, parse_sitemap
from sources.errors import SourceUnavailable
from sources.fetch import FetchResult, to_page
from sources.fetcher import Fetcher
from tradewatch.sources_config import ArchiveConfig, ArchiveKind, SourceConfig, SourceKind

MAX_CHILD_SITEMAPS = 50

log = logging.getLogger(__name__)

# Past the last archive page WordPress and most CMSs answer 404 (or 410).
_GONE = re.compile(r"\bHTTP (404|410)\b")

_T = TypeVar("_T")

# Archive pages read within ``archive_pages_kept``, parsed, by (source, how read, URL).
_KEPT: ContextVar[dict[tuple[str, str, str], Any] | None] = ContextVar(
    "archive_pages", default=None
)


@contextmanager
def archive_pages_kept() -> Iterator[None]:
    """Within this, an archive page is fetched once: read again, it is the page read first.

    For a backfill run. Each of its windows reads a source's archive back to the window's
    start, newest page first, and windows go oldest first. So every window read again pages
    the one before had read: in a year of monthly windows over a paged archive, about six
    times the pages, at one request per second and host; a source without an archive read
    its listing (a sitemap: with all its children) once per window. Pages are kept parsed
    (a few hundred bytes per entry), and only those that were read: a failure is not kept,
    and the next window asks again.
    """
    token = _KEPT.set({})
    try:
        yield
    finally:
        _KEPT.reset(token)


def _archive_page(
    fetcher: Fetcher,
    source: SourceConfig,
    url: str,
    read: Callable[[FetchResult], _T],
    *,
    how: str,
) -> _T:
    """``read`` of the archive page at ``url``, fetched unless kept (``archive_pages_kept``).
    ``how`` names ``read``: one URL may be read two ways (a listing that is also page 1)."""
    kept = _KEPT.get()
    key = (source.name, how, url)
    if kept is not None and key in kept:
        value: _T = kept[key]
        return value
    value = read(fetcher.get(url, allow_local=source.allows_local))
    if kept is not None:
        kept[key] = value
    return value


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


class ArchiveStop(StrEnum):
    """Why reading an archive stopped."""

    LISTING_ONLY = "listing_only"  # no archive declared: the current listing is all there is
    OLDER_THAN_WINDOW = "older_than_window"  # a page held only entries before the window
    REPEATED = "repeated"  # a page repeated an earlier one (some sites ignore the page number)
    NOT_FOUND = "not_found"  # past the last page: 404 or 410
    EMPTY = "empty"  # a page with no entries
    UNREADABLE = "unreadable"  # a later page was not a feed or listing (e.g. an error page)
    MAX_PAGES = "max_pages"  # the configured page limit
    SITEMAP_READ = "sitemap_read"  # the sitemap and its children were read in full


@dataclass(frozen=True)
class ArchiveListing:
    """What a source's archive lists, in page order, each URL once."""

    entries: list[EntryRef]
    pages: int
    stop: ArchiveStop


def read_archive(
    fetcher: Fetcher,
    source: SourceConfig,
    *,
    since: datetime | None = None,
) -> ArchiveListing:
    """Entries of the source's archive, back to ``since`` (or as far as it goes).

    Undated entries are kept (the article page's own date decides later). A source without
    an ``archive`` gives its current listing. Raises ``FetchError`` or ``ParseError`` when
    the first page cannot be read; a later page failing ends the archive instead.
    """
    archive = source.archive
    if archive is None:
        entries = _archive_page(
            fetcher,
            source,
            source.url,
            lambda result: parse_entries(fetcher, source, result),
            how="listing",
        )
        return ArchiveListing(entries=entries, pages=1, stop=ArchiveStop.LISTING_ONLY)
    if archive.kind is ArchiveKind.SITEMAP:
        return _read_sitemap_archive(fetcher, source, archive)
    return _read_paged_archive(fetcher, source, archive, since=since)


def _read_paged_archive(
    fetcher: Fetcher, source: SourceConfig, archive: ArchiveConfig, *, since: datetime | None
) -> ArchiveListing:
    entries: dict[str, EntryRef] = {}
    bodies: set[str] = set()
    stop = ArchiveStop.MAX_PAGES
    pages = 0
    for number in range(1, archive.max_pages + 1):
        url = archive.page_url(number)
        try:
            digest, page_entries = _archive_page(
                fetcher,
                source,
                url,
                lambda result: (
                    hashlib.sha256(result.body).hexdigest(),
                    _parse_archive_page(source, archive, result),
                ),
                how="page",
            )
        except SourceUnavailable as exc:
            if number == 1 or not _GONE.search(str(exc)):
                raise
            stop = ArchiveStop.NOT_FOUND
            break
        except ParseError as exc:
            if number == 1:
                raise
            log.warning(
                "source %s: archive page %s unreadable, stopping: %s", source.name, url, exc
            )
            stop = ArchiveStop.UNREADABLE
            break
        pages = number
        fresh = [e for e in page_entries if e.url not in entries]
        if digest in bodies or (page_entries and not fresh):
            stop = ArchiveStop.REPEATED
            break
        bodies.add(digest)
        if not page_entries:
            stop = ArchiveStop.EMPTY
            break
        for entry in fresh:
            entries[entry.url] = entry
        if since is not None and _all_older(page_entries, since):
            # Archives run newest first: every later page is older still.
            stop = ArchiveStop.OLDER_THAN_WINDOW
            break
    return ArchiveListing(entries=list(entries.values()), pages=pages, stop=stop)


def _parse_archive_page(
    source: SourceConfig, archive: ArchiveConfig, result: FetchResult
) -> list[EntryRef]:
    page = to_page(result)
    if archive.kind is ArchiveKind.PAGED_FEED:
        return parse_feed(page)
    assert source.listing is not None  # guaranteed by SourceConfig validation
    sel = source.listing
    return parse_listing(page, item=sel.item, link=sel.link, title=sel.title)


def _all_older(entries: list[EntryRef], since: datetime) -> bool:
    dated = [e.published for e in entries if e.published is not None]
    return bool(dated) and len(dated) == len(entries) and max(dated) < since


def _read_sitemap(result: FetchResult) -> SitemapResult:
    return parse_sitemap(to_page(result))


def _read_sitemap_archive(
    fetcher: Fetcher,
    source: SourceConfig,
    archive: ArchiveConfig,
) -> ArchiveListing:
    first = _archive_page(fetcher, source, archive.url, _read_sitemap, how="sitemap")
    entries: dict[str, EntryRef] = {e.url: e for e in first.entries}
    pages = 1
    stop = ArchiveStop.SITEMAP_READ
    for child_url in first.sitemaps:
        if pages > archive.max_pages:
            stop = ArchiveStop.MAX_PAGES
            break
        try:
            child = _archive_page(fetcher, source, child_url, _read_sitemap, how="sitemap")
        except (SourceUnavailable, ParseError) as exc:
            # One broken child sitemap should not cost the rest of the archive.
            log.warning("source %s: child sitemap %s skipped: %s", source.name, child_url, exc)
            continue
        pages += 1
        for entry in child.entries:
            entries.setdefault(entry.url, entry)
    # A sitemap's lastmod stands in for the publication date: the pipeline keeps entries
    # whose lastmod falls in the window, then checks each page's own date.
    return ArchiveListing(entries=list(entries.values()), pages=pages, stop=stop)
