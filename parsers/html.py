"""HTML helpers shared by the page parsers: decoding, soup, whitespace, canonical URL, dates.

Everything here is pure. Dates come back timezone-aware: a value without a zone is read in
the ``default_tz`` the caller passes (UTC unless the outlet says otherwise; the Korean
outlets pass :data:`KST`, since their pages print Seoul wall-clock times).
"""

from __future__ import annotations

import codecs
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime

from bs4 import BeautifulSoup, Tag
from bs4.element import NavigableString, PreformattedString

from parsers.urls import resolve_link

# Korea has kept UTC+9 without daylight saving since 1988, so a fixed offset is exact and
# spares a tzdata dependency.
KST = timezone(timedelta(hours=9), "KST")

_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Labels browsers treat as supersets (WHATWG Encoding Standard): decoding with the superset
# reads the same bytes the way a browser would.
_SUPERSETS = {
    "euc-kr": "cp949",
    "ks_c_5601-1987": "cp949",
    "ks_c_5601": "cp949",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}
_HTTP_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
_META_CHARSET = re.compile(rb"<meta[^>]+charset\s*=\s*[\"']?\s*([\w.:-]+)", re.IGNORECASE)
# Where the HTML spec says a <meta charset> must appear.
_META_SCAN_BYTES = 4096
_WS = re.compile(r"\s+")


def _codec(label: str | None) -> str | None:
    """A Python codec name for an encoding label, or None when the label is unknown."""
    if not label:
        return None
    name = label.strip().strip("\"'").lower()
    name = _SUPERSETS.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def charset_from_content_type(content_type: str | None) -> str | None:
    """The charset parameter of a Content-Type header value, if any."""
    if not content_type:
        return None
    match = _HTTP_CHARSET.search(content_type)
    return match.group(1) if match else None


def decode_html(body: bytes, content_type: str | None = None) -> str:
    """Decode an HTML body to text.

    Order of trust, as browsers do: a byte-order mark, then the HTTP charset, then
    ``<meta charset>`` / ``http-equiv`` in the first 4 KiB. When none is usable: strict UTF-8,
    then CP949 (a superset of EUC-KR, the legacy encoding of Korean sites), then Windows-1252
    with replacement characters so decoding never fails.
    """
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body[len(bom) :].decode(name, errors="replace")

    declared = [charset_from_content_type(content_type)]
    meta = _META_CHARSET.search(body[:_META_SCAN_BYTES])
    if meta:
        declared.append(meta.group(1).decode("ascii", errors="ignore"))
    for label in declared:
        codec = _codec(label)
        if codec is None:
            continue
        # A page that says utf-16 in ASCII bytes cannot be utf-16 (the spec treats it as utf-8).
        if codec.startswith("utf-16"):
            codec = "utf-8"
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue  # a wrong declaration is common; let the next clue or the sniffing decide

    for codec in ("utf-8", "cp949"):
        try:
            return body.decode(codec)
        except UnicodeDecodeError:
            continue
    return body.decode("cp1252", errors="replace")


def make_soup(html: str) -> BeautifulSoup:
    """Parse decoded HTML with lxml."""
    return BeautifulSoup(html, "lxml")


def collapse_ws(text: str) -> str:
    """Collapse runs of whitespace (including non-breaking spaces) to one space and strip."""
    return _WS.sub(" ", text.replace("\xa0", " ")).strip()


# Elements that separate words when rendered; inline ones (a, em, sup...) do not.
_BREAKING = frozenset(
    {
        *("br", "hr", "p", "div", "li", "ul", "ol", "dd", "dt", "figure", "blockquote"),
        *("h1", "h2", "h3", "h4", "h5", "h6", "table", "tr", "td", "th"),
        *("section", "article", "header", "footer"),
    }
)


def text_of(tag: Tag) -> str:
    """The visible text of ``tag``, whitespace collapsed.

    Inline markup joins without a space (``<a>link</a>,`` stays ``link,``); ``<br>`` and
    block elements separate words, so a headline split over lines reads as one line.
    """
    parts: list[str] = []
    for node in tag.descendants:
        # Comments, CDATA and doctypes are PreformattedString subclasses: not visible text.
        if isinstance(node, NavigableString) and not isinstance(node, PreformattedString):
            parts.append(str(node))
        elif isinstance(node, Tag) and node.name in _BREAKING:
            parts.append(" ")
    return collapse_ws("".join(parts))


def attr_str(tag: Tag, name: str) -> str | None:
    """An attribute as a single stripped string (bs4 returns lists for multi-valued ones)."""
    value = tag.get(name)
    if value is None:
        return None
    if isinstance(value, list):
        value = " ".join(value)
    value = value.strip()
    return value or None


def canonical_url(soup: BeautifulSoup, base_url: str) -> str:
    """``<link rel=canonical>``, else ``og:url``, else ``base_url``; made absolute, no fragment."""
    head = soup.head or soup  # metadata lives in <head>; do not walk the body for it
    candidates = [attr_str(link, "href") for link in head.select("link[rel~=canonical][href]")]
    candidates += [attr_str(og, "content") for og in head.select("meta[property='og:url']")]
    for candidate in candidates:
        if candidate and (absolute := resolve_link(base_url, candidate)):
            return absolute.split("#", 1)[0]
    return base_url.split("#", 1)[0]


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_DAY_YEAR = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})\b")
_DAY_MONTH_YEAR = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)?\s+([A-Za-z]{3,9})\.?,?\s+(\d{4})\b")
_NUMERIC = re.compile(r"\b(\d{4})[-./](\d{1,2})[-./](\d{1,2})\b")
_KOREAN = re.compile(r"(\d{4})\s*년\s*(\d{1,2})\s*월\s*(\d{1,2})\s*일")
_CLOCK = re.compile(r"\b(\d{1,2}):(\d{2})(?::(\d{2}))?\s*([AaPp]\.?[Mm]\.?)?")


def _iso(text: str, default_tz: tzinfo) -> datetime | None:
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=default_tz)


def _rfc2822(text: str, default_tz: tzinfo) -> datetime | None:
    try:
        value = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    return value if value.tzinfo else value.replace(tzinfo=default_tz)


def _date_and_clock(text: str, default_tz: tzinfo) -> datetime | None:
    """Human-written dates: "January 30, 2025", "30 Jan 2025", "2025.01.30", "2025년 1월 30일"."""
    year = month = day = None
    if match := _MONTH_DAY_YEAR.search(text):
        month = _MONTHS.get(match.group(1).lower())
        day, year = int(match.group(2)), int(match.group(3))
    if month is None and (match := _DAY_MONTH_YEAR.search(text)):
        month = _MONTHS.get(match.group(2).lower())
        day, year = int(match.group(1)), int(match.group(3))
    if month is None and (match := _NUMERIC.search(text) or _KOREAN.search(text)):
        year, month, day = (int(part) for part in match.groups())
    if year is None or month is None or day is None:
        return None
    hour = minute = second = 0
    if clock := _CLOCK.search(text):
        hour, minute = int(clock.group(1)), int(clock.group(2))
        second = int(clock.group(3) or 0)
        meridiem = (clock.group(4) or "").lower().replace(".", "")
        if meridiem == "pm" and hour < 12:
            hour += 12
        elif meridiem == "am" and hour == 12:
            hour = 0
    try:
        return datetime(year, month, day, hour, minute, second, tzinfo=default_tz)
    except ValueError:
        return None


def parse_date(text: str | None, default_tz: tzinfo = UTC) -> datetime | None:
    """Parse a published date to a timezone-aware datetime, or None.

    Accepts ISO 8601 (``2025-01-30T09:00:00+09:00``, ``...Z``), RFC 2822 (feeds) and the
    forms sites print. Values without a zone are read in ``default_tz``.
    """
    if not text:
        return None
    cleaned = collapse_ws(text)
    if not cleaned:
        return None
    for reader in (_iso, _rfc2822, _date_and_clock):
        value = reader(cleaned, default_tz)
        if value is not None:
            return value
    return None


PUBLISHED_META = (
    "meta[property='article:published_time']",
    "meta[name='article:published_time']",
    "meta[itemprop='datePublished']",
    "meta[name='pubdate']",
    "meta[name='date']",
)


def find_published(soup: BeautifulSoup, default_tz: tzinfo = UTC) -> datetime | None:
    """The publication date a page declares in its metadata, or None.

    Looks at ``article:published_time`` and similar meta tags, then the first
    ``<time datetime>``.
    """
    # <head> first (cheap); microdata can put <meta itemprop=datePublished> in the body.
    scopes = (soup.head, soup) if soup.head is not None else (soup,)
    for scope in scopes:
        for selector in PUBLISHED_META:
            for meta in scope.select(selector):
                if value := parse_date(attr_str(meta, "content"), default_tz):
                    return value
    for time_tag in soup.find_all("time", datetime=True):
        if value := parse_date(attr_str(time_tag, "datetime"), default_tz):
            return value
    return None
