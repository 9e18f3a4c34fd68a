"""Selector-driven article extraction: an outlet's knowledge as one ``SiteProfile`` value.

An outlet parser is a profile plus a name; this module holds the single algorithm that
applies any profile, so site differences live in data rather than in branches.

The algorithm is written twice. :func:`extract_article_bs4` is the reference: prune the page
with lxml (:mod:`parsers.prune`), parse what is left with BeautifulSoup, run soupsieve's
selectors. :func:`extract_article` runs the same steps on the lxml tree itself
(:mod:`parsers.lxmlpage`) with ~3.5x less CPU, and gives the same result, exceptions included;
for a page or a profile it cannot read exactly (:class:`~parsers.lxmlpage.Unsupported`) it runs
the reference instead. ``tests/parsers/test_lxml_equivalence.py`` compares the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from functools import lru_cache

import lxml.etree  # type: ignore[import-untyped]  # lxml ships no stubs here
from bs4 import BeautifulSoup, Tag

from parsers import lxmlpage
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
from parsers.lxmlpage import Node, Page, Selector, SelectorList, Unsupported
from parsers.prune import can_prune, prune_page
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
    try:
        return _extract_lxml(html, page.url, profile)
    except Unsupported:
        return _extract_soup(html, page.url, profile)


def extract_article_bs4(page: FetchedPage, profile: SiteProfile) -> ParsedArticle:
    """:func:`extract_article` by the reference path alone (BeautifulSoup on the pruned page)."""
    return _extract_soup(decode_html(page.body, page.content_type), page.url, profile)


def _extract_soup(html: str, url: str, profile: SiteProfile) -> ParsedArticle:
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
        url=canonicalize_url(canonical_url(soup, url)),
        title=title,
        text="\n\n".join(paragraphs),
        published=published,
        authors=authors,
    )


# --- the same on the lxml tree (parsers.lxmlpage); each step mirrors the one above -----------


@dataclass(frozen=True)
class _Selectors:
    title: tuple[Selector, ...]
    body: tuple[Selector, ...]
    authors: tuple[Selector, ...]
    published: tuple[Selector, ...]
    paywall: tuple[Selector, ...]
    drop: SelectorList


@lru_cache(maxsize=64)
def _selectors(profile: SiteProfile) -> _Selectors | None:
    """The profile's selectors compiled for lxml; None when one cannot be, or when prune
    would leave every page whole for this profile (the reference then reads whole pages)."""
    if not can_prune(keep=_read_by(profile), required=profile.body):
        return None
    groups = (
        profile.title,
        profile.body,
        profile.authors,
        profile.published,
        profile.paywall,
        COMMON_DROP + profile.drop,
    )
    compiled = [tuple(lxmlpage.compile_selector(css) for css in group) for group in groups]
    if any(selector is None for group in compiled for selector in group):
        return None
    title, body, authors, published, paywall, drop = (
        tuple(s for s in group if s is not None) for group in compiled
    )
    return _Selectors(title, body, authors, published, paywall, SelectorList(drop))


def _lx_first(page: Page, selectors: tuple[Selector, ...]) -> Node | None:
    for selector in selectors:
        for element in page.select(selector):
            page.require_kept(selector, element)
            if element.tag == "meta" or page.has_text(element):
                return element
    return None


def _lx_title(page: Page, selectors: _Selectors, profile: SiteProfile) -> str:
    element = _lx_first(page, selectors.title)
    if element is not None:
        title = page.attr_str(element, "content") if element.tag == "meta" else page.text(element)
        if title and profile.title_strip is not None:
            title = collapse_ws(profile.title_strip.sub(" ", title))
        if title:
            return title
    raise ParseError("no title found")


def _lx_authors(page: Page, selectors: _Selectors) -> tuple[str, ...]:
    names: list[str] = []
    for selector in selectors.authors:
        in_head = selector.css.startswith(("meta", "link")) and page.head is not None
        for element in page.select(selector, page.head if in_head else None):
            if not in_head:
                page.require_kept(selector, element)
            raw = page.attr_str(element, "content") if element.tag == "meta" else page.text(element)
            for part in _AUTHOR_SPLIT.split(_BYLINE_PREFIX.sub("", raw or "")):
                name = part.strip()
                if name and name not in names:
                    names.append(name)
        if names:
            break
    return tuple(names)


def _lx_published(page: Page, selectors: _Selectors, timezone: tzinfo) -> datetime | None:
    found = lxmlpage.find_published(page, timezone)
    if found is not None:
        return found
    for selector in selectors.published:
        for element in page.select(selector):
            page.require_kept(selector, element)
            for name in ("datetime", "content", "data-published-time"):
                if value := parse_date(page.attr_str(element, name), timezone):
                    return value
            if value := parse_date(page.text(element), timezone):
                return value
    return None


# The outermost blocks: a <p> inside an <li> (or similar) is read once, with its <li>.
_BLOCK_TEST = " or ".join(f"self::{name}" for name in BLOCKS)
_OUTERMOST_BLOCKS = lxml.etree.XPath(
    f"descendant::*[{_BLOCK_TEST}][not(ancestor::*[{_BLOCK_TEST}])]"
)


def _lx_paragraphs(
    page: Page, body: Node, selectors: _Selectors, profile: SiteProfile
) -> tuple[list[str], set[Node]]:
    """The paragraphs, and every element the drop list removed (canonical_url must not see
    them either, as in the reference, which removes them from its tree)."""
    dropped = set(page.select_any(selectors.drop, body))
    removed: set[Node] = set()
    for element in dropped:
        removed.update(element.iter())
    stops = tuple(phrase.lower() for phrase in profile.stop_phrases)
    paragraphs: list[str] = []
    for block in _OUTERMOST_BLOCKS(body):
        if block in removed:
            continue
        text = page.text(block, dropped)
        if not text or text.lower().startswith(stops):
            continue
        paragraphs.append(text)
    return paragraphs, removed


def _extract_lxml(html: str, url: str, profile: SiteProfile) -> ParsedArticle:
    selectors = _selectors(profile)
    if selectors is None:
        raise Unsupported(f"profile with title {profile.title!r} needs the reference path")
    page = Page(html)
    # The reference prunes only a page on which a body selector matches under cssselect's
    # rules, and reads any other page whole: those are its to answer.
    if not any(
        selector.kept_by_prune(page, element)
        for selector in selectors.body
        for element in page.candidates(selector)
    ):
        raise Unsupported("prune would leave this page whole")
    title = _lx_title(page, selectors, profile)
    for selector in selectors.paywall:
        for element in page.select(selector):
            page.require_kept(selector, element)
            raise PaywallTeaser(f"subscriber-only teaser ({selector.css}): {title!r}")
    body = _lx_first(page, selectors.body)
    if body is None:
        raise ParseError(f"no article body found for {title!r}")
    authors = _lx_authors(page, selectors)
    published = _lx_published(page, selectors, profile.timezone)
    paragraphs, removed = _lx_paragraphs(page, body, selectors, profile)
    if not paragraphs:
        raise ParseError(f"article body is empty for {title!r}")
    return ParsedArticle(
        url=canonicalize_url(lxmlpage.canonical_url(page, url, removed)),
        title=title,
        text="\n\n".join(paragraphs),
        published=published,
        authors=authors,
    )
