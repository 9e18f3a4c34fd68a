"""Cut a page down to the parts an outlet profile can read, before BeautifulSoup sees it.

This is the first step of the BeautifulSoup extraction path
(:func:`parsers.profile.extract_article_bs4`), which is now the reference the lxml path is
held to and the fallback it takes (:mod:`parsers.lxmlpage`); the outlet parsers run the lxml
path. BeautifulSoup builds its tree at ~0.15 ms per KB and a news page is mostly menus,
sidebars, footers and inline scripts, so the page is parsed with lxml first, every element a
profile selector (or the shared metadata lookups) can match is kept whole, together with its
ancestors and ``<head>``, everything else is removed, and BeautifulSoup parses the
serialised rest.

Why the result is the same as on the whole page: a kept element keeps all its descendants
and every ancestor, so a descendant selector (``article h1``, ``.td-post-date time``) matches
the same elements in the same document order; removed elements were matched by no selector,
so "first usable match" picks the same element. Selectors whose meaning depends on siblings
(``+``, ``~``, ``:nth-child``, ``:first-of-type``...) would not survive the removal of
siblings: a profile that uses one is not pruned at all. Neither is a page lxml cannot parse
or one on which no body selector matches (the extraction then fails or falls back exactly
as before, on the whole page).

Where that argument stops (all at the edges, all reproduced by :mod:`parsers.lxmlpage`): the
selectors are evaluated here by cssselect, whose rules differ from soupsieve's on class lists
split by non-ASCII whitespace and on attributes HTML compares without case; and the
serialise-and-parse round trip is not an identity in libxml2 (%-escaped URL attributes, an
empty ``<li>`` written without its end tag, escaped ``<xmp>`` text...).
"""

from __future__ import annotations

import re
from functools import lru_cache

import lxml.etree  # type: ignore[import-untyped]  # lxml ships no stubs here
import lxml.html  # type: ignore[import-untyped]
from cssselect import SelectorError
from lxml.cssselect import CSSSelector  # type: ignore[import-untyped]

__all__ = ["can_prune", "prune_page"]

# Selectors whose match depends on an element's siblings: pruning could change their result.
_SIBLING_SENSITIVE = re.compile(r"[+~](?!=)|:(?:nth-|first-|last-|only-|empty)")


@lru_cache(maxsize=64)
def _compile(selectors: tuple[str, ...]) -> CSSSelector | None:
    """The selectors as one compiled XPath union (one walk of the tree, not one per
    selector), or None when one cannot be pruned for safely or compiled."""
    if not selectors or any(_SIBLING_SENSITIVE.search(s) for s in selectors):
        return None
    try:
        return CSSSelector(", ".join(selectors), translator="html")
    except (SelectorError, lxml.etree.XPathError, ValueError):
        return None


def can_prune(*, keep: tuple[str, ...], required: tuple[str, ...]) -> bool:
    """Whether :func:`prune_page` prunes at all with these selectors (it leaves every page
    whole for a selector that depends on siblings or that cssselect cannot translate)."""
    return _compile(keep) is not None and _compile(required) is not None


def prune_page(html: str, *, keep: tuple[str, ...], required: tuple[str, ...]) -> str:
    """``html`` reduced to ``<head>`` and the elements matching ``keep`` (whole, with their
    ancestors); unchanged when pruning would be unsafe or useless: a selector that depends on
    siblings, a page lxml cannot parse, or no element matching ``required`` (the article
    body), so that every failure and fallback of the extraction happens on the whole page.
    """
    compiled = _compile(keep)
    needed = _compile(required)
    if compiled is None or needed is None:
        return html
    try:
        root = lxml.html.document_fromstring(html)
        if not needed(root):
            return html
        whole: set[object] = set(compiled(root))
    except (lxml.etree.LxmlError, ValueError):
        # Unparseable by lxml (empty, an XML encoding declaration in a str, a broken XPath
        # evaluation): BeautifulSoup gets the page as it is.
        return html
    head = root.find("head")
    if head is not None:
        whole.add(head)
    path: set[object] = set()
    for element in whole:
        path.update(element.iterancestors())  # type: ignore[attr-defined]  # lxml elements
    # Iterative walk: pages nest deeply enough to exhaust Python's recursion limit.
    stack = [root]
    while stack:
        element = stack.pop()
        for child in list(element):
            if child in whole:
                continue
            if child in path:
                stack.append(child)
            else:
                element.remove(child)
    try:
        return lxml.html.tostring(root, encoding="unicode", method="html")  # type: ignore[no-any-return]
    except (lxml.etree.LxmlError, ValueError):
        return html
