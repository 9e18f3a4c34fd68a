"""RSS and Atom feeds to entry references (lxml for plain feeds, feedparser for the rest)."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from parsers.base import EntryRef, FeedMalformed, FetchedPage
from parsers.feedfast import read_plain_feed
from parsers.html import collapse_ws, make_soup, text_of
from parsers.urls import is_web_url, resolve_link

MAX_ENTRIES = 5_000
_HTML_START = (b"<!doctype html", b"<html")


def _first_of(*dates: datetime | None) -> datetime | None:
    return next((date for date in dates if date is not None), None)


def _first_date(entry: Any, *keys: str) -> datetime | None:
    # feedparser normalises every date it understands to a UTC struct_time.
    for key in keys:
        # dict.get, not entry.get: feedparser's own lookup maps a missing updated_parsed to
        # published_parsed (with a deprecation warning), and "updated" must mean updated.
        parsed = dict.get(entry, key)
        # A feed's own element of that name (<published_parsed>) lands here as a string.
        if isinstance(parsed, time.struct_time):
            return datetime(*parsed[:6], tzinfo=UTC)
    return None


def _text(value: object) -> str | None:
    """Feed titles and summaries often carry HTML; keep only their text."""
    if not isinstance(value, str):
        return None
    if "<" in value:
        return text_of(make_soup(value)) or None
    return collapse_ws(value) or None


_ENTRY_START = re.compile(rb"<(?:item|entry)[\s>/]")


def _first_entries_only(body: bytes) -> bytes:
    """Cut a feed with more than MAX_ENTRIES entries before the next one starts.

    feedparser builds every entry before we could keep the first MAX_ENTRIES: a 100,000-entry
    feed that fits the size cap would cost ~130 MB and ~100 s. Cut, the document is truncated
    XML, which feedparser reads leniently (every entry before the cut is kept).
    """
    for count, match in enumerate(_ENTRY_START.finditer(body), start=1):
        if count > MAX_ENTRIES:
            return body[: match.start()]
    return body


def parse_feed(page: FetchedPage) -> list[EntryRef]:
    """The entries of an RSS or Atom feed, in document order, at most 5,000.

    Links are made absolute against ``page.url``; dates are UTC-aware. Raises FeedMalformed
    for an empty body, an HTML page or anything feedparser cannot read as a feed; a valid feed
    with no items returns ``[]``.
    """
    body = _feed_body(page)
    head = _first_entries_only(body)
    # A cut document is truncated XML, which only feedparser's lenient reading makes sense of.
    if head is body and (refs := _read_with_lxml(page.url, body)) is not None:
        return refs
    return _read_with_feedparser(page.url, head)


def _parse_with_lxml(page: FetchedPage) -> list[EntryRef] | None:
    """parse_feed's lxml path alone: None when it hands the feed to feedparser."""
    body = _feed_body(page)
    return _read_with_lxml(page.url, body) if _first_entries_only(body) is body else None


def _parse_with_feedparser(page: FetchedPage) -> list[EntryRef]:
    """parse_feed with feedparser reading every feed (what the lxml path must equal)."""
    return _read_with_feedparser(page.url, _first_entries_only(_feed_body(page)))


def _feed_body(page: FetchedPage) -> bytes:
    body = page.body.lstrip()
    if not body:
        raise FeedMalformed(f"empty feed body from {page.url}")
    if body[:20].lower().startswith(_HTML_START):
        raise FeedMalformed(f"expected a feed, got an HTML page from {page.url}")
    return body


def _read_with_lxml(url: str, body: bytes) -> list[EntryRef] | None:
    """Plain RSS 2.0 and Atom 1.0, read as feedparser would read them (parsers.feedfast)."""
    entries = read_plain_feed(body, MAX_ENTRIES)
    if entries is None:
        return None
    refs: list[EntryRef] = []
    for entry in entries:
        link = _entry_link(url, entry.link, entry.id)
        if link is None:
            continue
        refs.append(
            EntryRef(
                url=link,
                title=_text(entry.title),
                published=_first_of(entry.published, entry.updated, entry.created),
                updated=entry.updated,
                summary=_text(entry.summary),
            )
        )
    return refs


def _read_with_feedparser(url: str, body: bytes) -> list[EntryRef]:
    # A stream, never bytes or a string: feedparser fetches a string that looks like a URL,
    # and opens bytes or a string that name a local file (a body "/etc/passwd" would do).
    try:
        parsed = feedparser.parse(
            io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False
        )
    except (ValueError, UnicodeError, LookupError) as exc:
        # e.g. a garbage encoding declaration, which feedparser does not catch itself
        raise FeedMalformed(f"unreadable feed ({exc}) from {url}") from exc
    entries = parsed.get("entries", [])
    if not parsed.get("version") and not entries:
        problem = parsed.get("bozo_exception") or "not RSS or Atom"
        raise FeedMalformed(f"not a feed ({problem}) from {url}")

    refs: list[EntryRef] = []
    for entry in entries[:MAX_ENTRIES]:
        link = _entry_link(url, entry.get("link"), entry.get("id"))
        if link is None:
            continue
        refs.append(
            EntryRef(
                url=link,
                title=_text(entry.get("title")),
                published=_first_date(
                    entry, "published_parsed", "updated_parsed", "created_parsed"
                ),
                updated=_first_date(entry, "updated_parsed"),
                summary=_text(entry.get("summary")),
            )
        )
    if parsed.get("bozo") and not refs:
        # A broken document whose partial parse yields no usable entry is malformed, not empty.
        raise FeedMalformed(f"malformed feed ({parsed.get('bozo_exception')}) from {url}")
    return refs


def _entry_link(base_url: str, link: object, entry_id: object) -> str | None:
    """An entry's link made absolute, or its id where it has no link and the id is itself a
    web address; None when it has neither. A relative id ("id-123", a non-permalink guid)
    names the entry, not a page: resolved against the feed it would be a made-up URL."""
    if isinstance(link, str) and link.strip():
        return resolve_link(base_url, link)
    if isinstance(entry_id, str) and is_web_url(entry_id.strip()):
        return resolve_link(base_url, entry_id)
    return None
