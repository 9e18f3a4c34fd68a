"""parsers.lxmlpage reads each element as BeautifulSoup reads it after prune's round trip.

The reference for every element of a page: serialise the lxml tree as prune does
(``lxml.html.tostring``), parse that with BeautifulSoup, and read it with parsers.html's
helpers and soupsieve. The libxml2 behaviours the module copies (URI escaping, boolean
attributes, raw-text escaping, the empty ``<li>``) are checked here one by one, so that an
lxml upgrade that changes one fails a test that names it.
"""

from __future__ import annotations

import random

import lxml.etree  # type: ignore[import-untyped]
import lxml.html  # type: ignore[import-untyped]
import pytest
from bs4 import BeautifulSoup, Tag
from bs4.builder import HTMLTreeBuilder
from hypothesis import given
from hypothesis import strategies as st
from lxml.cssselect import CSSSelector  # type: ignore[import-untyped]

from parsers import dailynk, kcnawatch, nknews, thirtyeightnorth, yonhap
from parsers.html import PUBLISHED_META, attr_str, make_soup, text_of
from parsers.lxmlpage import Page, Unsupported, compile_selector
from parsers.profile import COMMON_DROP, SiteProfile
from tests.fuzzing import FUZZ
from tests.parsers.pagegen import PageGenerator

# The XML-declaration pages make BeautifulSoup warn that it parses XML as HTML, as it should.
pytestmark = pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning")
PROFILES: list[SiteProfile] = [
    m.PROFILE for m in (dailynk, kcnawatch, nknews, thirtyeightnorth, yonhap)
]
SELECTORS = sorted(
    {
        css
        for p in PROFILES
        for group in (p.title, p.body, p.authors, p.published, p.paywall, p.drop)
        for css in group
    }
    | set(COMMON_DROP)
    | set(PUBLISHED_META)
    | {"link[rel~=canonical][href]", "meta[property='og:url']", "time", "li", "p"}
    | {"[rel~=author]", "a[href^='/a']", "[class|=entry]", "[name$=or]", "[content*=Jane]"}
    | {"div > p", "article p", "#selected", "*.x", "template p", "[rel=canonical]", "a[rel]"}
    | {"* p", "div > * li", "* > html", "* html", "body *", "p *"}
    | {"[href='/a%20b/%C3%BC']", "[selected='']", "[selected=selected]", "[name='x%20y']"}
)
TAGS = [
    *("a", "abbr", "address", "area", "article", "aside", "audio", "b", "base"),
    *("basefont", "bdo", "big", "blockquote", "br", "button", "canvas", "caption", "center"),
    *("cite", "code", "col", "colgroup", "dd", "del", "details", "dfn", "dir"),
    *("div", "dl", "dt", "em", "embed", "fieldset", "figcaption", "figure", "font"),
    *("footer", "form", "frame", "frameset", "h1", "h2", "h3", "h4", "h5"),
    *("h6", "header", "hr", "i", "iframe", "img", "input", "ins", "isindex"),
    *("kbd", "label", "legend", "li", "link", "listing", "main", "map", "mark"),
    *("menu", "meta", "nav", "nobr", "noembed", "noframes", "noscript", "object", "ol"),
    *("optgroup", "option", "p", "param", "pre", "q", "rp", "rt", "ruby"),
    *("s", "samp", "script", "section", "select", "small", "source", "span", "strike"),
    *("strong", "style", "sub", "summary", "sup", "table", "tbody", "td", "template"),
    *("textarea", "tfoot", "th", "thead", "time", "title", "tr", "tt", "u"),
    *("ul", "var", "video", "wbr", "xmp", "custom-tag"),
]


def round_trip(html: str) -> BeautifulSoup:
    """What the BeautifulSoup path parses when prune keeps everything."""
    root = lxml.html.document_fromstring(html)
    return make_soup(lxml.html.tostring(root, encoding="unicode", method="html"))


def elements(page: Page) -> list[object]:
    return [el for el in page.root.iter() if isinstance(el.tag, str)]


def compare_page(html: str) -> None:
    """Every element of ``html`` read by Page and by BeautifulSoup on the round trip."""
    try:
        page = Page(html)
    except Unsupported:
        return
    soup = round_trip(html)
    ours, theirs = elements(page), soup.find_all(True)
    assert [el.tag for el in ours] == [tag.name for tag in theirs]  # type: ignore[attr-defined]
    for el, tag in zip(ours, theirs, strict=True):
        assert page.text(el) == text_of(tag)
        assert page.has_text(el) == bool(text_of(tag))
        names = set(el.attrib) | set(tag.attrs)  # type: ignore[attr-defined]
        for name in names:
            assert page.attr_str(el, name) == attr_str(tag, name), name
    position = {id(tag): i for i, tag in enumerate(theirs)}
    for css in SELECTORS:
        selector = compile_selector(css)
        assert selector is not None, css
        found = [ours.index(el) for el in page.select(selector)]
        assert found == [position[id(tag)] for tag in soup.select(css)], css
        pruned = {ours.index(el) for el in CSSSelector(css, translator="html")(page.root)}
        assert {i for i, el in enumerate(ours) if selector.kept_by_prune(page, el)} == pruned
    for scope in (page.head, *page.root.iter("article", "template")):
        if scope is None:
            continue
        tag = theirs[ours.index(scope)]
        assert isinstance(tag, Tag)
        for css in SELECTORS:
            selector = compile_selector(css)
            assert selector is not None
            found = [ours.index(el) for el in page.select(selector, scope)]
            assert found == [position[id(t)] for t in tag.select(css)], css


@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_random_pages_read_element_by_element_as_beautifulsoup(rng: random.Random) -> None:
    _, html = PageGenerator(rng, PROFILES).page()
    compare_page(html)


@pytest.mark.parametrize(
    "html",
    [
        "<p class='a\xa0b'>x</p><p class='a\x0cb c'>y</p><p class='\u3000b'>z</p>",
        "<link rel='Canonical' href='/x'><a rel='x\tAUTHOR' href=' /a b/ü'>n</a>",
        "<a name='x y'>a</a><meta name='x y' content='c'><img src='\x01 y'><form action='ü'>",
        "<div selected='Yes' checked disabled=disabled class='x'>x</div>",
        "<p>a&#13;b</p><div content='A&#13;B\r\nC' class='a&#13;b'>x</div>",
        "<li>a<xmp>&amp;<b></xmp><iframe>&lt;</iframe><noembed>&</noembed><noframes>></noframes>",
        "<template><p class=x>in</p><template><p>deeper</p></template></template><p>out</p>",
        "<article><template><div class='entry-content'><p>t</p></div></template></article>",
        "<ul><li></li>\n<li>b</li><li></li></ul>",
        "<p>a<!--c-->b<?pi x?>c<![CDATA[d]]>e</p><br>f<hr>g",
    ],
)
def test_tricky_pages_read_element_by_element_as_beautifulsoup(html: str) -> None:
    compare_page(f"<html><head></head><body>{html}</body></html>")


# --- the libxml2 behaviours copied, one by one ---------------------------------------------


def parsed_element(tag: str, name: str, value: str) -> tuple[Page, object]:
    """A page holding one ``tag`` element whose ``name`` attribute is ``value`` (parsed from
    markup: lxml's API refuses control characters that its parser lets through)."""
    source = value.replace("&", "&amp;").replace('"', "&quot;").replace("\r", "&#13;")
    page = Page(f'<html><body><{tag} data-t="" {name}="{source}"></{tag}></body></html>')
    return page, next(el for el in page.root.iter() if el.get("data-t") is not None)


def multi_valued(tag: str, name: str) -> bool:
    """BeautifulSoup splits the value into a list (and attr_str joins it again)."""
    lists = HTMLTreeBuilder.DEFAULT_CDATA_LIST_ATTRIBUTES
    return name in lists.get("*", set()) or name in lists.get(tag, set())


def serialised_attribute(tag: str, name: str, value: str) -> str | None:
    """``name`` of a ``tag`` element after lxml.html.tostring and a BeautifulSoup parse."""
    page, _ = parsed_element(tag, name, value)
    found = make_soup(lxml.html.tostring(page.root, encoding="unicode")).find(
        None, {"data-t": True}
    )
    assert isinstance(found, Tag)
    raw = found.get(name)
    return attr_str(found, name) if multi_valued(tag, name) else raw  # type: ignore[return-value]


def page_attribute(tag: str, name: str, value: str) -> str | None:
    page, element = parsed_element(tag, name, value)
    if multi_valued(tag, name):
        return page.attr_str(element, name)
    return page.attr(element, name)


# Every character lxml accepts in an attribute value, a few thousand of them.
CHARACTERS = [
    chr(c)
    for c in [*range(0x20, 0x3000), *range(0xE000, 0x10000, 7), *range(0x10000, 0x110000, 997)]
    if chr(c).isprintable() or chr(c) in "\t\n\r" or 0x7F <= c <= 0x9F
]


@pytest.mark.parametrize(("tag", "name"), [("link", "href"), ("img", "src"), ("a", "name")])
def test_uri_attributes_are_escaped_as_libxml2_escapes_them(tag: str, name: str) -> None:
    for value in ["".join(CHARACTERS[i : i + 40]) for i in range(0, len(CHARACTERS), 40)]:
        assert page_attribute(tag, name, value) == serialised_attribute(tag, name, value)
    for value in (" \t\n\r /x y", "   ", "", "a\x01b", "\x7f", "%41 ü"):
        assert page_attribute(tag, name, value) == serialised_attribute(tag, name, value)


@pytest.mark.parametrize("tag", TAGS)
def test_which_attributes_change_in_the_round_trip(tag: str) -> None:
    names = [
        *("href", "src", "action", "name", "content", "class", "rel", "datetime", "id"),
        *("checked", "compact", "declare", "defer", "disabled", "ismap", "multiple", "nohref"),
        *("noresize", "noshade", "nowrap", "readonly", "selected", "hidden", "async"),
    ]
    for name in names:
        for value in ("a b", "x\r\ny\rz", " ü "):
            assert page_attribute(tag, name, value) == serialised_attribute(tag, name, value)


@pytest.mark.parametrize("tag", TAGS)
def test_which_texts_change_in_the_round_trip(tag: str) -> None:
    html = f"<body><div id=w><{tag}>a&amp;lt;&lt;b&gt;\"'<i>x</i></{tag}>tail</div>"
    page = Page(html)
    if page.root.find(".//plaintext") is not None:  # pragma: no cover - Page refuses those
        return
    ours = page.text(page.root.find(".//div"))
    assert ours == text_of(round_trip(html).find(id="w"))  # type: ignore[arg-type]


def test_only_an_empty_li_loses_its_end_tag_and_only_li_ends_it() -> None:
    parser = lxml.etree.HTMLParser()
    without_end = []
    for tag in TAGS:
        root = lxml.etree.fromstring("<body><div id=w>x</div>", parser)
        lxml.etree.SubElement(root.find(".//div"), tag)
        if f"</{tag}>" not in lxml.html.tostring(root, encoding="unicode"):
            without_end.append(tag)
    void = {"area", "base", "basefont", "br", "col", "frame", "hr", "img", "input", "isindex"}
    assert set(without_end) == void | {"link", "meta", "param", "li"}
    closers = []
    for tag in TAGS:
        root = lxml.etree.fromstring("<body><ul id=w></ul>", parser)
        ul = root.find(".//ul")
        lxml.etree.SubElement(ul, "li")
        lxml.etree.SubElement(ul, tag, {"id": "next"})
        again = lxml.etree.fromstring(lxml.html.tostring(root, encoding="unicode"), parser)
        found = again.find(".//*[@id='next']")
        if found is not None and found.getparent().tag != "li":
            closers.append(tag)
    assert closers == ["li"]


@pytest.mark.parametrize(
    ("html", "readable"),
    [
        ("<ul><li></li><li>b</li></ul>", True),
        ("<ul><li></li>\n <!-- c --> <li>b</li></ul>", True),
        ("<ul><li></li></ul>", True),
        ("<ul><li></li>text</ul>", False),
        ("<ul><li></li><!-- c -->text<li>b</li></ul>", False),
        ("<div><li></li><p>b</p></div>", False),
        ("<ul><li></li><li>b</li><p>c</p></ul>", False),  # prune may drop the <li> between
    ],
)
def test_an_empty_li_is_read_only_when_the_round_trip_leaves_it_empty(
    html: str, readable: bool
) -> None:
    if readable:
        Page(html)
        compare_page(html)
    else:
        with pytest.raises(Unsupported, match="empty <li>"):
            Page(html)


# --- selectors --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "css",
    [
        "a:first-child",
        "h1 + p",
        "h1 ~ p",
        "a, b",
        "svg|a",
        "[a=b i]",
        "p::before",
        ":not(p)",
        "#\\31 23",
        "p.ü",
        "[a!=b]",
        "p:contains(x)",
        "h1[",
    ],
)
def test_selectors_outside_the_supported_part_of_css_are_refused(css: str) -> None:
    assert compile_selector(css) is None


def test_every_profile_selector_is_supported() -> None:
    for css in SELECTORS:
        assert compile_selector(css) is not None, css


@pytest.mark.parametrize(
    "html",
    [
        *("", "   ", "<?xml version='1.0' encoding='utf-8'?><p>x</p>", "<p>x<plaintext>y"),
        *("<p {a}b=c>", "<div a='p{q'{x}class='e'>t</div>", "<ul><li></li>text</ul>"),
    ],
)
def test_pages_this_cannot_read_exactly_are_refused(html: str) -> None:
    with pytest.raises(Unsupported):
        Page(html)


def test_a_brace_in_a_script_is_no_braced_attribute() -> None:
    Page("<script>if (a) {b} x = {c:1}</script><p data-x='{y}'>z</p>")
