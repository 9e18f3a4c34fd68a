"""Yonhap News Agency English (en.yna.co.kr) article pages, e.g. its North Korea section.

The headline is ``h1.tit`` in ``.article-hd`` (a second line in ``.tit-sub`` is a subtitle,
not part of it), the time in ``p.update-time`` (``data-published-time``, Seoul time) and the
text in ``article.story-news``, which also carries photo boxes with captions, a keyword zone,
the "(END)" mark and a copyright line. Wire markers in headlines ("(LEAD)", "(2nd LD)",
"(URGENT)") say which take of a story this is, not what it says, so they are removed: each
take then reads as a revision of the same story.
"""

from __future__ import annotations

import re
from typing import ClassVar

from parsers.base import FetchedPage, ParsedArticle
from parsers.html import KST
from parsers.profile import SiteProfile, extract_article

WIRE_MARKERS = re.compile(
    r"\((?:LEAD|URGENT|\d+(?:st|nd|rd|th) LD|News Focus|Yonhap Interview)\)", re.IGNORECASE
)

PROFILE = SiteProfile(
    title=(".article-hd h1.tit", "h1.tit", "h1.tit01", "h1", "meta[property='og:title']"),
    body=("article.story-news", ".story-news", ".article-txt"),
    authors=(".writer-zone .tit-name", ".byline .name", "meta[name='author']"),
    published=("p.update-time", ".update-time"),
    drop=(
        ".comp-box",
        ".photo-group",
        ".image-zone",
        ".desc-con",
        ".keyword-zone",
        ".txt-copyright",
        ".related-zone",
        ".share-zone",
        ".article-ad",
    ),
    timezone=KST,
    # "(ATTN: ...)" is an editors' note on what a new take changed.
    stop_phrases=("(END)", "(ATTN", "(c) Yonhap", "All rights reserved"),
    title_strip=WIRE_MARKERS,
)


class YonhapParser:
    """Parser for Yonhap English article pages."""

    name: ClassVar[str] = "yonhap"

    def parse(self, page: FetchedPage) -> ParsedArticle:
        """Extract the article; raises ParseError when the page has no title or body."""
        return extract_article(page, PROFILE)
