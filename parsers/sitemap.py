"""XML sitemaps and sitemap indexes to entry references (lxml, no entities, no network)."""

from __future__ import annotations

from dataclasses import dataclass

from lxml import etree  # type: ignore[import-untyped]  # lxml ships no stubs here

from parsers.base import EntryRef, FeedMalformed, FetchedPage
from parsers.html import collapse_ws, parse_date
from parsers.urls import resolve_link

# The sitemaps.org limit per file.
MAX_URLS = 50_000


@dataclass(frozen=True)
class SitemapResult:
    """What a sitemap lists: page entries (``<urlset>``) and child sitemaps (index files)."""

    entries: tuple[EntryRef, ...] = ()
    sitemaps: tuple[str, ...] = ()


def _parser() -> etree.XMLParser:
    # No entity expansion, DTD loading or network access: a hostile sitemap cannot read
    # local files (XXE) or make us fetch anything.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(element: etree._Element, name: str) -> str | None:
    for child in element:
        if _local(child.tag) == name and child.text:
            return collapse_ws(child.text) or None
    return None


def _news_title(url_element: etree._Element) -> str | None:
    # Google News sitemaps: <news:news><news:title>...</news:title></news:news>
    for child in url_element:
        if _local(child.tag) == "news":
            return _child_text(child, "title")
    return None


def _news_date(url_element: etree._Element) -> str | None:
    for child in url_element:
        if _local(child.tag) == "news":
            return _child_text(child, "publication_date")
    return None


def parse_sitemap(page: FetchedPage) -> SitemapResult:
    """Read a ``<urlset>`` or ``<sitemapindex>``; namespaces are matched by local name.

    ``lastmod`` (or a news sitemap's publication date) becomes ``EntryRef.published``
    (UTC when no zone). Relative locations are resolved against ``page.url``. Raises
    FeedMalformed for anything that is not a well-formed sitemap.
    """
    if not page.body.strip():
        raise FeedMalformed(f"empty sitemap body from {page.url}")
    try:
        root = etree.fromstring(page.body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise FeedMalformed(f"sitemap is not well-formed XML ({exc}) from {page.url}") from exc
    kind = _local(root.tag)
    if kind not in ("urlset", "sitemapindex"):
        raise FeedMalformed(f"not a sitemap (root <{kind}>) from {page.url}")

    entries: list[EntryRef] = []
    children: list[str] = []
    for element in root:
        if len(entries) + len(children) >= MAX_URLS:
            break
        name = _local(element.tag)
        loc = _child_text(element, "loc")
        if not loc:
            continue
        url = resolve_link(page.url, loc)
        if url is None:
            continue
        if kind == "sitemapindex" and name == "sitemap":
            children.append(url)
        elif kind == "urlset" and name == "url":
            lastmod = _child_text(element, "lastmod")
            stamp = _news_date(element) or lastmod
            entries.append(
                EntryRef(
                    url=url,
                    title=_news_title(element),
                    published=parse_date(stamp),
                    updated=parse_date(lastmod),
                )
            )
    return SitemapResult(entries=tuple(entries), sitemaps=tuple(children))
