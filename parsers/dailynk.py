"""Daily NK English (www.dailynk.com/english) article pages.

The site is WordPress with the tagDiv "Newspaper" theme: ``h1.entry-title`` inside
``.td-post-title``, author in ``.td-post-author-name``, ``time.entry-date`` and the text in
``.td-post-content``, which also carries ad slots, a featured image with caption and a closing
"Please direct any comments..." line. Dates without a zone are Seoul time (KST).
"""

from __future__ import annotations

from typing import ClassVar

from parsers.base import FetchedPage, ParsedArticle
from parsers.html import KST
from parsers.profile import SiteProfile, extract_article

PROFILE = SiteProfile(
    title=("h1.entry-title", "h1.tdb-title-text", "article h1", "meta[property='og:title']"),
    body=(".td-post-content", ".tdb_single_content .tdb-block-inner", ".entry-content"),
    authors=(".td-post-author-name a", ".tdb-author-name", "meta[name='author']"),
    published=("time.entry-date", ".td-post-date time", ".td-post-date"),
    drop=(
        ".td-a-rec",
        ".td-post-featured-image",
        ".td-post-sharing",
        ".td-post-sharing-top",
        ".td-post-sharing-bottom",
        ".td-post-source-tags",
        ".td_block_related_posts",
        ".td-post-next-prev",
        ".dnk-newsletter",
    ),
    timezone=KST,
    stop_phrases=(
        "Please direct any comments or questions",
        "Read in Korean",
        "Read this article in Korean",
    ),
)


class DailyNKParser:
    """Parser for Daily NK English article pages."""

    name: ClassVar[str] = "dailynk"

    def parse(self, page: FetchedPage) -> ParsedArticle:
        """Extract the article; raises ParseError when the page has no title or body."""
        return extract_article(page, PROFILE)
