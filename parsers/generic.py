"""Any article page: trafilatura finds the body (and title/author), htmldate the date.

For outlets without a dedicated profile. Less exact than a profile, so prefer one for sources
that matter; this parser is the fallback and the first step when adding a source.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any, ClassVar

import lxml.html  # type: ignore[import-untyped]  # lxml ships no stubs here
from bs4 import BeautifulSoup, Tag

from parsers.base import FetchedPage, ParsedArticle, ParseError
from parsers.html import (
    canonical_url,
    collapse_ws,
    decode_html,
    find_published,
    make_soup,
    text_of,
)
from parsers.urls import canonicalize_url

_AUTHOR_SPLIT = re.compile(r"\s*[;,]\s*|\s+and\s+")


def _fallback_title(soup: BeautifulSoup) -> str | None:
    for name in ("h1", "title"):
        tag = soup.find(name)
        if isinstance(tag, Tag) and (text := text_of(tag)):
            return text
    return None


def _tree(html: str) -> Any:
    # Both libraries get a parsed tree, never a string: given a string that looks like a URL,
    # htmldate would fetch it, and parsers do no I/O.
    try:
        return lxml.html.fromstring(html)
    except (lxml.etree.ParserError, ValueError) as exc:
        raise ParseError(f"not an HTML document ({exc})") from exc


def _date(html: str, soup: BeautifulSoup, url: str) -> datetime | None:
    declared = find_published(soup)
    if declared is not None:
        return declared
    import htmldate  # see GenericParser.parse

    found = htmldate.find_date(
        _tree(html),
        extensive_search=False,
        original_date=True,
        outputformat="%Y-%m-%d",
        url=url,
    )
    if not found:
        return None
    return datetime.strptime(found, "%Y-%m-%d").replace(tzinfo=UTC)


class GenericParser:
    """Parser for pages without an outlet profile. Dates without a zone are read as UTC."""

    name: ClassVar[str] = "generic"

    def parse(self, page: FetchedPage) -> ParsedArticle:
        """Extract the article; raises ParseError when no title or no body is found."""
        html = decode_html(page.body, page.content_type)
        if not html.strip():
            raise ParseError("empty page")
        # Imported here: trafilatura and htmldate take ~60 ms to import, paid by every
        # process that registers the parsers, while most sources use an outlet profile.
        import trafilatura
        from trafilatura.settings import Document

        soup = make_soup(html)
        extracted = trafilatura.bare_extraction(
            _tree(html),
            url=page.url,
            with_metadata=True,
            include_comments=False,
            include_tables=False,
            include_images=False,
            favor_precision=True,
        )
        doc = extracted if isinstance(extracted, Document) else None
        title = collapse_ws(doc.title) if doc is not None and doc.title else None
        title = title or _fallback_title(soup)
        if not title:
            raise ParseError("no title found")
        raw_text: str = doc.text if doc is not None and doc.text else ""
        lines = [collapse_ws(line) for line in raw_text.splitlines()]
        paragraphs = [line for line in lines if line]
        # trafilatura keeps the headline as the first line of the body.
        if paragraphs and paragraphs[0] == title:
            paragraphs = paragraphs[1:]
        if not paragraphs:
            raise ParseError(f"article body is empty for {title!r}")
        author_field: str = doc.author if doc is not None and doc.author else ""
        authors = tuple(
            dict.fromkeys(name for name in _AUTHOR_SPLIT.split(author_field) if name.strip())
        )
        return ParsedArticle(
            url=canonicalize_url(canonical_url(soup, page.url)),
            title=title,
            text="\n\n".join(paragraphs),
            published=_date(html, soup, page.url),
            authors=authors,
        )
