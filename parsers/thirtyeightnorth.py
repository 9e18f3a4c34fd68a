"""38 North (www.38north.org) article pages.

The site is WordPress: an ``h1`` title (``entry-title``/``article__title``), a byline of
``rel=author`` links, a ``<time datetime>`` in the article header and the text in
``.entry-content``, followed by share buttons, a newsletter box, endnotes and related articles.
Times without a zone are read as UTC.
"""

from __future__ import annotations

from typing import ClassVar

from parsers.base import FetchedPage, ParsedArticle
from parsers.profile import SiteProfile, extract_article

PROFILE = SiteProfile(
    title=("h1.entry-title", "h1.article__title", "article h1", "meta[property='og:title']"),
    body=(".entry-content", ".article__content", "article .post-content"),
    authors=(
        ".article__byline a[rel~=author]",
        ".entry-byline a[rel~=author]",
        "article a[rel~=author]",
        ".article__byline",
        ".byline",
        "meta[name='author']",
    ),
    published=(".article__date time", "time.entry-date", ".article__date", ".entry-date"),
    drop=(
        ".share-bar",
        ".social-share",
        ".article__share",
        ".newsletter-signup",
        ".article__tags",
        ".author-bio",
        ".related-articles",
        # Endnotes are citation lists (often KCNA headlines): noise for the classifier.
        ".footnotes",
        ".endnotes",
    ),
    stop_phrases=("Subscribe to 38 North", "Sign up for 38 North"),
)


class ThirtyEightNorthParser:
    """Parser for 38 North analysis pages."""

    name: ClassVar[str] = "38north"

    def parse(self, page: FetchedPage) -> ParsedArticle:
        """Extract the article; raises ParseError when the page has no title or body."""
        return extract_article(page, PROFILE)
