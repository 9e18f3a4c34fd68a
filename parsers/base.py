"""What parsers take and give. Parsers are pure: bytes in, values out, no I/O.

Exceptions::

    ParseError            the page or listing could not be turned into values
    ├── FeedMalformed     a feed or sitemap is not well-formed XML / not a feed
    └── PaywallTeaser     the page is a subscriber-only teaser, not the article
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import ClassVar, Protocol


class ParseError(Exception):
    """A page could not be parsed into an article (no title, no body, not HTML...)."""


class FeedMalformed(ParseError):
    """A feed or sitemap body is not a usable feed."""


class PaywallTeaser(ParseError):
    """The page shows only a teaser of a subscriber-only article (e.g. NK Pro).

    Dropped rather than stored: a teaser's few sentences would be classified as if they were
    the article.
    """


@dataclass(frozen=True)
class FetchedPage:
    """A fetched document as a parser sees it.

    ``url`` is the final URL after redirects; ``content_type`` is the raw Content-Type header
    (its charset, if any, is a hint the parser may override from the document itself).
    """

    url: str
    body: bytes
    content_type: str | None = None


@dataclass(frozen=True)
class EntryRef:
    """One item a feed, sitemap or listing points to."""

    url: str
    title: str | None = None
    published: datetime | None = None  # timezone-aware when known
    summary: str | None = None
    # When the listing says the item last changed (Atom <updated>, sitemap <lastmod>): a known
    # article listed as updated after we last saw it is fetched again for a revision.
    updated: datetime | None = None


@dataclass(frozen=True)
class ParsedArticle:
    """A clean article: what storage keeps and the classifier reads."""

    url: str  # canonical URL (rel=canonical when the page gives one, else the fetched URL)
    title: str
    text: str  # body paragraphs joined by blank lines; no navigation, share bars or captions
    published: datetime | None = None  # timezone-aware
    authors: tuple[str, ...] = field(default=())


class PageParser(Protocol):
    """One outlet's article-page parser, registered by ``name`` in ``parsers.PARSERS``."""

    name: ClassVar[str]

    def parse(self, page: FetchedPage) -> ParsedArticle: ...
