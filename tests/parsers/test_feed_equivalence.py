"""parse_feed's lxml path gives exactly what its feedparser path gives.

``_parse_with_lxml`` (parsers.feedfast, what parse_feed tries first) is compared with
``_parse_with_feedparser`` (what parse_feed did before) on every feed fixture, bench and demo
feeds, generated feeds (tests/parsers/feedgen.py: one per choice the generator knows, and a
random corpus), hand-written edge cases and randomly damaged feeds. Equal means the same list
of EntryRef or the same exception type and message.

Where ``fast`` is asserted, the lxml path must answer by itself (True) or hand the feed over
(False); it may always hand a feed over, which makes parse_feed equal by construction. Set
``TRADEWATCH_FUZZ_EXAMPLES`` for longer random runs (as for tests/fuzz).
"""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from feedparser.datetimes import _parse_date
from hypothesis import given
from hypothesis import strategies as st

from bench.site import BenchSite
from parsers import feed, feedfast
from parsers.base import EntryRef, FetchedPage, ParseError
from tests.fuzzing import FUZZ
from tests.parsers.feedgen import DATES_HANDED_OVER, DATES_READ, Feed, corpus, each_choice

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "feeds"
DEMO_FEED = Path(__file__).resolve().parents[2] / "tradewatch" / "demo_site" / "feed.xml"
URL = "https://www.example.org/news/feed.xml"

Outcome = list[EntryRef] | tuple[str, str]


def outcome_of(page: FetchedPage, *, reference: bool = False) -> Outcome:
    parse = feed._parse_with_feedparser if reference else feed.parse_feed
    try:
        return parse(page)
    except Exception as exc:  # a crash must be the same crash
        return type(exc).__name__, str(exc)


def fast_outcome(page: FetchedPage) -> Outcome | None:
    """The lxml path alone; None when it hands the feed over."""
    try:
        return feed._parse_with_lxml(page)
    except ParseError as exc:
        return type(exc).__name__, str(exc)


def assert_same(page: FetchedPage, *, fast: bool | None = None) -> Outcome:
    """Both paths agree on ``page``; ``fast`` says whether the lxml path must (True) or must
    not (False) answer by itself. Returns the outcome."""
    expected = outcome_of(page, reference=True)
    assert outcome_of(page) == expected
    own = fast_outcome(page)
    if own is not None:
        assert own == expected
    if fast is not None:
        assert (own is not None) == fast
    return expected


def page_of(body: bytes, url: str = URL) -> FetchedPage:
    return FetchedPage(url=url, body=body)


# --- fixtures, bench and demo feeds ---------------------------------------------------------

PLAIN_FIXTURES = {"rss2", "atom", "empty", "kcnawatch", "nknews", "yonhap-nk"}


@pytest.mark.parametrize("case", sorted(FIXTURES.glob("*.xml")), ids=lambda p: p.stem)
def test_feed_fixture_by_both_paths(case: Path) -> None:
    fast = True if case.stem in PLAIN_FIXTURES else None
    assert_same(page_of(case.read_bytes()), fast=fast)


def test_every_plain_fixture_is_a_fixture() -> None:
    assert {p.stem for p in FIXTURES.glob("*.xml")} >= PLAIN_FIXTURES


@pytest.mark.parametrize(("seed", "feed_size"), [(1, 10), (2, 10), (5, 3), (9, 25)])
def test_bench_feeds_by_both_paths(seed: int, feed_size: int) -> None:
    site = BenchSite(outlets=3, articles=40, feed_size=feed_size, seed=seed)
    site.base_url = "http://127.0.0.1:8000"
    site.mutate(0.3, datetime(2024, 3, 1, 12, 0, tzinfo=UTC))  # some entries updated
    for outlet in range(3):
        body = site.feed(outlet)
        assert body is not None
        refs = assert_same(page_of(body, f"{site.base_url}/o{outlet}/feed.xml"), fast=True)
        assert isinstance(refs, list)
        assert len(refs) == feed_size


def test_demo_feed_by_both_paths() -> None:
    body = DEMO_FEED.read_bytes().replace(b"{{BASE_URL}}", b"http://127.0.0.1:8000")
    refs = assert_same(page_of(body, "http://127.0.0.1:8000/feed.xml"), fast=True)
    assert isinstance(refs, list)
    assert refs


# --- a generated corpus ---------------------------------------------------------------------

CORPUS = corpus(seed=20250304, count=400)


def _same_by_both_paths(generated: Feed) -> None:
    """``assert_same`` on a generated feed; a failure shows the feed and how it was made."""
    try:
        assert_same(page_of(generated.body), fast=generated.fast)
    except AssertionError as exc:
        raise AssertionError(f"{generated.label}\n{generated.body.decode()}") from exc


@pytest.mark.parametrize("generated", CORPUS, ids=[f"{n}" for n in range(len(CORPUS))])
def test_generated_feed_by_both_paths(generated: Feed) -> None:
    _same_by_both_paths(generated)


EACH_CHOICE = each_choice(seed=11)


@pytest.mark.parametrize("generated", EACH_CHOICE, ids=[f"{n}" for n in range(len(EACH_CHOICE))])
def test_each_choice_by_both_paths(generated: Feed) -> None:
    _same_by_both_paths(generated)


def test_generated_corpus_exercises_both_paths() -> None:
    fast = [f for f in CORPUS if f.fast]
    assert len(fast) >= 100, "too few feeds the lxml path must read itself"
    assert len(CORPUS) - len(fast) >= 100, "too few feeds it must hand over"
    with_entries = [f for f in fast if b"<item" in f.body or b"<entry" in f.body]
    assert len(with_entries) >= 80


# --- hand-written feeds ---------------------------------------------------------------------

RSS_HEAD = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
RSS_TAIL = "</channel></rss>"


def rss(items: str, head: str = RSS_HEAD) -> FetchedPage:
    return page_of(f"{head}{items}{RSS_TAIL}".encode())


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{n} "{("&lol" + str(n - 1 if n > 1 else "") + ";") * 10}">\n'
        for n in range(1, 10)
    )
    + ']>\n<rss version="2.0"><channel><title>t</title><item><title>&lol9;</title>'
    "<link>https://ex.org/a</link><description>&lol;</description></item></channel></rss>"
)
EXTERNAL_ENTITY = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/hostname">]>\n'
    '<rss version="2.0"><channel><item><title>&xxe;</title><link>https://ex.org/a</link>'
    "</item></channel></rss>"
)


@pytest.mark.parametrize("body", [BILLION_LAUGHS, EXTERNAL_ENTITY], ids=["laughs", "xxe"])
def test_entity_declarations_are_left_to_feedparser_unexpanded(body: str) -> None:
    page = page_of(body.encode())
    # refused before libxml2 sees it, so nothing is expanded or loaded on the lxml path
    assert feedfast.read_plain_feed(page.body, feed.MAX_ENTRIES) is None
    refs = assert_same(page, fast=False)
    if isinstance(refs, list):
        assert all(len(ref.title or "") < 1000 for ref in refs)


@pytest.mark.parametrize(
    ("items", "fast"),
    [
        ("", True),
        ("<item><title>no link, no guid</title></item>", True),
        ("<item><guid>https://ex.org/g</guid></item><item><link>/rel</link></item>", True),
        ("<item><link>https://ex.org/a</link><link>https://ex.org/a</link></item>" * 2, True),
        ("<item><title>t</title><link>https://ex.org/a</link></item><!-- end -->", True),
        ("<entry><title>an entry in RSS</title><link>https://ex.org/e</link></entry>", True),
        ("<Item><title>case</title><link>https://ex.org/c</link></Item>", True),
        ("<item><TITLE>Caps</TITLE><LINK>https://ex.org/caps</LINK></item>", True),
        ("<item><title>t</title><link>https://ex.org/a</link></item><foo><item/></foo>", False),
        ("<item><title>a</title><link>https://ex.org/a</link><item/></item>", False),
        ("<item><title>t</title><link>https://ex.org/&#x10FFFF;</link></item>", True),
    ],
)
def test_hand_written_rss(items: str, fast: bool) -> None:
    assert_same(rss(items), fast=fast)


@pytest.mark.parametrize(
    ("head", "fast"),
    [
        ('<rss version="2.0"><channel>', True),
        ('<rss version="2.0"><!-- c --><foo>x</foo><channel>', True),
        ('<rss version="2.0" xmlns="http://backend.userland.com/rss2"><channel>', False),
        ('<rss version="2.0"><channel></channel><channel>', False),
        ('<rss version="2.0" xmlns:a="urn:same" xmlns:b="urn:same"><channel>', False),
        ('<rss version="2.0" xmlns:\u00e9="urn:x"><channel>', False),
        ('<?xml version="1.0"?><?\u00e9 x?><rss version="2.0"><channel>', False),
        ('<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>', True),
        ('<?xml version="1.0" encoding="utf8"?><rss version="2.0"><channel>', False),
        ('<?xml version="1.0" encoding="us-ascii"?><rss version="2.0"><channel>', False),
        # feedparser's regex takes the last encoding="..." before a "?>" on the first line
        (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            '<title>encoding="latin-1" caf\u00e9</title><?pi x?>',
            False,
        ),
    ],
)
def test_hand_written_rss_documents(head: str, fast: bool) -> None:
    item = "<item><title>t</title><link>https://ex.org/a</link></item>"
    assert_same(rss(item, head=head), fast=fast)


def test_a_known_prefix_bound_to_an_unknown_namespace_is_handed_over() -> None:
    # Found by test_damaged_feed_by_both_paths: the feed binds "content" to a URI feedparser
    # does not know, and an element below declares the real content namespace as its default.
    # feedparser then files the real namespace under "content", and <content:encoded> (the
    # unknown one) loses its prefix: "encoded", no summary. The lxml path read a summary.
    head = '<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/odules/content/"><channel>'
    items = (
        '<item><encoded xmlns="http://purl.org/rss/1.0/modules/content/">Default ns</encoded>'
        "</item><item><link>https://ex.org/a</link>"
        "<content:encoded><![CDATA[<p>Full</p>]]></content:encoded></item>"
    )
    refs = assert_same(rss(items, head=head), fast=False)
    assert isinstance(refs, list) and [(r.url, r.summary) for r in refs] == [
        ("https://ex.org/a", None)
    ]


def test_a_prefix_bound_to_another_known_namespace_is_followed() -> None:
    # feedparser names <m:description> "media:description", then maps the feed's own prefix
    # "media" (bound here to Dublin Core) to "dc": a dc:description, read as the summary
    head = (
        '<rss version="2.0" xmlns:media="http://purl.org/dc/elements/1.1/"'
        ' xmlns:m="http://search.yahoo.com/mrss/"><channel>'
    )
    item = "<item><link>https://ex.org/a</link><m:description>Desc</m:description></item>"
    refs = assert_same(rss(item, head=head), fast=True)
    assert isinstance(refs, list)
    assert refs[0].summary == "Desc"


def test_rdf_feeds_are_left_to_feedparser() -> None:
    body = (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/"><channel rdf:about="https://ex.org/"><title>t</title>'
        '</channel><item rdf:about="https://ex.org/a"><title>a</title><link>https://ex.org/a</link>'
        "</item></rdf:RDF>"
    )
    assert_same(page_of(body.encode()), fast=False)


def test_atom_with_a_prefix_is_read() -> None:
    body = (
        '<a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>t</a:title><a:entry>'
        '<a:title>e</a:title><a:link href="/e"/><a:id>urn:e</a:id>'
        "<a:updated>2025-01-01T00:00:00Z</a:updated></a:entry></a:feed>"
    )
    refs = assert_same(page_of(body.encode()), fast=True)
    assert isinstance(refs, list)
    assert refs[0].url == "https://www.example.org/e"


def test_the_lxml_path_stops_at_max_entries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(feed, "MAX_ENTRIES", 3)
    # prefixed entries: the pre-cut (which counts <entry and <item) does not see them
    entries = "".join(
        f'<a:entry><a:link href="https://ex.org/{n}"/><a:id>urn:{n}</a:id></a:entry>'
        for n in range(5)
    )
    body = f'<a:feed xmlns:a="http://www.w3.org/2005/Atom">{entries}</a:feed>'
    refs = assert_same(page_of(body.encode()), fast=True)
    assert isinstance(refs, list)
    assert [r.url for r in refs] == [f"https://ex.org/{n}" for n in range(3)]
    # a feed the pre-cut shortens is truncated XML, which only feedparser reads
    items = "".join(f"<item><link>https://ex.org/{n}</link></item>" for n in range(5))
    assert_same(rss(items), fast=False)


@pytest.mark.parametrize(
    "sequence",
    [
        *(b"\xc0\xaf", b"\xe0\x80\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80"),
        *(b"\xfe", b"\xff", b"\x80", b"\xe2\x82", b"\xf0\x9f\x98", b"\xc3"),
    ],
)
def test_libxml2_refuses_what_python_cannot_decode(sequence: bytes) -> None:
    # feedfast relies on it: feedparser would read such a body in another encoding
    body = b'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><item><title>'
    body += sequence + b"</title><link>https://ex.org/a</link></item></channel></rss>"
    with pytest.raises(UnicodeDecodeError):
        body.decode("utf-8")
    assert_same(page_of(body), fast=False)


# --- dates ----------------------------------------------------------------------------------


def feedparser_date(value: str) -> datetime | None:
    parsed = _parse_date(value.strip())
    return None if parsed is None else datetime(*parsed[:6]).replace(tzinfo=UTC)


def own_date(value: str) -> datetime | str | None:
    try:
        return feedfast._read_date(value.strip())
    except feedfast._Unsure:
        return "unsure"


def date_strings() -> list[str]:
    rng = random.Random(4)  # noqa: S311 - reproducible test data
    days = ["", "Mon, ", "Tue, ", "Wed, ", "Thu, ", "Fri, ", "Sat, ", "Sun, ", "mon, ", "Tue "]
    months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    months += ["jan", "SEP", "Sept", "Mai", "Xyz"]
    zones = ["+0000", "-0000", "+0900", "-0530", "+1400", "-1200", "+2359", "GMT", "gmt", "UT"]
    zones += ["UTC", "Z", "z", "EST", "KST", "", "+09:00", "GMT+9", "+9", "A"]
    strings = []
    for day, month, zone in itertools.product(days, months, zones):
        date = rng.choice(["1", "04", "31", "29", "30", "00", "7"])
        year = rng.choice(["2025", "2024", "1999", "0001", "9999", "25", "1970"])
        clock = rng.choice(["10:20:00", "10:20", "23:59:59", "00:00:00", "24:00:00", "10:20:60"])
        strings.append(f"{day}{date} {month} {year} {clock} {zone}".strip())
    for _ in range(3000):
        year = rng.choice(["2025", "2024", "1999", "0001", "9999", "1970", "2000"])
        month = rng.choice(["01", "02", "06", "12", "13", "00", "1"])
        day = rng.choice(["01", "28", "29", "30", "31", "00", "9"])
        clock = rng.choice(["T10:20:00", "T10:20", "t23:59:59", "T00:00:00.5", "T10:20:00,5"])
        clock = rng.choice([clock, clock, "", " 10:20:00", "T24:00:00", "T10:20:60"])
        zone = rng.choice(["Z", "z", "+09:00", "-05:30", "+14:00", "-00:00", "+0900", "+09"])
        zone = rng.choice([zone, zone, "", " Z", "+25:00", "GMT"])
        strings.append(f"{year}-{month}-{day}{clock}{zone}")
    return strings


def test_dates_are_read_as_feedparser_reads_them() -> None:
    read = 0
    for value in [*date_strings(), *DATES_READ, *DATES_HANDED_OVER]:
        own = own_date(value)
        if own != "unsure":
            assert own == feedparser_date(value), value
            read += 1
    assert read > 600


@pytest.mark.parametrize("value", DATES_READ)
def test_common_dates_are_read(value: str) -> None:
    assert own_date(value) != "unsure"


@pytest.mark.parametrize("value", DATES_HANDED_OVER)
def test_other_dates_are_handed_over(value: str) -> None:
    assert own_date(value) == "unsure"


# --- random damage --------------------------------------------------------------------------

DAMAGE = [
    *("&", "<", ">", "]]>", "<!-- x -->", "<![CDATA[x]]>", "&amp;", "&#0;", "&#x85;", "\x85"),
    *("\u00e9", "\ud55c", "\U0001f600", '"', "'", "\r", "\t", "\x00", "\x0b", " xmlns:q='u'"),
    *("<item>", "</item>", "<entry>", "</title>", "<b>", "xml:base='/b/'", "<?pi x?>", "\ufeff"),
]


@FUZZ
@given(st.integers(min_value=0, max_value=len(CORPUS) - 1), st.randoms(use_true_random=False))
def test_damaged_feed_by_both_paths(index: int, rng: random.Random) -> None:
    text = CORPUS[index].body.decode("utf-8")
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(text) + 1)
        edit = rng.choice(["insert", "delete", "duplicate"])
        if edit == "insert":
            text = text[:at] + rng.choice(DAMAGE) + text[at:]
        elif edit == "delete":
            text = text[:at] + text[at + rng.randint(1, 20) :]
        else:
            text = text[:at] + text[at : at + rng.randint(1, 40)] + text[at:]
    assert_same(page_of(text.encode("utf-8", "surrogatepass")))
