"""HTML listing pages: article links found with CSS selectors declared in config."""

from __future__ import annotations

from urllib.parse import urljoin

from bs4 import BeautifulSoup

from parsers.base import EntryRef, FetchedPage, ParseError
from parsers.urls import is_web_url


def parse_listing(
    page: FetchedPage,
    *,
    item: str,
    link: str = "a[href]",
    title: str | None = None,
) -> list[EntryRef]:
    """Links of every ``item`` on the page, resolved against the page URL, in page order."""
    try:
        soup = BeautifulSoup(page.body, "lxml")
    except Exception as exc:  # lxml raises a zoo of types on garbage; one error for callers
        raise ParseError(f"listing page is not HTML: {exc}") from exc
    refs: dict[str, EntryRef] = {}
    for node in soup.select(item):
        anchor = node.select_one(link)
        href = anchor.get("href") if anchor is not None else None
        if not isinstance(href, str) or not href.strip():
            continue
        try:
            url = urljoin(page.url, href.strip())
        except ValueError:  # an href urllib cannot parse is no link
            continue
        if not is_web_url(url):
            continue
        title_node = node.select_one(title) if title else anchor
        text = title_node.get_text(" ", strip=True) if title_node is not None else None
        refs.setdefault(url, EntryRef(url=url, title=text or None))
    return list(refs.values())
