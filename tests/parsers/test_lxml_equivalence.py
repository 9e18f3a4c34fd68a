"""The lxml extraction path gives exactly what the BeautifulSoup path gives.

``extract_article`` (lxml, what every outlet parser runs) is compared with
``extract_article_bs4`` (BeautifulSoup on the pruned page, what they ran before) on every
HTML fixture, on bench pages, on hand-written pages around each difference between the two
ways of reading a page, and on random and randomly mutated pages. Equal means the same
ParsedArticle (url, title, text, published, authors) or the same exception type and message.

Where ``fast`` is asserted, the lxml path must answer by itself; elsewhere it may hand the
page to the BeautifulSoup path (``Unsupported``), which is then equal by construction. Set
``TRADEWATCH_FUZZ_EXAMPLES`` for longer random runs (as for tests/fuzz).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bench.site import render_article
from parsers import PARSERS, dailynk, kcnawatch, nknews, thirtyeightnorth, yonhap
from parsers import profile as profile_module
from parsers.base import FetchedPage, ParsedArticle, ParseError, PaywallTeaser
from parsers.html import decode_html
from parsers.lxmlpage import Unsupported
from parsers.profile import SiteProfile, extract_article, extract_article_bs4
from tests.fuzzing import FUZZ
from tests.parsers.pagegen import PageGenerator
from tests.parsers.test_article_fixtures import CASES, FIXTURES, _load

OUTLETS: dict[str, SiteProfile] = {
    "38north": thirtyeightnorth.PROFILE,
    "dailynk": dailynk.PROFILE,
    "kcnawatch": kcnawatch.PROFILE,
    "nknews": nknews.PROFILE,
    "yonhap": yonhap.PROFILE,
}
# The XML-declaration pages make BeautifulSoup warn that it parses XML as HTML, as it should.
pytestmark = pytest.mark.filterwarnings("ignore::bs4.XMLParsedAsHTMLWarning")
URL = "https://www.example.org/news/article-1#top"

Outcome = ParsedArticle | tuple[str, str]


def outcome_of(page: FetchedPage, profile: SiteProfile, *, reference: bool = False) -> Outcome:
    extract = extract_article_bs4 if reference else extract_article
    try:
        return extract(page, profile)
    except ParseError as exc:
        return type(exc).__name__, str(exc)


def fast_outcome(page: FetchedPage, profile: SiteProfile) -> Outcome | None:
    """The lxml path alone; None when it hands the page over."""
    html = decode_html(page.body, page.content_type)
    try:
        return profile_module._extract_lxml(html, page.url, profile)
    except ParseError as exc:
        return type(exc).__name__, str(exc)
    except Unsupported:
        return None


def assert_same(page: FetchedPage, profile: SiteProfile, *, fast: bool | None = None) -> Outcome:
    """Both paths agree on ``page``; ``fast`` says whether the lxml path must (True) or must
    not (False) answer by itself. Returns the outcome."""
    expected = outcome_of(page, profile, reference=True)
    assert outcome_of(page, profile) == expected
    own = fast_outcome(page, profile)
    if own is not None:
        assert own == expected
    if fast is not None:
        assert (own is not None) == fast
    return expected


def html_page(html: str, *, url: str = URL) -> FetchedPage:
    return FetchedPage(url=url, body=html.encode("utf-8"), content_type="text/html; charset=utf-8")


def test_the_outlets_here_are_the_profile_parsers() -> None:
    assert set(OUTLETS) == set(PARSERS) - {"generic"}
    for name, profile in OUTLETS.items():
        assert sys.modules[type(PARSERS[name]).__module__].PROFILE is profile


# --- fixtures and bench pages ---------------------------------------------------------------

OUTLET_CASES = [case for case in CASES if case.parent.name in OUTLETS]


@pytest.mark.parametrize("case", OUTLET_CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_outlet_fixture_by_both_paths(case: Path) -> None:
    page, _expected = _load(case)
    profile = OUTLETS[case.parent.name]
    try:
        via_parser: Outcome = PARSERS[case.parent.name].parse(page)
    except ParseError as exc:
        via_parser = (type(exc).__name__, str(exc))
    assert via_parser == assert_same(page, profile, fast=True)


@pytest.mark.parametrize("name", sorted(OUTLETS))
@pytest.mark.parametrize(
    "case", sorted(FIXTURES.glob("*/*.html")), ids=lambda p: f"{p.parent.name}/{p.stem}"
)
def test_every_fixture_under_every_profile(case: Path, name: str) -> None:
    page = FetchedPage(url=URL, body=case.read_bytes(), content_type=None)
    assert_same(page, OUTLETS[name])


@pytest.mark.parametrize(("seed", "outlet"), [(1, 0), (3, 0), (7, 4)])
def test_bench_pages_by_both_paths(seed: int, outlet: int) -> None:
    base = "http://127.0.0.1:8000"
    for j in range(12):
        version = j % 3  # updated articles carry extra paragraphs
        body = render_article(seed, outlet, j, version, "2024-05-01T09:00:00+09:00", base)
        page = FetchedPage(url=f"{base}/o{outlet}/a{j}.html", body=body, content_type="text/html")
        assert isinstance(assert_same(page, dailynk.PROFILE, fast=True), ParsedArticle)


# --- hand-written pages: each difference between the two ways of reading a page -------------

HEAD = (
    '<meta charset="utf-8"><title>Page</title>'
    '<link rel="canonical" href="https://www.example.org/news/canonical/">'
    '<meta property="article:published_time" content="2025-03-04T10:20:00+09:00">'
)


def dnk(content: str, *, head: str = HEAD, title: str = "Headline", before: str = "") -> str:
    """A Daily NK page whose article body holds ``content``."""
    return (
        f"<!DOCTYPE html><html><head>{head}</head><body>{before}"
        f'<article><h1 class="entry-title">{title}</h1>'
        '<div class="td-post-author-name"><a href="/author/a">Kim Min-ji</a></div>'
        f'<div class="td-post-content">{content}</div></article></body></html>'
    )


def page_of(body: str, head: str = "") -> str:
    return f"<html><head>{head}</head><body>{body}</body></html>"


H1 = "<h1 class='entry-title'>T</h1>"


def dnk_body(inner: str) -> str:
    return f"<div class='td-post-content'>{inner}</div>"


def headless(body: str) -> str:
    """No <head> element at all: the page starts with body content."""
    return f"<div>lead</div>{body}"


def n38(body: str) -> str:
    return page_of(f"<article><h1 class='entry-title'>T</h1>{body}</article>")


def nkpro(body: str, attributes: str = "") -> str:
    return f"<html><body{attributes}><h1 class='entry-title'>Pro</h1>{body}</body></html>"


OG_CR = "<meta property='og:title' content='A&#13;B\r\nC'>"
AUTHORS = "<meta name='author' content='By Ann Lee, Bo Kim and Cy &amp; Dee'>"
YONHAP = (
    "<div class='article-hd'><h1 class='tit'>(LEAD) N. Korea (2nd LD) says</h1></div>"
    "<p class='update-time' data-published-time='2025-01-30 09:00'>x</p>"
    "<article class='story-news'><p>Text.</p><p>(END)</p></article>"
)
BYLINE = (
    "<div class='article__byline'>By <a rel='author' href='/a'>Ann Lee</a> and "
    "<a rel='x author' href='/b'>Bo Kim</a></div>"
)
KCNA = (
    "<article><div class='article-header'><h1>T</h1>"
    "<span class='article-source'>Rodong Sinmun</span><time>2025-03-04 10:20</time></div>"
    "<div class='article-content'><p>Text</p><p>Source: KCNA</p></div></article>"
)

# (id, outlet, page, whether the lxml path answers by itself)
SNIPPETS: list[tuple[str, str, str, bool]] = [
    ("plain", "dailynk", dnk("<p>One.</p><p>Two.</p>"), True),
    (
        "tail-after-dropped",
        "dailynk",
        dnk("<p>Before <span class='td-a-rec'>AD</span> after</p>"),
        True,
    ),
    ("tail-after-dropped-block", "dailynk", dnk("<figure>img</figure>Loose<p>Para</p>"), True),
    ("tail-after-script", "dailynk", dnk("<p>a<script>var x = 1;</script>b</p>"), True),
    ("dropped-inside-dropped", "dailynk", dnk("<aside><form>x</form>y</aside>z<p>P</p>"), True),
    ("nested-blocks", "dailynk", dnk("<ul><li><p>One</p><p>Two</p></li><li>Three</li></ul>"), True),
    ("li-in-p", "dailynk", dnk("<p>Intro <span><li>inner</li></span> outro</p>"), True),
    (
        "dropped-outer-block",
        "dailynk",
        dnk("<div class='td-a-rec'><p>ad</p></div><p>Real</p>"),
        True,
    ),
    ("br", "dailynk", dnk("<p>Line one<br>line two<br/>three</p><h2>Part<br>two</h2>"), True),
    ("br-title", "dailynk", dnk("<p>x</p>", title="One:<br>part <em>two</em>, <a>end</a>."), True),
    (
        "entities",
        "dailynk",
        dnk("<p>A &amp; B &lt;t&gt; &quot;q&quot; &#8217; &copy; &foo; &#0;</p>"),
        True,
    ),
    ("nbsp", "dailynk", dnk("<p>&nbsp;</p><p>\xa0x&nbsp;&nbsp;y\xa0</p><p>&#160;</p>"), True),
    (
        "comments",
        "dailynk",
        dnk("<p>a<!-- hidden -->b</p><p><!-- only --></p><p><!--c-->L</p>"),
        True,
    ),
    ("cdata-pi", "dailynk", dnk("<p>a<![CDATA[x]]>b<?php echo 1 ?>c</p>"), True),
    ("inline-joins", "dailynk", dnk("<p><a href='#'>link</a>, <b>bold</b>.<sup>1</sup></p>"), True),
    ("whitespace-runs", "dailynk", dnk("<p>  a \n\t b  </p>\n\n<p>\r\nc\r</p>"), True),
    ("upper-case-tags", "dailynk", dnk("<P>Upper</P><LI CLASS='TD-A-REC'>class case</LI>"), True),
    (
        "stop-phrase",
        "dailynk",
        dnk("<p>Body.</p><p>Please direct any comments or questions.</p>"),
        True,
    ),
    ("raw-text-escaped", "dailynk", dnk("<li>a<xmp>x &amp; <b>y</b></xmp>b</li><p>P</p>"), True),
    (
        "raw-text-noembed",
        "dailynk",
        dnk("<li><noembed>x&amp;y<i>z</i></noembed></li><li><noframes>&lt;</noframes></li>"),
        True,
    ),
    (
        "textarea-title",
        "dailynk",
        dnk("<p>t<textarea>\n\na&amp;b</textarea>u<title>&lt;x</title></p>"),
        True,
    ),
    (
        "template-in-body",
        "dailynk",
        dnk("<template><p>in</p><div class='td-a-rec'>t</div></template><p>After</p>"),
        True,
    ),
    (
        "body-inside-template",
        "dailynk",
        page_of(H1 + "<template>" + dnk_body("<p>x</p>") + "</template>"),
        True,
    ),
    ("body-in-li", "dailynk", page_of(H1 + "<ul><li>" + dnk_body("<p>x</p>") + "</li></ul>"), True),
    ("empty-body", "dailynk", dnk("<div class='td-a-rec'>only an ad</div>"), True),
    ("no-body", "dailynk", page_of(H1 + "<p>x</p>"), False),
    ("no-title", "dailynk", page_of(dnk_body("<p>x</p>")), True),
    (
        "empty-title-meta",
        "dailynk",
        page_of(dnk_body("<p>x</p>"), "<meta property='og:title' content=' '>"),
        True,
    ),
    ("title-from-meta-with-cr", "dailynk", page_of(dnk_body("<p>x</p>"), OG_CR), True),
    ("empty-document", "dailynk", "", False),
    ("whitespace-document", "dailynk", " \n ", False),
    ("author-meta", "dailynk", page_of(H1 + dnk_body("<p>x</p>"), AUTHORS), True),
    (
        "author-in-body-meta",
        "dailynk",
        page_of(H1 + "<meta name='author' content='Ann'>" + dnk_body("<p>x</p>")),
        True,
    ),
    (
        "date-from-time",
        "dailynk",
        dnk("<p>x</p>", head="", before="<time datetime='2024-02-03T04:05'>x</time>"),
        True,
    ),
    (
        "date-from-text",
        "dailynk",
        dnk("<p>x</p>", head="", before="<span class='td-post-date'>March 4, 2025 10:20 PM</span>"),
        True,
    ),
    (
        "date-cr",
        "dailynk",
        dnk("<p>x</p>", head="<meta property='article:published_time' content='&#13;2024-02-03'>"),
        True,
    ),
    (
        "canonical-escaped",
        "dailynk",
        dnk("<p>x</p>", head="<link rel='canonical' href=' /a b/ü?q=1&amp;r=ü#f'>"),
        True,
    ),
    (
        "canonical-cr",
        "dailynk",
        dnk("<p>x</p>", head="<link rel='canonical' href='&#13;/y\t'>"),
        True,
    ),
    (
        "canonical-rel-case",
        "dailynk",
        dnk("<p>x</p>", head="<link rel='Canonical Alternate' href='/c'>"),
        True,
    ),
    (
        "canonical-rel-nbsp",
        "dailynk",
        dnk("<p>x</p>", head="<link rel='x\xa0canonical' href='/c'>"),
        True,
    ),
    (
        "og-url",
        "dailynk",
        dnk("<p>x</p>", head="<meta property='og:url' content='/og/url\r'>"),
        True,
    ),
    (
        "canonical-unparsable",
        "dailynk",
        dnk(
            "<p>x</p>",
            head="<link rel=canonical href='h://['><meta property='og:url' content='/ok'>",
        ),
        True,
    ),
    (
        "headless-canonical",
        "dailynk",
        headless("<link rel=canonical href='/in-body'>" + H1 + dnk_body("<p>x</p>")),
        True,
    ),
    (
        "headless-canonical-dropped",
        "dailynk",
        headless(H1 + dnk_body("<form><link rel=canonical href='/dropped'></form><p>x</p>")),
        True,
    ),
    (
        "headless-og-url-dropped",
        "dailynk",
        headless(
            H1 + dnk_body("<aside><meta property='og:url' content='/dropped'></aside><p>x</p>")
        ),
        True,
    ),
    (
        "class-form-feed",
        "dailynk",
        dnk("<p>x</p><div class='x\x0ctd-a-rec'>not an ad to cssselect</div>"),
        True,
    ),
    # soupsieve reads these classes, prune's cssselect does not: BeautifulSoup never saw them.
    (
        "body-class-nbsp",
        "dailynk",
        page_of(
            H1
            + "<div class='x\xa0td-post-content'><p>a</p></div>"
            + "<div class='entry-content'><p>b</p></div>"
        ),
        False,
    ),
    (
        "title-class-em-space",
        "dailynk",
        page_of(
            "<h1 class='entry-title\u2003x'>T1</h1><article><h1>T2</h1></article>"
            + dnk_body("<p>a</p>")
        ),
        False,
    ),
    (
        "root-matches-body",
        "dailynk",
        "<html class='td-post-content'><body>" + H1 + "<p>a</p></body></html>",
        False,
    ),
    (
        "empty-li-then-text",
        "dailynk",
        dnk("<ul><li></li>absorbed when parsed again</ul><p>x</p>"),
        False,
    ),
    ("empty-li-then-li", "dailynk", dnk("<ul><li></li>\n<li>b</li></ul><p>x</p>"), True),
    ("plaintext", "dailynk", dnk("<p>x</p><plaintext>rest <b>is</b> text"), False),
    ("braced-attribute", "dailynk", dnk("<p>x</p><div {x}class='td-a-rec'>y</div>"), False),
    ("braced-in-script-only", "dailynk", dnk("<p>x</p><script>if (a) {b}</script>"), True),
    (
        "xml-declaration",
        "dailynk",
        '<?xml version="1.0" encoding="utf-8"?>' + dnk("<p>x</p>"),
        False,
    ),
    ("xml-declaration-no-encoding", "dailynk", '<?xml version="1.0"?>' + dnk("<p>x</p>"), True),
    ("bom", "dailynk", "\ufeff" + dnk("<p>x</p>"), True),
    ("double-bom", "dailynk", "\ufeff\ufeff" + dnk("<p>x</p>"), True),
    ("deep-nesting", "dailynk", dnk("<div>" * 400 + "<p>deep</p>"), True),
    ("yonhap-title-strip", "yonhap", page_of(YONHAP), True),
    (
        "nknews-paywall",
        "nknews",
        nkpro("<div class='entry-content'><p>Teaser</p><div class='nkpro-paywall'>Pay</div></div>"),
        True,
    ),
    (
        "nknews-paywall-body-class",
        "nknews",
        nkpro("<div class='entry-content'><p>Teaser</p></div>", " class='single nk-pro-locked'"),
        True,
    ),
    (
        "nknews-paywall-attribute",
        "nknews",
        nkpro("<div class='entry-content' data-paywall><p>Teaser</p></div>"),
        True,
    ),
    (
        "38north-byline",
        "38north",
        n38(
            BYLINE
            + "<div class='entry-content'><p>Text</p><div class='footnotes'><p>[1]</p></div></div>"
        ),
        True,
    ),
    # rel is compared without case by soupsieve, with case by prune's cssselect.
    (
        "38north-byline-rel-case",
        "38north",
        n38(
            "<div class='article__byline'><a rel='AUTHOR'>Ann</a></div>"
            "<div class='entry-content'><p>Text</p></div>"
        ),
        False,
    ),
    ("kcnawatch-source", "kcnawatch", page_of(KCNA), True),
]


@pytest.mark.parametrize(
    ("outlet", "html", "fast"),
    [pytest.param(outlet, html, fast, id=name) for name, outlet, html, fast in SNIPPETS],
)
def test_hand_written_page(outlet: str, html: str, fast: bool) -> None:
    assert_same(html_page(html), OUTLETS[outlet], fast=fast)
    for profile in OUTLETS.values():
        assert_same(html_page(html), profile)


def test_the_hand_written_pages_reach_the_outcomes_they_are_about() -> None:
    results = {
        name: outcome_of(html_page(html), OUTLETS[outlet]) for name, outlet, html, _ in SNIPPETS
    }
    assert results["empty-body"] == (
        "ParseError",
        "article body is empty for 'Headline'",
    )
    assert results["no-title"] == ("ParseError", "no title found")
    assert results["no-body"] == ("ParseError", "no article body found for 'T'")
    for name in ("nknews-paywall", "nknews-paywall-body-class", "nknews-paywall-attribute"):
        raised = results[name]
        assert isinstance(raised, tuple) and raised[0] == PaywallTeaser.__name__
    tail = results["tail-after-dropped"]
    assert isinstance(tail, ParsedArticle) and tail.text == "Before after"
    loose = results["tail-after-dropped-block"]
    assert isinstance(loose, ParsedArticle) and loose.text == "Para"
    nested = results["nested-blocks"]
    assert isinstance(nested, ParsedArticle) and nested.text == "One Two\n\nThree"
    escaped = results["raw-text-escaped"]
    assert isinstance(escaped, ParsedArticle)
    assert escaped.text.startswith("ax &amp;amp; &lt;b&gt;y&lt;/b&gt;b")  # as BeautifulSoup saw it
    url = results["canonical-escaped"]
    assert (
        isinstance(url, ParsedArticle)
        and url.url == "https://www.example.org/a%20b/%C3%BC?q=1&r=%C3%BC"
    )
    assert isinstance(results["headless-canonical"], ParsedArticle)
    assert results["headless-canonical"].url == "https://www.example.org/in-body"
    for name in ("headless-canonical-dropped", "headless-og-url-dropped"):
        dropped = results[name]
        assert isinstance(dropped, ParsedArticle) and dropped.url == URL.split("#")[0]
    unparsable = results["canonical-unparsable"]
    assert isinstance(unparsable, ParsedArticle) and unparsable.url == "https://www.example.org/ok"
    cr = results["title-from-meta-with-cr"]
    assert isinstance(cr, ParsedArticle) and cr.title == "A\nB\nC"  # CR read back as LF
    strip = results["yonhap-title-strip"]
    assert isinstance(strip, ParsedArticle) and strip.title == "N. Korea says"


# --- random pages -------------------------------------------------------------------------------

GENERATED_PROFILES = [OUTLETS[name] for name in sorted(OUTLETS)]


@FUZZ
@given(rng=st.randoms(use_true_random=False))
def test_generated_pages_by_both_paths(rng: random.Random) -> None:
    profile, html = PageGenerator(rng, GENERATED_PROFILES).page()
    assert_same(html_page(html), profile)


SEEDS = [
    *sorted(FIXTURES.glob("*/*.html")),
]
INSERTS = [
    *(b"<", b">", b"&", b"]]>", b"<!--", b"-->", b"\x00", b"\xff", b"\r", b"\x0c", b"{"),
    *(b"<p>", b"</p>", b"<li>", b"</li>", b"<ul>", b"<br>", b"<li></li>", b"<![CDATA[", b"<?"),
    *(b"&nbsp;", b"&#13;", b"\xc2\xa0", b"\xef\xbb\xbf", b"<template>", b"</template>"),
    *(b"<table>", b"<svg>", b"<plaintext>", b"<xmp>", b"<noembed>", b"<textarea>", b"<title>"),
    *(b"</body>", b"</html>", b"<html>", b"<head>", b"<!DOCTYPE html>", b"</div>", b"<div>"),
    *(b"<h1>", b"</h1>", b"<figure>", b"</figure>", b"<form>", b"<script>", b"<iframe>"),
    *(b" class='entry-content'", b" class='td-post-content'", b" class='td-a-rec'"),
    *(b"<time datetime='2020-01-01'>", b"<link rel=canonical href=' /x y'>", b"\xe3\x80\x80"),
    *(b"<meta property='og:url' content='/a\r'>", b"<p class=nkpro-paywall>x</p>"),
]


@st.composite
def mutated_pages(draw: st.DrawFn) -> tuple[str, bytes]:
    """An outlet name and a fixture (or bench page) with random edits, perhaps cut short."""
    source = draw(st.sampled_from([*SEEDS, None]))
    if source is None:
        name = "dailynk"
        data = bytearray(render_article(5, 0, 3, 1, "2024-05-01T09:00:00Z", "http://x"))
    else:
        name = source.parent.name if source.parent.name in OUTLETS else "dailynk"
        data = bytearray(source.read_bytes())
    for _ in range(draw(st.integers(0, 10))):
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        op = draw(st.sampled_from(["flip", "insert", "insert", "delete"]))
        if op == "flip" and data:
            data[pos] = draw(st.integers(0, 255))
        elif op == "insert":
            data[pos:pos] = draw(st.sampled_from(INSERTS))
        elif data:
            del data[pos]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return draw(st.sampled_from([name, *sorted(OUTLETS)])), bytes(data)


@FUZZ
@given(case=mutated_pages(), content_type=st.sampled_from([None, "text/html; charset=euc-kr"]))
def test_mutated_pages_by_both_paths(case: tuple[str, bytes], content_type: str | None) -> None:
    name, body = case
    assert_same(FetchedPage(url=URL, body=body, content_type=content_type), OUTLETS[name])
