"""NK News (www.nknews.org) public article pages.

WordPress with the site's own theme: the headline in ``h1.entry-title`` (older pages:
``.article-title h1``), bylines as ``.author-name a``, the date in ``article:published_time``
or ``time.entry-date``, and the text in ``.entry-content``, which also holds image captions,
"Read more" boxes, share buttons and a newsletter sign-up. Pages of NK Pro (the subscriber
service) show a short teaser inside a paywall box: they are recognised by that box and
dropped (``PaywallTeaser``), never stored as if the teaser were the article. Times without a
zone are Seoul time (the newsroom works in KST).
"""

from __future__ import annotations

from typing import ClassVar

from parsers.base import FetchedPage, ParsedArticle
from parsers.html import KST
from parsers.profile import SiteProfile, extract_article

PROFILE = SiteProfile(
    title=("h1.entry-title", ".article-title h1", "article h1", "meta[property='og:title']"),
    body=(".entry-content", ".article-content", ".article-body"),
    authors=(".author-name a", ".article-byline .author a", "meta[name='author']"),
    published=("time.entry-date", ".article-date time", ".article-date"),
    drop=(
        ".share-buttons",
        ".article-share",
        ".read-more-box",
        ".related-articles",
        ".nk-newsletter-signup",
        ".article-tags",
        ".image-caption",
        ".photo-credit",
        ".ad-slot",
    ),
    timezone=KST,
    stop_phrases=("Edited by", "Read more:", "Sign up for"),
    paywall=(".nkpro-paywall", ".paywall", "[data-paywall]", "body.nk-pro-locked"),
)


class NKNewsParser:
    """Parser for NK News article pages (public articles; NK Pro teasers are dropped)."""

    name: ClassVar[str] = "nknews"

    def parse(self, page: FetchedPage) -> ParsedArticle:
        """Extract the article; raises PaywallTeaser for an NK Pro teaser and ParseError when
        the page has no title or body."""
        return extract_article(page, PROFILE)
