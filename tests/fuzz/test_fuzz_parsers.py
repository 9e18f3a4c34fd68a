"""Property-based fuzzing of everything that reads untrusted bytes or user files.

Only the documented exceptions may escape: ``ParseError`` (and its ``FeedMalformed``) from
parsers, ``ConfigError`` from the config loaders; the URL canonicaliser must not raise for any
URL a parser can hand it. Inputs are arbitrary bytes/text, and the fixture pages under
``tests/fixtures/`` with random byte mutations (flips, insertions, truncation).

The suite runs a few examples per test; ``TRADEWATCH_FUZZ_EXAMPLES=100000`` runs more.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from classify.baseline import load_baseline
from parsers import PARSERS
from parsers.base import FetchedPage, ParseError
from parsers.feed import parse_feed
from parsers.listing import parse_listing
from parsers.sitemap import parse_sitemap
from parsers.urls import canonicalize_url
from tests.fuzzing import FUZZ
from tradewatch.configfile import ConfigError
from tradewatch.settings import DEFAULT_BASELINE_FILE, DEFAULT_SOURCES_FILE
from tradewatch.sources_config import load_sources

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"

HTML_FILES = sorted(FIXTURES.glob("*/*.html"))
XML_FILES = sorted(FIXTURES.glob("*/*.xml"))
CONTENT_TYPES = st.sampled_from(
    [None, "text/html", "text/html; charset=utf-8", "text/html; charset=euc-kr",
     "application/xml; charset=latin-1", "text/html; charset=utf-16", "text/html; charset=bogus"]
)  # fmt: skip
URLS = st.sampled_from(
    ["https://www.example.org/a/b", "http://127.0.0.1:8000/", "https://[::1]/x", "http://x"]
)


@st.composite
def mutated(draw: st.DrawFn, files: list[Path]) -> bytes:
    """A fixture file with a few random byte edits, and perhaps cut short."""
    data = bytearray(draw(st.sampled_from(files)).read_bytes())
    for _ in range(draw(st.integers(0, 8))):
        pos = draw(st.integers(0, max(0, len(data) - 1)))
        op = draw(st.sampled_from(["flip", "insert", "delete"]))
        byte = draw(st.integers(0, 255))
        if op == "flip" and data:
            data[pos] = byte
        elif op == "insert":
            snippet = draw(st.sampled_from([b"<", b">", b"&", b"]]>", b"<!--", b"\x00", b"\xff"]))
            data[pos:pos] = snippet + bytes([byte])
        elif data:
            del data[pos]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


def pages(files: list[Path]) -> st.SearchStrategy[FetchedPage]:
    bodies = st.one_of(st.binary(max_size=2000), mutated(files))
    return st.builds(FetchedPage, url=URLS, body=bodies, content_type=CONTENT_TYPES)


@FUZZ
@given(page=pages(XML_FILES))
def test_feed_parser_raises_only_parse_errors(page: FetchedPage) -> None:
    try:
        entries = parse_feed(page)
    except ParseError:
        return
    for entry in entries:
        assert entry.url.startswith(("http://", "https://"))
        canonicalize_url(entry.url)


@FUZZ
@given(page=pages(XML_FILES))
def test_sitemap_parser_raises_only_parse_errors(page: FetchedPage) -> None:
    try:
        result = parse_sitemap(page)
    except ParseError:
        return
    for url in [e.url for e in result.entries] + list(result.sitemaps):
        assert url.startswith(("http://", "https://"))
        canonicalize_url(url)


@FUZZ
@given(page=pages(HTML_FILES), name=st.sampled_from(sorted(PARSERS)))
def test_every_page_parser_raises_only_parse_errors(page: FetchedPage, name: str) -> None:
    try:
        article = PARSERS[name].parse(page)
    except ParseError:
        return
    assert article.title.strip() and article.text.strip()


@FUZZ
@given(page=pages(HTML_FILES), item=st.sampled_from(["article", "li", "div a", "h2", "*"]))
def test_listing_parser_raises_only_parse_errors(page: FetchedPage, item: str) -> None:
    try:
        entries = parse_listing(page, item=item)
    except ParseError:
        return
    for entry in entries:
        canonicalize_url(entry.url)


URL_TEXT = st.one_of(
    st.builds(
        lambda scheme, host, rest: f"{scheme}://{host}{rest}",
        st.sampled_from(["http", "https", "HTTP"]),
        st.from_regex(r"[A-Za-z0-9.-]{1,30}(:[0-9]{1,5})?", fullmatch=True),
        st.text(max_size=80).map(lambda t: "/" + t.strip()),
    ),
)


@FUZZ
@given(url=URL_TEXT)
def test_canonical_urls_are_stable(url: str) -> None:
    try:
        once = canonicalize_url(url)
    except ValueError:
        # urllib rejects some strings outright (bad port, unbalanced brackets); the parsers
        # only hand over URLs urljoin accepted, which the tests above check.
        return
    assert canonicalize_url(once) == once


def _mutate_text(text: str, data: st.DataObject) -> str:
    chars = list(text)
    for _ in range(data.draw(st.integers(1, 6))):
        pos = data.draw(st.integers(0, max(0, len(chars) - 1)))
        chars[pos:pos] = data.draw(st.sampled_from([":", "-", "\n", " ", "[", "{", "'", "&a", "*"]))
    return "".join(chars)


@FUZZ
@given(data=st.data())
def test_config_loaders_raise_only_config_errors(data: st.DataObject) -> None:
    which = data.draw(st.sampled_from(["sources", "baseline"]))
    original = (DEFAULT_SOURCES_FILE if which == "sources" else DEFAULT_BASELINE_FILE).read_text(
        encoding="utf-8"
    )
    text = data.draw(st.one_of(st.text(max_size=300), st.just(original).map(lambda t: t)))
    if data.draw(st.booleans()):
        text = _mutate_text(text, data)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{which}.yaml"
        path.write_bytes(text.encode("utf-8", errors="surrogatepass"))
        loader = load_sources if which == "sources" else load_baseline
        try:
            loader(path)
        except ConfigError as exc:
            assert str(exc).startswith(str(path))
