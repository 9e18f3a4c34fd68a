"""KCNA Watch (kcnawatch.org) newstream pages: North Korean state media, republished.

Each item reproduces one state-media report (KCNA, Rodong Sinmun, ...) under an ``h1`` in
``.article-header``, with the originating outlet in ``.article-source`` and the report itself
in ``.article-content``; around it sit a "view original" link box, share bar and a list of
related newstream items. State media have no bylines: the originating outlet stands in as the
author. Dates print Pyongyang time, which has been UTC+9 (the same as Seoul) since 2018.
"""

from __future__ import annotations

from typing import ClassVar

from parsers.base import FetchedPage, ParsedArticle
from parsers.html import KST
from parsers.profile import SiteProfile, extract_article

PROFILE = SiteProfile(
    title=(".article-header h1", "h1.entry-title", "article h1", "meta[property='og:title']"),
    body=(".article-content", ".entry-content", "article .content"),
    authors=(".article-source", "meta[name='author']"),
    published=(".article-header time", "time.entry-date", ".article-date"),
    drop=(
        ".article-original-link",
        ".article-share",
        ".newstream-related",
        ".article-translation-note",
        ".article-tags",
    ),
    timezone=KST,
    stop_phrases=("View original", "Source:"),
)


class KCNAWatchParser:
    """Parser for KCNA Watch newstream article pages."""

    name: ClassVar[str] = "kcnawatch"

    def parse(self, page: FetchedPage) -> ParsedArticle:
        """Extract the article; raises ParseError when the page has no title or body."""
        return extract_article(page, PROFILE)
