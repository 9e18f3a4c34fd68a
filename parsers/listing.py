"""HTML listing pages: article links found with CSS selectors declared in config."""

from __future__ import annotations

from bs4 import BeautifulSoup

from parsers.base import EntryRef, FetchedPage, ParseError
from parsers.urls import resolve_link


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
        url = resolve_link(page.url, href)
        if url is None:
            continue
        title_node = node.select_one(title) if title else anchor
        text = title_node.get_text(" ", strip=True) if title_node is not None else None
        refs.setdefault(url, EntryRef(url=url, title=text or None))
    return list(refs.values())
