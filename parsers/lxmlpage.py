"""An article page read with lxml exactly as the BeautifulSoup extraction path reads it.

The BeautifulSoup path (:func:`parsers.profile.extract_article_bs4`) parses a page with lxml,
cuts it down to what the profile's selectors can reach (:mod:`parsers.prune`), serialises
that, has BeautifulSoup parse it again and runs soupsieve's selectors on the result: three
passes over the page. :class:`Page` parses once and answers the same questions on lxml's tree,
with the same answers. What that takes:

* **The tree.** BeautifulSoup's lxml builder listens to the same libxml2 parser, so the
  elements, attributes and strings it builds are lxml's.
* **The round trip.** BeautifulSoup parsed the *serialised* pruned page, and libxml2's HTML
  serialiser is not the inverse of its parser: it %-escapes ``href``, ``src`` and ``action``
  values (``name`` too on ``<a>``), writes boolean attributes (``selected``...) without
  their value, and escapes the text of ``<xmp>``, ``<iframe>``, ``<noembed>`` and
  ``<noframes>``, which the parser reads as raw text; parsing again turns CR into LF. Values
  are read here as they come out of that round trip (:meth:`Page.attr`, :meth:`Page.text`).
  Two changes of structure are not reproduced but refused: everything after a
  ``<plaintext>`` reads as text, and an empty ``<li>``, written without its end tag, takes
  in what follows it (unless only whitespace and another ``<li>`` do).
* **Selectors.** soupsieve's rules, for the part of CSS the profiles use: type, class, id and
  attribute selectors joined by descendant or child combinators. Class lists split on any
  Unicode whitespace (as BeautifulSoup splits them), attributes HTML compares without case
  (``rel``...) compare so, and matching neither enters nor looks out of a ``<template>``.
  Each selector compiles to an XPath that finds a superset of its matches in one walk of the
  tree; Python keeps the exact ones.
* **Pruning.** BeautifulSoup only saw what prune kept: ``<head>`` and the elements a profile
  selector matches *under cssselect's rules*, whole, with their ancestors. Those rules differ
  from soupsieve's at the edges (a class list separated by a no-break space, ``rel=Canonical``),
  so an element used here that prune would not have kept whole is a question this module
  cannot answer (:meth:`Page.require_kept`); so is a page prune would have left whole (no
  element matching a body selector), which BeautifulSoup read unpruned and unserialised.

A question it cannot answer exactly raises :class:`Unsupported`, as do a selector outside
that part of CSS, an attribute whose name starts with a brace (BeautifulSoup reads
``{ns}name`` as ``name`` in namespace ``ns``) and a page lxml refuses (empty, or a str with an
XML encoding declaration). The caller then runs the BeautifulSoup path, so such pages come
out as they always have. tests/parsers/test_lxmlpage.py checks each libxml2 behaviour copied
here against lxml itself.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import lru_cache
from typing import Any, TypeAlias

import lxml.etree  # type: ignore[import-untyped]  # lxml ships no stubs here
from bs4.builder import HTMLTreeBuilder
from bs4.element import nonwhitespace_re
from cssselect import SelectorError
from cssselect import parse as parse_css
from cssselect.parser import Attrib, Class, CombinedSelector, Element, Hash, Tree
from cssselect.xpath import GenericTranslator
from soupsieve.css_parser import HTML_CASE_INSENSITIVE_ATTRIBUTES

from parsers.html import _BREAKING, PUBLISHED_META, collapse_ws, parse_date
from parsers.urls import resolve_link

__all__ = [
    "Page",
    "Selector",
    "SelectorList",
    "Unsupported",
    "canonical_url",
    "compile_selector",
    "find_published",
]

Node: TypeAlias = Any  # an lxml element, comment or processing instruction

# lxml.html's parser options (prune parses with lxml.html), without its element classes: those
# are looked up in Python for every element proxy, which costs ~40% more for a whole page.
_PARSER = lxml.etree.HTMLParser()

# Elements libxml2's parser reads as raw text but its serialiser escapes (checked against lxml
# in tests/parsers/test_lxmlpage.py), so a round trip leaves their text escaped.
_ESCAPED_RAW_TEXT = frozenset({"xmp", "iframe", "noembed", "noframes"})
# Attributes libxml2's HTML serialiser writes without their value.
_BOOLEAN_ATTRIBUTES = frozenset(
    {"checked", "compact", "declare", "defer", "disabled", "ismap", "multiple"}
    | {"nohref", "noresize", "noshade", "nowrap", "readonly", "selected"}
)
_URI_ATTRIBUTES = frozenset({"href", "src", "action"})
# libxml2's serialiser strips these before a URI value and %-escapes what is not printable ASCII.
_URI_LEADING_BLANKS = " \t\n\r"
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]*\Z")
# BeautifulSoup's multi-valued attributes (split into lists when a tag is built).
_LIST_ATTRIBUTES: dict[str, set[str]] = HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES
_ANY_TAG_LIST_ATTRIBUTES = frozenset(_LIST_ATTRIBUTES.get("*", set()))

# An attribute name starting with "{" and holding a "}" can only come from markup where "{"
# follows what ends a tag name or an attribute (whitespace, "/", a closing quote). Only the
# "{" is consumed, so that every one is tried ("a="p{q"{x}class=..." hides one in another).
_BRACED_NAME = re.compile(r"\{(?=[^\t\n\x0c\r />=]*\})")
_BEFORE_ATTRIBUTE_NAME = frozenset(" \t\n\x0c\r/\"'")
_HAS_BRACED_ATTRIBUTE = lxml.etree.XPath("boolean(//@*[starts-with(name(), '{')])")


class Unsupported(Exception):
    """Only the BeautifulSoup path can answer this exactly: take it."""


# --- selectors ---------------------------------------------------------------------------

# Names that are plain XPath names and mean the same to cssselect, soupsieve and libxml2.
_NAME = re.compile(r"[a-z][a-z0-9_-]*\Z")
# soupsieve's whitespace in selector values and its separators for ~= (css_parser.RE_WS).
_CSS_WS = re.compile(r"[ \t\r\n\f]")
# XPath's whitespace, which normalize-space() (cssselect's ~= and class test) splits on.
_XPATH_WS = re.compile(r"[ \t\r\n]+")
_OPERATORS = frozenset({"exists", "=", "~=", "^=", "$=", "*=", "|="})


_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)


def _ascii_lower(text: str) -> str:
    """soupsieve lowers ASCII letters only (util.ascii_lower)."""
    return text.translate(_ASCII_LOWER)


def _soupsieve_pattern(op: str, value: str) -> re.Pattern[str]:
    """soupsieve's pattern for an attribute test (CSSParser.parse_attribute_pattern)."""
    escaped = re.escape(value)
    if op == "^=":
        source = f"^{escaped}" if value else r"^(?!)"
    elif op == "$=":
        source = rf"{escaped}\Z" if value else r"(?!)"
    elif op == "*=":
        source = escaped if value else r"(?!)"
    elif op == "~=":
        word = r"(?!)" if not value or _CSS_WS.search(value) else escaped
        source = rf"(?:(?<=^)|(?<=[ \t\r\n\f])){word}(?=(?:[ \t\r\n\f]|\Z))"
    elif op == "|=":
        source = rf"^{escaped}(?:-.*)?\Z"
    else:
        source = rf"^{escaped}\Z"
    return re.compile(source, re.DOTALL)


@dataclass(frozen=True)
class _AttributeTest:
    name: str
    op: str
    value: str
    pattern: re.Pattern[str] | None  # soupsieve's; None tests existence
    ignore_case: bool

    def soupsieve(self, value: str | None) -> bool:
        if value is None:
            return False
        if self.pattern is None:
            return True
        return self.pattern.search(_ascii_lower(value) if self.ignore_case else value) is not None

    def cssselect(self, raw: str | None) -> bool:
        """cssselect's XPath for the test (GenericTranslator.xpath_attrib_*), in Python."""
        if raw is None:
            return False
        value, op = self.value, self.op
        if op == "exists":
            return True
        if op == "=":
            return raw == value
        if op == "~=":
            return bool(value) and not _CSS_WS.search(value) and value in _XPATH_WS.split(raw)
        if op == "|=":
            return raw == value or raw.startswith(value + "-")
        if not value:
            return False
        if op == "^=":
            return raw.startswith(value)
        if op == "$=":
            return raw.endswith(value)
        return value in raw  # "*="


@dataclass(frozen=True)
class _Compound:
    tag: str | None
    ids: tuple[str, ...]
    classes: tuple[str, ...]
    attributes: tuple[_AttributeTest, ...]

    def xpath(self) -> str:
        """A node test and predicates every match satisfies (attributes: existence only, as
        the value a test sees is the round-tripped one)."""
        literal = GenericTranslator.xpath_literal
        tests = [f"contains(@class, {literal(name)})" for name in self.classes]
        tests += ["@id"] * bool(self.ids)
        tests += [f"@{name}" for name in dict.fromkeys(a.name for a in self.attributes)]
        return (self.tag or "*") + "".join(f"[{test}]" for test in tests)


class Selector:
    """One CSS selector: an XPath for candidates, and the exact tests of soupsieve (on the
    round-tripped page) and of cssselect (on the parsed page, as prune evaluates it)."""

    def __init__(self, css: str, compounds: list[_Compound], combinators: list[str]) -> None:
        self.css = css
        self._compounds = compounds  # left to right
        self._combinators = combinators  # combinators[i] joins compounds[i] and [i + 1]
        # From the root, left to right: a walk for the first compound, then short ones below
        # its matches (twice as fast as testing the ancestors of every candidate).
        steps = [f"descendant-or-self::{compounds[0].xpath()}"]
        for combinator, compound in zip(combinators, compounds[1:], strict=True):
            steps.append(f"{'child' if combinator == '>' else 'descendant'}::{compound.xpath()}")
        self.anywhere = lxml.etree.XPath("/".join(steps))
        # Inside an element, right to left: ancestors outside it count.
        path = compounds[0].xpath()
        for combinator, compound in zip(combinators, compounds[1:], strict=True):
            axis = "parent" if combinator == ">" else "ancestor"
            path = f"{compound.xpath()}[{axis}::{path}]"
        self.within = lxml.etree.XPath(f"descendant::{path}")

    def matches(self, page: Page, element: Node) -> bool:
        """Whether soupsieve matches ``element`` in the round-tripped page."""
        return self._match(page, element, len(self._compounds) - 1, soupsieve=True)

    def kept_by_prune(self, page: Page, element: Node) -> bool:
        """Whether prune's cssselect XPath for this selector matches ``element``."""
        return self._match(page, element, len(self._compounds) - 1, soupsieve=False)

    def _match(self, page: Page, element: Node, index: int, *, soupsieve: bool) -> bool:
        compound = self._compounds[index]
        if soupsieve:
            if not page.soupsieve_compound(element, compound):
                return False
        elif not page.cssselect_compound(element, compound):
            return False
        if index == 0:
            return True
        parent = _parent(element, soupsieve=soupsieve)
        if self._combinators[index - 1] == ">":
            return parent is not None and self._match(page, parent, index - 1, soupsieve=soupsieve)
        while parent is not None:
            if self._match(page, parent, index - 1, soupsieve=soupsieve):
                return True
            parent = _parent(parent, soupsieve=soupsieve)
        return False


class SelectorList:
    """Several selectors matched at once, like soupsieve's ``a, b, c``: one XPath call for the
    candidates of all (each call has a fixed cost of a few microseconds)."""

    def __init__(self, selectors: tuple[Selector, ...]) -> None:
        self.selectors = selectors
        self.within = lxml.etree.XPath(" | ".join(s.within.path for s in selectors))

    def matches(self, page: Page, element: Node) -> bool:
        return any(selector.matches(page, element) for selector in self.selectors)


def _parent(element: Node, *, soupsieve: bool) -> Node | None:
    parent = element.getparent()
    # soupsieve does not look out of a template's contents (CSSMatch.get_parent).
    if soupsieve and parent is not None and parent.tag == "template":
        return None
    return parent


def _compound(tree: Tree) -> _Compound:
    ids: list[str] = []
    classes: list[str] = []
    attributes: list[_AttributeTest] = []
    while not isinstance(tree, Element):
        if isinstance(tree, Class):
            classes.append(tree.class_name)
        elif isinstance(tree, Hash):
            ids.append(tree.id)
        elif isinstance(tree, Attrib):
            attributes.append(_attribute_test(tree))
        else:
            raise Unsupported(f"selector part {tree!r}")
        tree = tree.selector
    if tree.namespace is not None:
        raise Unsupported("namespaced element selector")
    tag = tree.element.lower() if tree.element else None
    if tag is not None and not _NAME.match(tag):
        raise Unsupported(f"element name {tag!r}")
    return _Compound(tag, tuple(ids), tuple(classes), tuple(reversed(attributes)))


def _attribute_test(attrib: Attrib) -> _AttributeTest:
    name = attrib.attrib.lower()
    if attrib.namespace is not None or attrib.flag is not None or not _NAME.match(name):
        raise Unsupported(f"attribute selector {attrib!r}")
    if attrib.operator not in _OPERATORS:
        raise Unsupported(f"attribute operator {attrib.operator!r}")
    if attrib.operator == "exists" or attrib.value is None:
        return _AttributeTest(name, "exists", "", None, ignore_case=False)
    value = attrib.value.value or ""
    ignore_case = name in HTML_CASE_INSENSITIVE_ATTRIBUTES
    pattern = _soupsieve_pattern(attrib.operator, _ascii_lower(value) if ignore_case else value)
    return _AttributeTest(name, attrib.operator, value, pattern, ignore_case)


@lru_cache(maxsize=512)
def compile_selector(css: str) -> Selector | None:
    """``css`` compiled, or None when it is outside the part of CSS handled here."""
    # Escapes and non-ASCII are where cssselect's and soupsieve's parsers could disagree.
    if not css.isascii() or "\\" in css:
        return None
    try:
        parsed = parse_css(css)
        if len(parsed) != 1 or parsed[0].pseudo_element is not None:
            return None
        tree = parsed[0].parsed_tree
        compounds: list[_Compound] = []
        combinators: list[str] = []
        while isinstance(tree, CombinedSelector):
            if tree.combinator not in (" ", ">"):
                return None
            compounds.append(_compound(tree.subselector))
            combinators.append(tree.combinator)
            tree = tree.selector
        compounds.append(_compound(tree))
        compounds.reverse()
        combinators.reverse()
        return Selector(css, compounds, combinators)
    except (SelectorError, Unsupported, lxml.etree.XPathError):
        return None


# --- the page ----------------------------------------------------------------------------


def _uri_escaped(value: str) -> str:
    """``value`` as libxml2's HTML serialiser writes a URI attribute (htmlAttrDumpOutput)."""
    value = value.lstrip(_URI_LEADING_BLANKS)
    if _PRINTABLE_ASCII.match(value):
        return value
    return "".join(
        char if "\x21" <= char <= "\x7e" else "".join(f"%{b:02X}" for b in char.encode())
        for char in value
    )


def _stays_empty(li: Node) -> bool:
    """Whether an empty ``<li>`` takes in nothing that matters when parsed again: only
    whitespace before the next element, and that element an ``<li>`` (which closes it). Every
    following element is checked, not just the next: prune may have removed that one."""
    if li.tail and li.tail.strip():
        return False
    element_seen = False
    for sibling in li.itersiblings():
        if isinstance(sibling.tag, str):
            if sibling.tag != "li":
                return False
            element_seen = True
        elif not element_seen and sibling.tail and sibling.tail.strip():
            return False
    return True


def _braced_attribute_possible(html: str) -> bool:
    for match in _BRACED_NAME.finditer(html):
        if match.start() and html[match.start() - 1] in _BEFORE_ATTRIBUTE_NAME:
            return True
    return False


class Page:
    """A decoded page parsed once by lxml, read as the BeautifulSoup path reads its pruned copy.

    Raises Unsupported for a page this cannot read exactly (see the module docstring).
    """

    def __init__(self, html: str) -> None:
        try:
            root = lxml.etree.fromstring(html, _PARSER)
        except (lxml.etree.LxmlError, ValueError) as exc:
            # Empty, or an XML declaration naming an encoding in a str: prune leaves such a
            # page whole too.
            raise Unsupported(f"lxml cannot parse the page: {exc}") from None
        if root is None:
            raise Unsupported("lxml found no document")
        if _braced_attribute_possible(html) and _HAS_BRACED_ATTRIBUTE(root):
            raise Unsupported("an attribute name in braces")
        # (lxml's iter() with a tag finds elements ~5x faster than the same XPath.)
        if next(root.iter("plaintext"), None) is not None:
            raise Unsupported("a <plaintext> element")
        # libxml2's serialiser writes an empty <li> without its end tag (the only non-void
        # element it does that for), so parsing again puts what follows it inside it.
        for li in root.iter("li"):
            if li.text is None and not len(li) and not _stays_empty(li):
                raise Unsupported("an empty <li> the round trip would fill")
        self.root = root
        self.head: Node | None = next(root.iter("head"), None)
        self._templates = next(root.iter("template"), None) is not None
        self._candidates: dict[Selector, list[Node]] = {}

    # -- values as BeautifulSoup saw them after the round trip --------------------------

    def attr(self, element: Node, name: str) -> str | None:
        """The attribute's value after the round trip, unsplit (None when absent)."""
        value: str | None = element.get(name)
        if value is None:
            return None
        if name in _BOOLEAN_ATTRIBUTES:
            return ""
        if name in _URI_ATTRIBUTES or (name == "name" and element.tag == "a"):
            return _uri_escaped(value)
        if "\r" in value:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
        return value

    def attr_str(self, element: Node, name: str) -> str | None:
        """parsers.html.attr_str: the value as one stripped string, None when absent or blank."""
        value = self.attr(element, name)
        if value is None:
            return None
        if name in _ANY_TAG_LIST_ATTRIBUTES or name in _LIST_ATTRIBUTES.get(element.tag, ()):
            value = " ".join(nonwhitespace_re.findall(value))
        return value.strip() or None

    def text(self, element: Node, skip: AbstractSet[Node] = frozenset()) -> str:
        """parsers.html.text_of: the visible text, whitespace collapsed; elements in ``skip``
        (and what is inside them) are left out, the text after them is not."""
        parts: list[str] = []
        self._collect_text(element, parts, skip)
        return collapse_ws("".join(parts))

    def has_text(self, element: Node) -> bool:
        """Whether :meth:`text` would be non-empty."""
        return any(part.strip() for part in self._texts(element))

    def _collect_text(self, element: Node, parts: list[str], skip: AbstractSet[Node]) -> None:
        # Recursion is bounded: libxml2 stops nesting elements at depth 256.
        text = element.text
        if text:
            parts.append(_escape_text(text) if element.tag in _ESCAPED_RAW_TEXT else text)
        for child in element:
            if isinstance(child.tag, str) and child not in skip:
                if child.tag in _BREAKING:
                    parts.append(" ")
                self._collect_text(child, parts, skip)
            # Comments and processing instructions carry no visible text, but what follows
            # them (their tail) is text of this element.
            tail = child.tail
            if tail:
                parts.append(tail)

    def _texts(self, element: Node) -> Iterator[str]:
        text = element.text
        if text:
            yield text
        for child in element:
            if isinstance(child.tag, str):
                yield from self._texts(child)
            if child.tail:
                yield child.tail

    # -- selectors ------------------------------------------------------------------------

    def select(self, selector: Selector, scope: Node | None = None) -> list[Node]:
        """soupsieve's ``select`` on the round-tripped page: the matches inside ``scope``
        (whole page when None) in document order; a template's contents are only searched
        when it is the scope."""
        candidates = self.candidates(selector) if scope is None else selector.within(scope)
        matches = [el for el in candidates if selector.matches(self, el)]
        if self._templates:
            matches = [el for el in matches if not self._in_template(el, scope)]
        return matches

    def select_any(self, selectors: SelectorList, scope: Node) -> list[Node]:
        """:meth:`select` for a selector list, inside ``scope``."""
        matches = [el for el in selectors.within(scope) if selectors.matches(self, el)]
        if self._templates:
            matches = [el for el in matches if not self._in_template(el, scope)]
        return matches

    @staticmethod
    def _in_template(element: Node, scope: Node | None) -> bool:
        for ancestor in element.iterancestors():
            if ancestor is scope:
                return False
            if ancestor.tag == "template":
                return True
        return False

    def candidates(self, selector: Selector) -> list[Node]:
        """Every element the selector's XPath finds on the whole page (a superset of its
        matches under either set of rules)."""
        found = self._candidates.get(selector)
        if found is None:
            found = self._candidates[selector] = selector.anywhere(self.root)
        return found

    def require_kept(self, selector: Selector, element: Node) -> None:
        """Raise Unsupported unless prune kept ``element`` whole: in ``<head>``, or matched by
        ``selector`` under cssselect's rules (prune's), so BeautifulSoup saw it as it is here."""
        # prune filters the children of the root even when a selector matches it.
        if element is not self.root and selector.kept_by_prune(self, element):
            return
        head = self.head
        if head is None or not any(a is head for a in element.iterancestors()):
            raise Unsupported(f"{selector.css!r} matches an element prune would drop")

    def soupsieve_compound(self, element: Node, compound: _Compound) -> bool:
        tag = element.tag
        if not isinstance(tag, str) or (compound.tag is not None and tag != compound.tag):
            return False
        for wanted in compound.ids:
            if self.attr(element, "id") != wanted:
                return False
        if compound.classes:
            classes = nonwhitespace_re.findall(self.attr(element, "class") or "")
            if any(name not in classes for name in compound.classes):
                return False
        for test in compound.attributes:
            value = self.attr(element, test.name)
            if value is not None and (
                test.name in _ANY_TAG_LIST_ATTRIBUTES or test.name in _LIST_ATTRIBUTES.get(tag, ())
            ):
                value = " ".join(nonwhitespace_re.findall(value))
            if not test.soupsieve(value):
                return False
        return True

    @staticmethod
    def cssselect_compound(element: Node, compound: _Compound) -> bool:
        tag = element.tag
        if not isinstance(tag, str) or (compound.tag is not None and tag != compound.tag):
            return False
        if any(element.get("id") != wanted for wanted in compound.ids):
            return False
        if compound.classes:
            raw = element.get("class")
            if raw is None:
                return False
            classes = _XPATH_WS.split(raw)
            if any(_CSS_WS.search(n) or n not in classes for n in compound.classes):
                return False
        return all(test.cssselect(element.get(test.name)) for test in compound.attributes)


def _escape_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- parsers.html's page-level lookups ----------------------------------------------------


def _compiled(css: str) -> Selector:
    selector = compile_selector(css)
    if selector is None:  # pragma: no cover - fixed selectors, covered by the tests
        raise RuntimeError(f"cannot compile {css!r}")
    return selector


_CANONICAL_LINK = _compiled("link[rel~=canonical][href]")
_OG_URL = _compiled("meta[property='og:url']")
_PUBLISHED_META = tuple(_compiled(css) for css in PUBLISHED_META)


def canonical_url(page: Page, base_url: str, removed: AbstractSet[Node] = frozenset()) -> str:
    """parsers.html.canonical_url, on a page from which the elements in ``removed`` are gone."""
    head = page.head if page.head is not None and page.head not in removed else None
    candidates: list[str | None] = []
    for selector, name in ((_CANONICAL_LINK, "href"), (_OG_URL, "content")):
        for element in page.select(selector, head):
            if element in removed:
                continue
            if head is None:
                page.require_kept(selector, element)
            candidates.append(page.attr_str(element, name))
    for candidate in candidates:
        if candidate and (absolute := resolve_link(base_url, candidate)):
            return absolute.split("#", 1)[0]
    return base_url.split("#", 1)[0]


def find_published(page: Page, default_tz: tzinfo = UTC) -> datetime | None:
    """parsers.html.find_published."""
    scopes = (page.head, None) if page.head is not None else (None,)
    for scope in scopes:
        for selector in _PUBLISHED_META:
            for meta in page.select(selector, scope):
                if scope is None:
                    page.require_kept(selector, meta)
                if value := parse_date(page.attr_str(meta, "content"), default_tz):
                    return value
    # Every <time> is kept by prune ("time" is among the selectors it keeps).
    for time_tag in page.root.iter("time"):
        if time_tag.get("datetime") is not None and (
            value := parse_date(page.attr_str(time_tag, "datetime"), default_tz)
        ):
            return value
    return None
