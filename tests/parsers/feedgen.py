"""Random RSS and Atom feeds for differential tests of parse_feed's two paths.

Each feed is built from choices (a prolog, namespace bindings, channel elements, and per
entry a title, links, ids, summaries, content, dates and extra elements), each choice marked
with whether it must make the lxml path hand the feed to feedparser. :class:`Feed` carries
the body and that expectation: ``fast`` is True when no choice asked for a fallback.

All text is invented. ``{i}`` in a choice is the entry's index; ``{dc}``, ``{content}``,
``{atom}`` and ``{media}`` are the prefixes the feed bound those namespaces to.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

Choice = tuple[str, bool]  # (markup, the lxml path must fall back)

DC = "http://purl.org/dc/elements/1.1/"
ATOM = "http://www.w3.org/2005/Atom"
STANDARD_NAMESPACES = {
    "content": "http://purl.org/rss/1.0/modules/content/",
    "wfw": "http://wellformedweb.org/commentAPI/",
    "sy": "http://purl.org/rss/1.0/modules/syndication/",
    "slash": "http://purl.org/rss/1.0/modules/slash/",
    "dcterms": "http://purl.org/dc/terms/",
    "media": "http://search.yahoo.com/mrss/",
    "feedburner": "http://rssnamespace.org/feedburner/ext/1.0",
    "itunes": "http://www.itunes.com/DTDs/PodCast-1.0.dtd",
    "georss": "http://www.georss.org/georss",
    "wp": "com-wordpress:feed-additions:1",
    "x": "urn:example:unknown",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "u": "http://backend.userland.com/rss092",
}

# Dates: what the lxml path reads itself, and what it must leave to feedparser.
DATES_READ = [
    *("Tue, 04 Mar 2025 10:20:00 +0900", "Mon, 03 Mar 2025 08:00:00 GMT"),
    *("04 Mar 2025 10:20 -0500", "Sat, 8 Feb 2025 06:14:00 +0530"),
    *("Wed, 12 Feb 2025 01:00:00 UT", "Wed, 12 Feb 2025 01:00:00 UTC"),
    *("Wed, 12 Feb 2025 01:00:00 Z", "wed, 12 FEB 2025 01:00:00 gmt"),
    *("Sun, 31 Dec 2023 23:59:59 -1200", "Thu, 01 Jan 1970 00:00:00 +0000"),
    *("2025-03-04T10:20:00Z", "2025-03-04T10:20:00+09:00", "2025-03-04T10:20:00.123-05:00"),
    *("2025-03-04t10:20z", "2025-03-04T23:30:00+05:30", "1999-12-31T23:59:59.999999-14:00"),
    *("", "   ", "\n  Tue, 04 Mar 2025 10:20:00 +0900\n"),
]
DATES_HANDED_OVER = [
    *("Tue, 04 Mar 2025 10:20:00 EST", "Tue, 04 Mar 2025 10:20:00 KST"),
    *("Tue, 04 Mar 2025 10:20:00", "Tue, 04 Mar 25 10:20:00 +0000"),
    *("Tue,  04 Mar 2025 10:20:00 +0000", "Tue, 30 Feb 2025 10:20:00 +0000"),
    *("Tue, 04 Mar 2025 10:20:60 +0000", "not a date", "2025-03-04", "2025-03-04T10:20:00"),
    *("2025-03-04T10:20:00+0900", "20250304T102000Z", "2025-02-30T10:20:00Z"),
    *("Tue, 04 Mar 2025 10:20:00 +0900 (KST)", "Tuesday, 04 March 2025 10:20:00 +0900"),
]


def _dates(element: str) -> list[Choice]:
    return [(f"<{element}>{d}</{element}>", False) for d in DATES_READ] + [
        (f"<{element}>{d}</{element}>", True) for d in DATES_HANDED_OVER
    ]


RSS_TITLES: list[Choice] = [
    ("<title>Plain title {i}</title>", False),
    ("<title>Trade &amp; sanctions {i}</title>", False),
    ("<title>&lt;b&gt;Bold&lt;/b&gt; news {i}</title>", False),
    ("<title><![CDATA[<em>CDATA</em> title & more {i}]]></title>", False),
    ("<title></title>", False),
    ("<title>   </title>", False),
    ("<title>\n  Multi\n  line  {i} </title>", False),
    ("<title>\u00c3\u00a9conomie mojibake {i}</title>", False),
    ("<title>Dash \u0096 C1 \u0080 {i}</title>", False),
    ("<title>\ubd81\ud55c \ubb34\uc5ed Korean {i}</title>", False),
    ("<title>Emoji \U0001f600 caf\u00e9 {i}</title>", False),
    ("<title>x &#169; &#x263A; &#38;amp; &#13;{i}</title>", False),
    ("<{dc}:title>DC title {i}</{dc}:title>", False),
    ("<u:title>Userland title {i}</u:title>", False),
    ('<title xmlns="urn:z">Title in a namespace of its own {i}</title>', False),
    ('<title type="html">Typed {i}</title>', False),
    ('<title type="text/plain">Typed {i}</title>', False),
    ("", False),
    ('<title type="xhtml">X {i}</title>', True),
    ('<title type="xhtml">A &amp; B {i}</title>', True),
    ('<y:title xmlns:y="urn:y">Y title {i}</y:title>', True),
    ('<title type="application/octet-stream">YWJj</title>', True),
    ("<title>A<!-- c -->B {i}</title>", True),
    ("<title>A <b>nested</b> {i}</title>", True),
    ("<{media}:title>Media title {i}</{media}:title>", True),
    ("<title>One {i}</title><title>Two {i}</title>", True),
    ("<title></title><title>Second {i}</title>", True),
]
RSS_LINKS: list[Choice] = [
    ("<link>https://ex.org/a/{i}</link>", False),
    ("<link>https://ex.org/a/{i}</link>", False),
    ("<link>/rel/{i}</link>", False),
    ("<link>rel-{i}.html</link>", False),
    ("<link>  https://ex.org/sp/{i}  </link>", False),
    ("<link>\n\thttps://ex.org/nl/{i}\n</link>", False),
    ("<link>https://ex.org/q?a=1&amp;b=2&amp;amp;c={i}</link>", False),
    ("<link>https://ex.org/e?x=1&amp;y;=2&amp;z{i};</link>", False),
    ("<link>https:///ex.org/triple/{i}</link>", False),
    ("<link>HTTP://EX.ORG/Upper/{i}</link>", False),
    ("<link></link>", False),
    ("<link/>", False),
    ("", False),
    ("", False),
    ('<{atom}:link href="https://ex.org/al/{i}" rel="alternate"/>', False),
    ('<{atom}:link href="https://ex.org/self" rel="self" type="application/rss+xml"/>', False),
    ('<{atom}:link href="/related/{i}" rel="related"/>', False),
    ('<link href="https://ex.org/href/{i}"/>', False),
    ('<link href="https://ex.org/href/{i}">text</link>', False),
    ("<link>javascript:alert({i})</link>", False),
    ("<link>mailto:x{i}@example.org</link>", False),
    ("<link><![CDATA[https://ex.org/cdata/{i}?a=1&b=2]]></link>", False),
    ("<link>https://ex.org/a/{i}</link><link>https://ex.org/b/{i}</link>", False),
    ("<link>https://ex.org/x/{i}#frag</link>", False),
    ("<link>https://ex.org/\u00fcml\u00e4ut/{i}</link>", False),
    ("<link>http://[broken/{i}</link>", False),
    ('<link url="https://ex.org/u/{i}"/>', True),
    ('<link xml:base="https://other.org/">x{i}</link>', True),
    ("<link>https://ex.org/<!-- c -->{i}</link>", True),
]
RSS_GUIDS: list[Choice] = [
    ("<guid>https://ex.org/g/{i}</guid>", False),
    ('<guid isPermaLink="false">id-{i}</guid>', False),
    ('<guid isPermaLink="false">https://ex.org/np/{i}</guid>', False),
    ('<guid isPermaLink="false">https:///ex.org/np3/{i}</guid>', False),
    ('<guid isPermaLink="TRUE">https:///ex.org/np4/{i}</guid>', False),
    ('<guid isPermaLink="true">/g/{i}</guid>', False),
    ('<guid isPermaLink="True">https://ex.org/G/{i}</guid>', False),
    ('<guid ISPERMALINK="false">https://ex.org/caps/{i}</guid>', False),
    ('<guid isPermaLink="false" x:isPermaLink="true">https:///ex.org/two/{i}</guid>', True),
    ("<guid>tag:ex.org,2025:{i}</guid>", False),
    ("<guid>https:////ex.org/fix/{i}</guid>", False),
    ("<guid></guid>", False),
    ("", False),
    ("", False),
    ("<guid>https://ex.org/g1/{i}</guid><guid>https://ex.org/g2/{i}</guid>", False),
]
RSS_SUMMARIES: list[Choice] = [
    ("<description>Plain summary {i}</description>", False),
    ("<description>&lt;p&gt;Escaped &lt;b&gt;HTML&lt;/b&gt; {i}&lt;/p&gt;</description>", False),
    ("<description><![CDATA[<p>CDATA <a href='/x'>HTML</a> {i}</p>]]></description>", False),
    ("<description>Tom &amp; Jerry &amp;amp; co {i}</description>", False),
    ("<description>a &lt; b {i}</description>", False),
    ("<description></description>", False),
    ("", False),
    ("", False),
    ("<{dc}:description>DC description {i}</{dc}:description>", False),
    ('<description type="html">&lt;i&gt;typed&lt;/i&gt; {i}</description>', False),
    ("<summary>RSS summary element {i}</summary>", False),
    ("<description>\u00c3\u00bc mojibake \u0093quoted\u0094 {i}</description>", False),
    ("<description><p>raw markup {i}</p></description>", True),
    ("<description>one</description><description>two {i}</description>", True),
    ('<description mode="base64">aGVsbG8=</description>', True),
    ("<itunes:summary>podcast {i}</itunes:summary>", True),
    ("<{media}:description>media {i}</{media}:description>", True),
]
RSS_CONTENTS: list[Choice] = [
    ("", False),
    ("", False),
    ("<{content}:encoded><![CDATA[<p>Full <b>article</b> {i}</p>]]></{content}:encoded>", False),
    ("<{content}:encoded>&lt;p&gt;escaped full {i}&lt;/p&gt;</{content}:encoded>", False),
    ("<{content}:encoded></{content}:encoded>", False),
    ('<encoded xmlns="http://purl.org/rss/1.0/modules/content/">Default ns {i}</encoded>', False),
    ("<{content}:encoded>a</{content}:encoded><{content}:encoded>b</{content}:encoded>", True),
]
RSS_DATES: list[Choice] = [
    ("", False),
    *_dates("pubDate"),
    *_dates("{dc}:date"),
    ("<pubdate>Tue, 04 Mar 2025 10:20:00 +0900</pubdate>", False),
    ("<dcterms:modified>2025-03-05T00:00:00Z</dcterms:modified>", False),
    ("<dcterms:created>2025-03-01T00:00:00Z</dcterms:created>", False),
    ("<dcterms:issued>2025-03-02T00:00:00Z</dcterms:issued>", False),
    ("<{atom}:updated>2025-03-06T00:00:00Z</{atom}:updated>", False),
    ("<lastBuildDate>Tue, 04 Mar 2025 10:20:00 +0900</lastBuildDate>", False),
    ("<pubDate>Tue, 04 Mar 2025 10:20:00 +0900</pubDate><pubDate></pubDate>", False),
    (
        "<pubDate>Tue, 04 Mar 2025 10:20:00 +0900</pubDate>"
        "<{dc}:date>2025-03-05T10:20:00+09:00</{dc}:date>",
        False,
    ),
    ("<{dc}:date>2025-03-05T10:20:00Z</{dc}:date><pubDate></pubDate>", False),
    ("<expirationDate>Tue, 04 Mar 2025 10:20:00 +0900</expirationDate>", True),
]
RSS_EXTRAS: list[Choice] = [
    ("", False),
    ("", False),
    ("<{dc}:creator>Reporter {i}</{dc}:creator>", False),
    ("<{dc}:creator><![CDATA[CDATA Reporter]]></{dc}:creator>", False),
    ("<category>Economy</category><category>Trade</category>", False),
    ('<category domain="x">Politics</category>', False),
    ("<comments>https://ex.org/c/{i}</comments>", False),
    ("<wfw:commentRss>https://ex.org/feed/{i}</wfw:commentRss>", False),
    ("<slash:comments>3</slash:comments>", False),
    ('<enclosure url="https://ex.org/a{i}.mp3" length="1" type="audio/mpeg"/>', False),
    (
        '<{media}:content url="https://ex.org/i.jpg" medium="image">'
        "<{media}:credit>X</{media}:credit></{media}:content>",
        False,
    ),
    ('<{media}:thumbnail url="https://ex.org/t{i}.jpg"/>', False),
    ('<source url="https://ex.org/src">Source name</source>', False),
    ("<author>a@example.org (A)</author>", False),
    ('<post-id xmlns="com-wordpress:feed-additions:1">{i}</post-id>', False),
    ("<wp:thing>{i}</wp:thing>", False),
    ("<feedburner:origLink>https://ex.org/orig/{i}</feedburner:origLink>", False),
    ("<foo>bar {i}</foo>", False),
    ('<foo kind="x">bar</foo>', False),
    ("<foo><bar>nested generic</bar></foo>", False),
    ("<!-- a comment -->", False),
    ("<?pi target?>", False),
    (
        '<{media}:content url="https://ex.org/i.jpg"><{media}:title>T</{media}:title></{media}:content>',
        True,
    ),
    ("<georss:point>1 2</georss:point>", True),
    ("<image><url>https://ex.org/i.png</url><title>img</title></image>", True),
    ('<x:thing xmlns:x="urn:x">1</x:thing>', True),
    ("<published_parsed>x</published_parsed>", True),
    ("<links>x</links>", True),
    ("<foo_detail>x</foo_detail>", True),
    ("<item><title>nested item {i}</title></item>", True),
    ("<foo><title>title in a generic element</title></foo>", True),
    ('<source url="https://ex.org/src"><title>t</title></source>', True),
    ("<\u00e9l\u00e9ment>x</\u00e9l\u00e9ment>", True),
    # a name character of XML 1.0's 5th edition only: libxml2 accepts it, expat does not
    ("<a\u0132>x</a\u0132>", True),
    ('<foo a\u0132="1">x</foo>', True),
    ('<{dc}:date xmlns:{dc}="urn:not-dc">2025-03-04T10:20:00Z</{dc}:date>', True),
    ("<?\u00e9t x?>", True),
    ("<itunes:duration>1:00</itunes:duration>", False),
]
ITEM_OPENERS: list[Choice] = [
    ("<item>", False),
    ("<item>", False),
    ("<item>", False),
    ('<item xml:lang="en">', False),
    ('<item about="https://ex.org/about/{i}">', True),
    ('<item rdf:about="https://ex.org/rdf-about/{i}">', True),
    ('<item href="https://ex.org/href-attr/{i}">', True),
    ('<item lastmod="2025-03-04T10:20:00Z">', True),
    ('<item xml:base="https://base.example.net/">', True),
]
RSS_PROLOGS: list[Choice] = [
    ('<?xml version="1.0" encoding="UTF-8"?>\n', False),
    ('<?xml version="1.0" encoding="utf-8"?>', False),
    ("<?xml version='1.0' encoding='utf-8'?>\n", False),
    ('<?xml version="1.0"?>\n', False),
    ("", False),
    ('<?xml version="1.0" encoding="utf-8" standalone="yes"?>\n', False),
    (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet type="text/xsl" href="/s"?>\n',
        False,
    ),
    ('<?xml version="1.0" encoding="UTF-8"?>\n<!-- generator comment -->\n', False),
    ('<?xml version="1.0" encoding="ISO-8859-1"?>\n', True),
    ('<?xml version="1.1" encoding="utf-8"?>\n', True),
    ('\ufeff<?xml version="1.0" encoding="utf-8"?>\n', True),
    (
        '<?xml version="1.0"?>\n<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"'
        ' "http://my.netscape.com/publish/formats/rss-0.91.dtd">\n',
        True,
    ),
]
RSS_VERSIONS: list[Choice] = [
    ('version="2.0"', False),
    ('version="2.0"', False),
    ('version="0.91"', False),
    ('version="0.92"', False),
    ('version="0.93"', True),
    ("", True),
]
CHANNEL_EXTRAS: list[Choice] = [
    ("", False),
    (
        "<language>en-us</language><lastBuildDate>Tue, 04 Mar 2025 02:00:00 +0000</lastBuildDate>",
        False,
    ),
    ('<{atom}:link href="https://ex.org/feed" rel="self" type="application/rss+xml"/>', False),
    (
        "<image><url>https://ex.org/i.png</url><title>Img</title><link>https://ex.org/</link></image>",
        False,
    ),
    (
        "<textInput><title>Search</title><name>q</name><link>https://ex.org/s</link></textInput>",
        False,
    ),
    ("<sy:updatePeriod>hourly</sy:updatePeriod><generator>gen</generator>", False),
    ("<description><p>markup in channel</p></description>", False),
    ("<{content}:encoded>channel content</{content}:encoded>", False),
    ("<foo><item>not an entry?</item></foo>", True),
]
CHANNEL_OPENERS: list[Choice] = [
    ("<channel>", False),
    ("<channel>", False),
    ('<channel xml:lang="ko">', False),
    ('<channel xml:base="https://base.example.net/feed/">', True),
]
# (dc prefix, its namespace): the standard binding, a prefix of the feed's own choosing, a
# mistyped URI that feedparser still dispatches on by its prefix.
DC_BINDINGS: list[tuple[str, str]] = [
    ("dc", DC),
    ("dc", DC),
    ("dublin", DC),
    ("dc", DC.rstrip("/")),
    ("DC", DC),
]
ATOM_TITLES: list[Choice] = [
    ("<title>Plain entry {i}</title>", False),
    ('<title type="text">A &lt;b&gt; {i}</title>', False),
    ('<title type="html">A &lt;b&gt;bold&lt;/b&gt; {i}</title>', False),
    ('<title type="HTML">caps {i}</title>', False),
    ("<title></title>", False),
    ("", False),
    ('<title type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">X {i}</div></title>', True),
    ('<title type="application/octet-stream">YWJj</title>', True),
]
ATOM_LINKS: list[Choice] = [
    ('<link href="https://ex.org/e/{i}"/>', False),
    ('<link href="https://ex.org/e/{i}"/>', False),
    ('<link rel="alternate" href="/rel/{i}"/>', False),
    ('<link rel="alternate" type="text/html" href="https://ex.org/th/{i}"/>', False),
    ('<link rel="alternate" type="application/pdf" href="https://ex.org/{i}.pdf"/>', False),
    ('<link rel="self" href="https://ex.org/self/{i}"/>', False),
    ('<link rel="related" href="https://ex.org/rel/{i}"/>', False),
    ('<link rel="enclosure" href="https://ex.org/{i}.mp3" length="1" type="audio/mpeg"/>', False),
    ('<link rel="Alternate" href="https://ex.org/caps/{i}"/>', False),
    ('<link rel="alternate" type="xhtml" href="https://ex.org/x/{i}"/>', False),
    ('<link rel="alternate" type="" href="https://ex.org/notype/{i}"/>', False),
    ('<link href=""/>', False),
    ('<link href="   "/>', False),
    ('<link href=" https://ex.org/padded/{i} "/>', False),
    ('<link href="https://ex.org/ws\n\t/{i}&#10;x&#9;y"/>', False),
    ('<link href="https://ex.org/a/{i}"/><link href="https://ex.org/b/{i}"/>', False),
    (
        '<link rel="replies" type="text/html" href="https://ex.org/c/{i}"/><link href="/x/{i}"/>',
        False,
    ),
    ("<link>text link {i}</link>", False),
    ('<link rel="alternate" href="https:///fix/{i}"/>', False),
    ('<link rel="alternate" href="https://ex.org/q?a=1&amp;b=2"/>', False),
    ("", False),
    ('<link href="https://ex.org/u/{i}" uri="https://ex.org/v"/>', True),
]
ATOM_IDS: list[Choice] = [
    ("<id>https://ex.org/e/{i}</id>", False),
    ("<id>urn:uuid:00000000-0000-0000-0000-{i:012d}</id>", False),
    ("<id>tag:ex.org,2025:{i}</id>", False),
    ("<id>/rel-id/{i}</id>", False),
    ("<id>https:////ex.org/id/{i}</id>", False),
    ('<id isPermaLink="false">https:///ex.org/np/{i}</id>', False),
    ("", False),
]
ATOM_SUMMARIES: list[Choice] = [
    ("<summary>Plain summary {i}</summary>", False),
    ('<summary type="html">&lt;p&gt;html {i}&lt;/p&gt;</summary>', False),
    ('<summary type="text">a &lt;b&gt; {i}</summary>', False),
    ("<summary></summary>", False),
    ("", False),
    ("", False),
    (
        '<summary type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>x</p></div></summary>',
        True,
    ),
    ("<summary>one</summary><summary>two</summary>", True),
]
ATOM_CONTENTS: list[Choice] = [
    ("", False),
    ('<content type="html">&lt;p&gt;full {i}&lt;/p&gt;</content>', False),
    ("<content>text content {i}</content>", False),
    ('<content src="https://ex.org/c/{i}" type="text/html"/>', False),
    ('<content type="text/html">&lt;i&gt;mime typed&lt;/i&gt;</content>', False),
    ('<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">x</div></content>', True),
    ('<content type="image/png" src="https://ex.org/i.png"/>', True),
]
ATOM_DATES: list[Choice] = [
    ("", False),
    *_dates("published"),
    *_dates("updated"),
    (
        "<published>2025-02-11T09:30:00-05:00</published><updated>2025-02-12T09:00:00Z</updated>",
        False,
    ),
    (
        "<updated>2025-02-12T09:00:00Z</updated><published>2025-02-11T09:30:00-05:00</published>",
        False,
    ),
    ("<created>2025-02-10T00:00:00Z</created>", False),
    ("<issued>2025-02-10T00:00:00Z</issued><modified>2025-02-13T00:00:00Z</modified>", False),
]
ATOM_EXTRAS: list[Choice] = [
    ("", False),
    ("", False),
    ("<author><name>N {i}</name><email>e@ex.org</email><uri>https://ex.org/</uri></author>", False),
    ('<category term="t" scheme="s" label="l"/>', False),
    ("<rights>CC</rights>", False),
    ("<contributor><name>C</name></contributor>", False),
    ("<foo>generic</foo>", False),
    ("<source><id>https://ex.org/s</id><title>S</title></source>", True),
    ("<rights><b>markup</b></rights>", True),
]
ENTRY_OPENERS: list[Choice] = [
    ("<entry>", False),
    ("<entry>", False),
    ('<entry xml:lang="en">', False),
    ('<entry xml:base="https://base.example.net/">', True),
]
ATOM_ROOTS: list[Choice] = [
    ('<feed xmlns="http://www.w3.org/2005/Atom"{ns}>', False),
    ('<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en"{ns}>', False),
    ('<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://base.example.net/"{ns}>', True),
    ('<feed version="0.3" xmlns="http://purl.org/atom/ns#"{ns}>', True),
]


@dataclass(frozen=True)
class Feed:
    """A generated feed and whether the lxml path must read it itself."""

    body: bytes
    fast: bool
    label: str


class FeedGenerator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - reproducible test data
        self.handed_over = False
        self.picked: list[str] = []
        # "clean": only choices the lxml path reads itself; "one": at most one it must hand
        # over (so that each reason to hand over is tested on its own); "any": no constraint
        self.mode = "any"
        self.one_chance = 0.0
        self.forced: tuple[list[Choice], Choice] | None = None

    def start(self, entries: int, forced: tuple[list[Choice], Choice] | None) -> None:
        self.handed_over, self.picked = False, []
        self.mode = self.rng.choice(["clean"] * 4 + ["one"] * 5 + ["any"])
        self.one_chance = 1 / (8 + 9 * entries)  # about one pick per feed
        self.forced = forced
        if forced is not None:
            self.mode = "clean"

    def pick(self, choices: list[Choice], **fields: object) -> str:
        if self.forced is not None and choices is self.forced[0]:
            choices = [self.forced[1]]
        elif self.mode != "any":
            one = self.mode == "one" and not self.handed_over
            wanted = one and self.rng.random() < self.one_chance and any(c[1] for c in choices)
            choices = [choice for choice in choices if choice[1] == wanted]
        markup, handed_over = self.rng.choice(choices)
        self.handed_over |= handed_over
        text = markup.format(**fields)
        if handed_over:
            self.picked.append(text[:60])
        return text

    def rss(self, forced: tuple[list[Choice], Choice] | None = None) -> Feed:
        """A random RSS feed; ``forced`` is a (category, choice) to take every time."""
        entries = 2 if forced else self.rng.choice([0, 1, 2, 3, 5, 10])
        self.start(entries, forced)
        dc_prefix, dc_uri = self.rng.choice(DC_BINDINGS)
        prefixes = {"dc": dc_prefix, "content": "content", "atom": "atom", "media": "media"}
        namespaces = {dc_prefix: dc_uri, "atom": ATOM, **STANDARD_NAMESPACES}
        bindings = list(namespaces.items())
        self.rng.shuffle(bindings)
        ns = "".join(f' xmlns:{prefix}="{uri}"' for prefix, uri in bindings)
        parts = [self.pick(RSS_PROLOGS), f"<rss {self.pick(RSS_VERSIONS)}{ns}>"]
        parts += [self.pick(CHANNEL_OPENERS), "<title>Generated outlet</title>"]
        parts += ["<link>https://ex.org/</link>", self.pick(CHANNEL_EXTRAS, **prefixes)]
        for i in range(entries):
            item = [
                self.pick(ITEM_OPENERS, i=i),
                self.pick(RSS_TITLES, i=i, **prefixes),
                self.pick(RSS_LINKS, i=i, **prefixes),
                self.pick(RSS_GUIDS, i=i),
                self.pick(RSS_SUMMARIES, i=i, **prefixes),
                self.pick(RSS_CONTENTS, i=i, **prefixes),
                self.pick(RSS_DATES, i=i, **prefixes),
                self.pick(RSS_DATES, i=i, **prefixes),
                self.pick(RSS_EXTRAS, i=i, **prefixes),
            ]
            body = item[1:]
            self.rng.shuffle(body)
            parts += [item[0], *body, "</item>"]
        parts += ["</channel>", "</rss>"]
        return self._feed("rss", parts)

    def atom(self, forced: tuple[list[Choice], Choice] | None = None) -> Feed:
        """A random Atom feed; ``forced`` is a (category, choice) to take every time."""
        entries = 2 if forced else self.rng.choice([0, 1, 2, 3, 5, 10])
        self.start(entries, forced)
        ns = ' xmlns:dcterms="http://purl.org/dc/terms/"'
        parts = [self.pick(RSS_PROLOGS[:8]), self.pick(ATOM_ROOTS, ns=ns)]
        parts += ["<title>Generated Atom</title>", '<link href="https://ex.org/"/>']
        parts += ["<updated>2025-02-12T09:00:00Z</updated>", "<id>urn:x:feed</id>"]
        for i in range(entries):
            entry = [
                self.pick(ENTRY_OPENERS),
                self.pick(ATOM_TITLES, i=i),
                self.pick(ATOM_LINKS, i=i),
                self.pick(ATOM_IDS, i=i),
                self.pick(ATOM_SUMMARIES, i=i),
                self.pick(ATOM_CONTENTS, i=i),
                self.pick(ATOM_DATES),
                self.pick(ATOM_DATES),
                self.pick(ATOM_EXTRAS, i=i),
            ]
            body = entry[1:]
            self.rng.shuffle(body)
            parts += [entry[0], *body, "</entry>"]
        parts.append("</feed>")
        return self._feed("atom", parts)

    def _feed(self, kind: str, parts: list[str]) -> Feed:
        separator = self.rng.choice(["\n", "", "\r\n", "\n  "])
        head, rest = parts[0], parts[1:]
        text = head + separator.join(rest) + "\n"
        label = f"{kind}: " + "; ".join(self.picked) if self.picked else kind
        return Feed(body=text.encode(), fast=not self.handed_over, label=label)


def corpus(seed: int, count: int) -> list[Feed]:
    """``count`` feeds, RSS and Atom alternately."""
    generator = FeedGenerator(seed)
    return [generator.rss() if n % 2 == 0 else generator.atom() for n in range(count)]


RSS_CATEGORIES = [
    *(RSS_PROLOGS, RSS_VERSIONS, CHANNEL_OPENERS, CHANNEL_EXTRAS, ITEM_OPENERS, RSS_TITLES),
    *(RSS_LINKS, RSS_GUIDS, RSS_SUMMARIES, RSS_CONTENTS, RSS_DATES, RSS_EXTRAS),
]
ATOM_CATEGORIES = [
    *(ATOM_ROOTS, ENTRY_OPENERS, ATOM_TITLES, ATOM_LINKS, ATOM_IDS, ATOM_SUMMARIES),
    *(ATOM_CONTENTS, ATOM_DATES, ATOM_EXTRAS),
]


def each_choice(seed: int) -> list[Feed]:
    """A feed per choice of every category, the other choices being ones the lxml path
    reads itself: each reason to hand a feed over, on its own, and each thing it reads."""
    generator = FeedGenerator(seed)
    feeds = []
    for category in RSS_CATEGORIES:
        feeds += [generator.rss(forced=(category, choice)) for choice in category]
    for category in ATOM_CATEGORIES:
        feeds += [generator.atom(forced=(category, choice)) for choice in category]
    return feeds
