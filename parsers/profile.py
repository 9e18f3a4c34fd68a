"""Selector-driven article extraction: an outlet's knowledge as one ``SiteProfile`` value.

An outlet parser is a profile plus a name; this module holds the single algorithm that
applies any profile, so site differences live in data rather than in branches.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo

from bs4 import BeautifulSoup, Tag

from parsers.base import FetchedPage, ParsedArticle, ParseError, PaywallTeaser
from parsers.html import (
    PUBLISHED_META,
    attr_str,
    canonical_url,
    collapse_ws,
    decode_html,
    find_published,
    make_soup,
    parse_date,
    text_of,
)
from parsers.prune import prune_page
from parsers.urls import canonicalize_url

# Noise every outlet shares; profiles add their own.
COMMON_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "form",
    "nav",
    "aside",
    "figure",
    "figcaption",
    ".wp-caption",
    ".wp-caption-text",
    ".sharedaddy",
    ".jp-relatedposts",
)
BLOCKS = ("p", "h2", "h3", "h4", "h5", "h6", "li", "pre")
_BYLINE_PREFIX = re.compile(r"^\s*(?:by|written by|author[s]?:?)\s+", re.IGNORECASE)
_AUTHOR_SPLIT = re.compile(r"\s*(?:,|;|\band\b|&)\s*")


@dataclass(frozen=True)
class SiteProfile:
    """Where one outlet keeps each part of an article page (CSS selectors, first match wins).

    ``published`` selectors point at elements whose ``datetime``/``content``/
    ``data-published-time`` attribute or text holds the date; page metadata
    (``article:published_time``) is tried first. ``drop`` lists elements removed from the body
    before its text is read.
    """

    title: tuple[str, ...]
    body: tuple[str, ...]
    authors: tuple[str, ...] = ()
    published: tuple[str, ...] = ()
    drop: tuple[str, ...] = ()
    timezone: tzinfo = UTC
    stop_phrases: tuple[str, ...] = field(default=())
    """Paragraphs starting with one of these (case-insensitive) are teasers, not body."""
    paywall: tuple[str, ...] = field(default=())
    """Elements that mark a subscriber-only teaser: such a page raises PaywallTeaser."""
    title_strip: re.Pattern[str] | None = None
    """Removed from the title wherever it matches (wire-service markers like "(LEAD)")."""


def _first(soup: BeautifulSoup | Tag, selectors: tuple[str, ...]) -> Tag | None:
    # iselect is lazy: it stops at the first usable match instead of walking the whole page
    # for every selector (the dominant cost of parsing, see BENCHMARKS.md).
    for selector in selectors:
        for tag in soup.css.iselect(selector):
            if text_of(tag) or tag.name == "meta":
                return tag
    return None


def _scope(soup: BeautifulSoup, selector: str) -> BeautifulSoup | Tag:
    """``<head>`` for meta selectors (no need to walk the body for them), else the page."""
    if selector.startswith(("meta", "link")) and soup.head is not None:
        return soup.head
    return soup


def _title(soup: BeautifulSoup, profile: SiteProfile) -> str:
    tag = _first(soup, profile.title)
    if tag is not None:
        title = attr_str(tag, "content") if tag.name == "meta" else text_of(tag)
        if title and profile.title_strip is not None:
            title = collapse_ws(profile.title_strip.sub(" ", title))
        if title:
            return title
    raise ParseError("no title found")


def _paragraphs(body: Tag, profile: SiteProfile) -> list[str]:
    # One walk for all the noise selectors (soupsieve caches the compiled union).
    for tag in body.select(", ".join(COMMON_DROP + profile.drop)):
        if not tag.decomposed:  # already gone with a dropped ancestor
            tag.decompose()
    stops = tuple(phrase.lower() for phrase in profile.stop_phrases)
    paragraphs: list[str] = []
    for block in body.find_all(BLOCKS):
        # A <p> inside an <li> (or similar) is read once, with its outermost block.
        if block.find_parent(BLOCKS) is not None:
            continue
        text = text_of(block)
        if not text or text.lower().startswith(stops):
            continue
        paragraphs.append(text)
    return paragraphs


def _authors(soup: BeautifulSoup, profile: SiteProfile) -> tuple[str, ...]:
    names: list[str] = []
    for selector in profile.authors:
        for tag in _scope(soup, selector).select(selector):
            raw = attr_str(tag, "content") if tag.name == "meta" else text_of(tag)
            for part in _AUTHOR_SPLIT.split(_BYLINE_PREFIX.sub("", raw or "")):
                name = part.strip()
                if name and name not in names:
                    names.append(name)
        if names:
            break
    return tuple(names)


def _published(soup: BeautifulSoup, profile: SiteProfile) -> datetime | None:
    found = find_published(soup, profile.timezone)
    if found is not None:
        return found
    for selector in profile.published:
        for tag in soup.select(selector):
            raws = (
                attr_str(tag, "datetime"),
                attr_str(tag, "content"),
                attr_str(tag, "data-published-time"),
                text_of(tag),
            )
            for raw in raws:
                if value := parse_date(raw, profile.timezone):
                    return value
    return None


# Read by the shared helpers whatever the profile says (see canonical_url, find_published).
_ALWAYS_READ = ("link[rel~=canonical]", "meta[property='og:url']", *PUBLISHED_META, "time")


def _read_by(profile: SiteProfile) -> tuple[str, ...]:
    """Every selector extraction may evaluate on ``profile``'s pages."""
    return (
        *profile.title,
        *profile.body,
        *profile.authors,
        *profile.published,
        *profile.paywall,
        *_ALWAYS_READ,
    )


def extract_article(page: FetchedPage, profile: SiteProfile) -> ParsedArticle:
    """Apply ``profile`` to ``page``. Raises ParseError when there is no title or no body."""
    html = decode_html(page.body, page.content_type)
    soup = make_soup(prune_page(html, keep=_read_by(profile), required=profile.body))
    title = _title(soup, profile)
    for selector in profile.paywall:
        if soup.select_one(selector) is not None:
            raise PaywallTeaser(f"subscriber-only teaser ({selector}): {title!r}")
    body = _first(soup, profile.body)
    if body is None:
        raise ParseError(f"no article body found for {title!r}")
    # Metadata is read before the body is pruned: bylines and dates can sit inside it.
    authors = _authors(soup, profile)
    published = _published(soup, profile)
    paragraphs = _paragraphs(body, profile)
    if not paragraphs:
        raise ParseError(f"article body is empty for {title!r}")
    return ParsedArticle(
        url=canonicalize_url(canonical_url(soup, page.url)),
        title=title,
        text="\n\n".join(paragraphs),
        published=published,
        authors=authors,
    )
