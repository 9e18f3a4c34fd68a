"""Plain RSS 2.0 and Atom 1.0 feeds read with lxml exactly as feedparser reads them.

:func:`parsers.feed.parse_feed` reads seven things of each entry from feedparser: ``link``,
``id``, ``title``, ``summary`` and ``published_parsed`` / ``updated_parsed`` /
``created_parsed``. feedparser gets them from expat's SAX events through a Python handler
per element, which takes some 80 times what libxml2 takes to build the tree (2 ms against
25 µs for a 10-entry feed). :func:`read_plain_feed` reads the same values from lxml's tree
for documents where it can be sure they are the same, and answers None for any other, which
parse_feed then gives to feedparser. What "sure" takes:

* **The same document.** feedparser decodes the body as UTF-8 unless its XML declaration
  says otherwise, and parses it with expat. Here: UTF-8 only (as feedparser's own regex reads
  the declaration), no BOM, no DOCTYPE or entity declaration (feedparser rewrites those),
  nothing libxml2 so much as warns about, and ASCII element, attribute and processing
  instruction names (libxml2 allows XML 1.0 5th-edition name characters, expat only the
  4th edition's).
* **The same names.** feedparser names an element by a fixed prefix for the namespaces it
  knows (``content:encoded``, ``dc:date``; Atom and RSS namespaces have none), by the
  document's own prefix for namespaces it does not know, lowercased, then dispatches on that
  name. :class:`_Names` computes the same names, which needs prefixes declared on the root
  element only (a default namespace may be declared anywhere).
* **The same entries.** feedparser starts an entry at any ``<item>`` or ``<entry>``, at any
  depth; here they must all be children of ``<channel>`` (RSS) or ``<feed>`` (Atom).
* **The same fields.** Every element of an entry must be one this module reproduces (a field
  read as a direct child of the entry, see :class:`_EntryReader`), one whose feedparser
  handler was read and found not to touch those fields or the state they depend on
  (``_HARMLESS_*``), or one feedparser has no handler for and stores under a name the fields
  never use. Anything else (``xml:base``, Atom ``type="xhtml"``, markup or a comment inside a
  field, two titles or two summaries, ``media:title``, a date in a form not known to be
  parsed identically...) hands the document over.

Values then go through what feedparser's ``_FeedParserMixin.pop`` does to element text
(strip, resolve a link against an empty base, undo UTF-8 read as Latin-1, map C1 controls as
Windows-1252) and its RSS ``<link>`` fix-ups. tests/parsers/test_feed_equivalence.py compares
this module with feedparser on fixtures, bench and demo feeds and a generated corpus.
"""

from __future__ import annotations

import contextlib
import functools
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from feedparser.html import _cp1252
from feedparser.mixin import _FeedParserMixin
from feedparser.urls import _urljoin
from feedparser.util import FeedParserDict
from lxml import etree  # type: ignore[import-untyped]  # lxml ships no stubs here

__all__ = ["FeedEntry", "read_plain_feed"]

_ATOM = "http://www.w3.org/2005/Atom"
_RSS_VERSIONS = frozenset({"2.0", "0.91", "0.92"})
# feedparser's table of the namespaces it knows, keyed as its _matchnamespaces is.
_KNOWN_NAMESPACES: dict[str, str] = {
    uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()
}
_DEFAULT_NAMESPACE = re.compile(rb"""\sxmlns\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# Every element name feedparser has a handler for (its _start_<name> / _end_<name> methods).
_HANDLED = frozenset(
    name.split("_", 2)[2] for name in dir(_FeedParserMixin) if name.startswith(("_start_", "_end_"))
)
_HTML_TYPES = frozenset(_FeedParserMixin.html_types)
_CP1252 = str.maketrans(_cp1252)

_ENTRY = frozenset({"item", "entry"})
_TITLE = frozenset({"title", "dc_title"})
_SUMMARY = frozenset({"summary", "description", "dc_description"})
_CONTENT = frozenset({"content", "content_encoded"})
_ID = frozenset({"id", "guid"})
_PUBLISHED = frozenset({"published", "pubdate", "issued", "dcterms_issued"})
_UPDATED = frozenset({"updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified"})
_CREATED = frozenset({"created", "dcterms_created"})
_FIELDS = _TITLE | _SUMMARY | _CONTENT | _ID | _PUBLISHED | _UPDATED | _CREATED | {"link"}
# Text constructs whose type keeps feedparser from base64-decoding them or reading their
# children as markup (the values map_content_type turns into text/plain or text/html).
_TEXT_TYPES = frozenset({"text", "plain", "html", "text/plain", "text/html"})

# Handlers read in feedparser 6.0.14 that write only keys parse_feed never reads (tags,
# authors, enclosure links, media lists...) and leave no state behind: categories, people,
# enclosures, RSS <source>, rights, language, Media RSS thumbnails and credits. "Leaves" must
# have no children (a child of <rights> can flip it into XHTML mode); containers may hold
# more of the same.
_HARMLESS_LEAVES = frozenset(
    {
        *("category", "dc_subject", "media_category", "enclosure", "source"),
        *("dc_creator", "dc_author", "dc_publisher", "dc_contributor"),
        *("name", "email", "uri", "url", "homepage"),
        *("rights", "dc_rights", "language", "dc_language", "media_thumbnail", "media_credit"),
    }
)
_HARMLESS_CONTAINERS = frozenset({"author", "contributor", "media_content", "media_group"})
# Keys an element without a handler must not be stored under: what parse_feed reads, what
# feedparser's handlers read back from the entry, and FeedParserDict's aliases of either.
_RESERVED = frozenset(
    {
        *("link", "links", "id", "title", "summary", "content", "href", "guidislink"),
        *("published", "updated", "created", "expired", "category", "tags", "source"),
        *("author", "authors", "contributors", "publisher", "publishers", "image", "where"),
        *("enclosures", "license", "media_content", "media_thumbnail", "media_credit"),
        *("media_rating", "media_restriction", "media_license", "media_player", "language"),
        *FeedParserDict.keymap,
        *(
            alias
            for value in FeedParserDict.keymap.values()
            for alias in (value if isinstance(value, list) else [value])
        ),
    }
)

# feedparser's own pattern for the XML declaration's encoding (encodings.RE_XML_PI_ENCODING).
_XML_PI_ENCODING = re.compile(rb"^<\?.*encoding=['\"](.*?)['\"].*\?>")
_PI_TARGET = re.compile(r"[A-Za-z_][A-Za-z0-9._-]*")
# What feedparser does to the text of an RSS <link> (mixin.pop, "query variables in urls").
_BARE_ENTITY = re.compile("&([A-Za-z0-9_]+);")


class _Unsure(Exception):
    """feedparser might read this document differently: hand it over."""


@dataclass(frozen=True, slots=True)
class FeedEntry:
    """What parse_feed reads of one entry, as feedparser would give it (None: not set)."""

    link: str | None
    id: str | None
    title: str | None
    summary: str | None
    published: datetime | None
    updated: datetime | None
    created: datetime | None


def read_plain_feed(body: bytes, limit: int) -> list[FeedEntry] | None:
    """The first ``limit`` entries of a plain RSS 2.0 (0.91, 0.92) or Atom 1.0 feed, exactly
    as feedparser reads them; None when this module cannot be sure of that.

    ``body`` is what parse_feed hands feedparser: left-stripped, not cut.
    """
    try:
        return _read(body, limit)
    except _Unsure:
        return None


def _read(body: bytes, limit: int) -> list[FeedEntry]:
    root = _parse(body)
    names = _Names(root, body)
    container = _container(root, names)
    _check_document(root, container, names)
    entries: list[FeedEntry] = []
    for child in container:
        if len(entries) == limit:
            break
        if isinstance(child.tag, str) and names[child.tag] in _ENTRY:
            entries.append(_read_entry(child, names))
    return entries


def _parse(body: bytes) -> Any:
    if not body.startswith(b"<") or b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise _Unsure
    # feedparser decodes the body as its declaration says, UTF-8 if it says nothing, and
    # tries other encodings when that fails; libxml2 refuses every byte sequence Python's
    # UTF-8 codec refuses (tests check), so a UTF-8 document it parses is one feedparser reads
    # as UTF-8 too.
    declared = _XML_PI_ENCODING.match(body)
    if declared and declared.group(1).lower() != b"utf-8":
        raise _Unsure
    parser = etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, recover=False
    )
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        raise _Unsure from None
    if len(parser.error_log):  # e.g. version="1.1", which feedparser rewrites to 1.0
        raise _Unsure
    return root


class _Names(dict[str, str]):
    """Element tag (``{uri}local``) -> the name feedparser dispatches on (``dc_date``).

    feedparser (parsers/strict.py startElementNS, mixin.py unknown_starttag): a known
    namespace gives its fixed prefix ("" for Atom and RSS); an unknown one the first prefix
    the document bound it to, or none; the name is lowercased; a prefix the document bound to
    a known namespace is then replaced by that namespace's fixed prefix.
    """

    def __init__(self, root: Any, body: bytes) -> None:
        super().__init__()
        declared = {prefix: uri for prefix, uri in root.nsmap.items() if prefix is not None}
        # Prefixes bound below the root would change these tables midway through the document.
        if body.count(b"xmlns:") != len(declared):
            raise _Unsure
        self._fixed: dict[str, str] = {}  # feedparser's namespacemap
        self._own: dict[str, str] = {}  # unknown namespace -> the document's prefix
        taken: set[str] | None = None  # read from the body only if an unknown prefix needs it
        for prefix, uri in declared.items():
            if not prefix.isascii():
                raise _Unsure
            fixed = _known_prefix(uri)
            if fixed is not None:
                self._fixed[prefix] = fixed
                continue
            if uri in self._own:
                raise _Unsure  # which of its prefixes feedparser picks depends on dict order
            if taken is None:
                taken = _default_namespace_prefixes(body)
            if prefix.lower() in taken:
                # "content" bound to a URI feedparser does not know, and content's own
                # namespace declared as a default one somewhere: feedparser files that one
                # under the prefix in its table, and this one's elements lose their prefix
                raise _Unsure
            self._own[uri] = prefix

    def __missing__(self, tag: str) -> str:
        name = self._feedparser_tag(tag).lower()
        prefix, colon, local = name.partition(":")
        if not colon:
            prefix, local = "", name
        prefix = self._fixed.get(prefix, prefix)
        key = f"{prefix}_{local}" if prefix else local
        self[tag] = key
        return key

    def _feedparser_tag(self, tag: str) -> str:
        if not tag.startswith("{"):
            local = tag
            namespace = None
        else:
            namespace, _, local = tag[1:].partition("}")
        if not local.isascii():
            raise _Unsure
        if namespace is None:
            return local
        fixed = _known_prefix(namespace)
        if fixed:
            return f"{fixed.lower()}:{local}"
        if fixed is None and (own := self._own.get(namespace)):
            return f"{own}:{local}"
        return local


def _default_namespace_prefixes(body: bytes) -> set[str]:
    """The prefixes feedparser files the document's default namespaces under (those it
    knows), lowercased."""
    prefixes = set()
    for match in _DEFAULT_NAMESPACE.finditer(body):
        uri = (match.group(1) or match.group(2) or b"").decode("utf-8", "replace")
        fixed = _known_prefix(uri)
        if fixed:
            prefixes.add(fixed.lower())
    return prefixes


def _known_prefix(uri: str) -> str | None:
    """feedparser's fixed prefix for ``uri`` ("" for Atom and RSS), None if it does not know
    the namespace."""
    return _KNOWN_NAMESPACES.get(_userland(uri.lower()))


def _userland(lowered_uri: str) -> str:
    # feedparser reads every backend.userland.com/rss* namespace as one
    if "backend.userland.com/rss" in lowered_uri:
        return "http://backend.userland.com/rss"
    return lowered_uri


def _container(root: Any, names: _Names) -> Any:
    """``<channel>`` of an RSS 2.0 feed, or the root of an Atom 1.0 feed."""
    if root.tag == f"{{{_ATOM}}}feed":
        return root
    if root.tag != "rss" or root.get("version") not in _RSS_VERSIONS:
        raise _Unsure
    for child in root:
        if isinstance(child.tag, str) and names[child.tag] == "channel":
            return child  # items anywhere else are caught by _check_document
    raise _Unsure


def _check_document(root: Any, container: Any, names: _Names) -> None:
    """What holds for every node: names expat and libxml2 both accept, no ``xml:base``
    (feedparser resolves links against it), entries only where :func:`_read` looks."""
    for node in (*root.itersiblings(preceding=True), *root.itersiblings()):
        _check_special_node(node)
    for node in root.iter():
        tag = node.tag
        if not isinstance(tag, str):
            _check_special_node(node)
            continue
        if names[tag] in _ENTRY and node.getparent() is not container:
            raise _Unsure
        for attribute in node.keys():  # noqa: SIM118  # lxml's keys() is the cheap way
            local = attribute.rpartition("}")[2]
            if not local.isascii() or local.lower() == "base":
                raise _Unsure


def _check_special_node(node: Any) -> None:
    if node.tag is etree.Comment:
        return
    if node.tag is etree.PI and _PI_TARGET.fullmatch(node.target):
        return
    raise _Unsure


def _attributes(element: Any) -> dict[str, str]:
    """Attributes as feedparser's handlers see them (``attrs_d``): names lowercased, one in
    a namespace under ``prefix:name`` (``name`` if feedparser does not know the namespace)
    and again under ``name``; ``rel`` and ``type`` values lowercased."""
    attributes: dict[str, str] = {}
    for name, value in element.items():
        if name.startswith("{"):
            namespace, _, local = name[1:].partition("}")
            prefix = _KNOWN_NAMESPACES.get(namespace.lower(), "")
            keys = {(f"{prefix}:{local}" if prefix else local).lower(), local.lower()}
        else:
            keys = {name.lower()}
        for key in keys:
            if key in attributes:
                raise _Unsure  # feedparser keeps one of the two, by dict order
            attributes[key] = value.lower() if key in ("rel", "type") else value
    return attributes


def _read_entry(entry: Any, names: _Names) -> FeedEntry:
    # rdf:about, lastmod and href on an entry set its id, updated date or link
    if not set(_attributes(entry)) <= {"xml:lang", "lang"}:
        raise _Unsure
    reader = _EntryReader()
    for child in entry:
        tag = child.tag
        if not isinstance(tag, str):
            continue  # comments and processing instructions: feedparser sees neither
        key = names[tag]
        if key in _FIELDS:
            if len(child):
                raise _Unsure  # markup or a comment inside a field
            reader.read(key, child)
        else:
            _check_harmless(key, child, names)
    return reader.entry()


def _check_harmless(key: str, element: Any, names: _Names) -> None:
    if key in _HARMLESS_LEAVES:
        if len(element):
            raise _Unsure
        return
    if key not in _HARMLESS_CONTAINERS and not _without_handler(key):
        raise _Unsure
    for node in element.iterdescendants():
        if not isinstance(node.tag, str):
            continue
        inner = names[node.tag]
        if inner in _HARMLESS_LEAVES:
            if len(node):
                raise _Unsure
        elif inner not in _HARMLESS_CONTAINERS and not _without_handler(inner):
            raise _Unsure


def _without_handler(key: str) -> bool:
    # feedparser stores such an element's text (or attributes) under its name, nothing else
    return key not in _HANDLED and key not in _RESERVED and not key.endswith(("_parsed", "_detail"))


class _EntryReader:
    """The fields of one entry, element by element in document order, as feedparser's
    handlers set them (namespaces/_base.py)."""

    def __init__(self) -> None:
        self.link: str | None = None
        self.id: str | None = None
        self.title: str | None = None
        self.summary: str | None = None
        self.content: str | None = None
        self.published: datetime | None = None
        self.updated: datetime | None = None
        self.created: datetime | None = None

    def read(self, key: str, element: Any) -> None:
        text = element.text or ""
        if key in _PUBLISHED:
            self.published = _read_date(_value(text))
        elif key in _UPDATED:
            self.updated = _read_date(_value(text))
        elif key in _CREATED:
            self.created = _read_date(_value(text))
        elif key == "link":
            self._read_link(_attributes(element), text)
        elif key in _ID:
            self._read_id(_attributes(element), text)
        else:
            self._read_text_construct(key, _attributes(element), text)

    def _read_link(self, attributes: dict[str, str], text: str) -> None:
        # _start_link: an href (a url or uri attribute would take its place) is the link
        # when rel is alternate (the default) and the type HTML; without one, the text is.
        if "url" in attributes or "uri" in attributes:
            raise _Unsure
        if "href" in attributes:
            # (the default type is Atom's for rel="self", which is no alternate anyway)
            kind = _FeedParserMixin.map_content_type(attributes.get("type", "text/html"))
            if attributes.get("rel", "alternate") == "alternate" and kind in _HTML_TYPES:
                href = attributes["href"]
                self.link = _urljoin("", href) if ":///" in href else href
            return
        link = _value(text, resolve=True).replace("&amp;", "&")
        self.link = _BARE_ENTITY.sub(r"&\g<1>", link)

    def _read_id(self, attributes: dict[str, str], text: str) -> None:
        # _end_guid: a permalink guid (Atom ids too) is resolved like a link and becomes the
        # link unless the entry has one by then.
        permalink = attributes.get("ispermalink", "true") == "true"
        self.id = _value(text, resolve=permalink)
        if permalink and self.link is None:
            self.link = self.id

    def _read_text_construct(self, key: str, attributes: dict[str, str], text: str) -> None:
        if "mode" in attributes or attributes.get("type", "text") not in _TEXT_TYPES:
            raise _Unsure  # base64 or XHTML content
        value = _value(text)
        if key in _TITLE:
            if self.title is not None:
                raise _Unsure  # which title wins depends on depths and emptiness
            self.title = value
        elif key in _SUMMARY:
            if self.summary is not None:
                raise _Unsure  # a second summary is read as content
            self.summary = value
        else:
            if self.content is not None:
                raise _Unsure
            self.content = value

    def entry(self) -> FeedEntry:
        return FeedEntry(
            link=self.link,
            id=self.id,
            title=self.title,
            # _end_content copies text or HTML content into summary if there is none yet; a
            # summary element read later overwrites it.
            summary=self.summary if self.summary is not None else self.content,
            published=self.published,
            updated=self.updated,
            created=self.created,
        )


def _value(text: str, *, resolve: bool = False) -> str:
    """Element text as feedparser's pop() leaves it."""
    value = text.strip()
    # _urljoin("", value) only removes extra slashes after "scheme://"
    if resolve and ":///" in value:
        value = _urljoin("", value)
    if value.isascii():
        return value  # what follows changes only non-ASCII text
    # "people take data that is already utf-8, presume that it is iso-8859-1, and re-encode
    # it": feedparser undoes that on every value
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        value = value.encode("iso-8859-1").decode("utf-8")
    return value.translate(_CP1252)


# Dates in the forms feedparser's first two date handlers (W3C-DTF, then RFC 822) read, with
# an explicit zone, four-digit years and single spaces; tests/parsers/test_feed_equivalence.py
# compares these with feedparser's own _parse_date.
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}
_RFC822 = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun), )?([0-9]{1,2}) ([a-z]{3}) ([0-9]{4})"
    r" ([0-9]{2}):([0-9]{2})(?::([0-9]{2}))? ([+-][0-9]{4}|gmt|ut|utc|z)",
    re.ASCII | re.IGNORECASE,
)
_W3DTF = re.compile(
    r"([0-9]{4})-([0-9]{2})-([0-9]{2})t([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]+)?))?"
    r"(z|[+-][0-9]{2}:[0-9]{2})",
    re.ASCII | re.IGNORECASE,
)


@functools.lru_cache(maxsize=4096)  # a feed polled again repeats most of its dates
def _read_date(value: str) -> datetime | None:
    """A date as feedparser's _parse_date reads it, in UTC; raises _Unsure for a form it is
    not known to read the same way."""
    if not value:
        return None  # _parse_date("") is None
    if match := _W3DTF.fullmatch(value):
        year, month, day, hour, minute = (int(part) for part in match.group(1, 2, 3, 4, 5))
        # w3dtf.py: int(float(seconds)), so fractions are dropped
        second = int(float(match[6])) if match[6] else 0
        zone = match[7].lower()
        offset = _offset(zone, int(zone[1:3]), int(zone[4:6])) if zone != "z" else timedelta()
    elif (match := _RFC822.fullmatch(value)) and match[2].lower() in _MONTHS:
        month = _MONTHS[match[2].lower()]
        day, year, hour, minute = (int(part) for part in match.group(1, 3, 4, 5))
        second = int(match[6] or 0)
        zone = match[7].lower()
        named = zone in ("gmt", "ut", "utc", "z")  # 0 in rfc822.py, or unknown there: also 0
        offset = timedelta() if named else _offset(zone, int(zone[1:3]), int(zone[3:5]))
    else:
        raise _Unsure
    try:
        # feedparser's handler fails on these and lets the next one guess
        stamp = datetime(year, month, day, hour, minute, second)
        return (stamp - offset).replace(tzinfo=UTC)
    except (ValueError, OverflowError):
        raise _Unsure from None


def _offset(zone: str, hours: int, minutes: int) -> timedelta:
    sign = -1 if zone.startswith("-") else 1
    return timedelta(hours=sign * hours, minutes=sign * minutes)
