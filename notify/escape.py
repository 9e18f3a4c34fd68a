"""Making untrusted strings safe for each digest format.

Titles, sentences and source errors come from fetched pages, so each format escapes them:

- HTML: Jinja's autoescape, plus `html_link` (an ``<a>`` only for http(s) URLs) and
  `emphasise` returning `markupsafe.Markup`.
- Markdown: `md_escape` backslash-escapes the characters that make links, emphasis, headings
  or tables, writes ``<``/``>`` as entities (Markdown passes raw HTML through) and folds
  newlines, so a title like ``x](javascript:…)`` stays text. Safe Markdown is marked `Raw`.
- Text: `text_clean` removes control characters (ANSI escapes included) and folds newlines.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from urllib.parse import quote, urlsplit

from markupsafe import Markup, escape

__all__ = [
    "Raw",
    "html_emphasise",
    "html_link",
    "is_http_url",
    "md_emphasise",
    "md_escape",
    "md_link",
    "text_clean",
    "text_emphasise",
    "text_link",
]


class Raw(str):
    """A Markdown or text string that is already safe and must not be escaped again."""

    __slots__ = ()


_WS = re.compile(r"\s+")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]#+!|~>])")


def _one_line(value: object) -> str:
    # a newline in a title could start a heading or a list item in Markdown
    text = "".join(
        ch if unicodedata.category(ch)[0] != "C" or ch in "\t\n\r" else " " for ch in str(value)
    )
    return _WS.sub(" ", text).strip()


def _md_chars(text: str) -> str:
    # CommonMark and Python-Markdown both decode &lt;; a raw < would open an HTML tag
    return _MD_SPECIAL.sub(r"\\\1", text).replace("<", "&lt;")


def text_clean(value: object) -> str:
    """One line of plain text without control characters."""
    if isinstance(value, Raw):
        return value
    return _one_line(value)


def md_escape(value: object) -> str:
    """One line of Markdown that renders as exactly this text."""
    if isinstance(value, Raw):
        return value
    return _md_chars(_one_line(value))


def is_http_url(value: object) -> bool:
    """True for an absolute http(s) URL with a host: the only URLs we turn into links."""
    if not isinstance(value, str) or value != value.strip():
        return False
    if any(unicodedata.category(ch)[0] in "CZ" for ch in value):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)


def _md_destination(url: str) -> str:
    # brackets, parentheses and spaces would end the link destination early
    return quote(url, safe="/:?#@!$&'*+,;=%~.-_")


def md_link(text: object, url: object) -> Raw:
    """``[text](url)`` for an http(s) URL, otherwise the text and the URL as plain text."""
    label = md_escape(text)
    if is_http_url(url):
        return Raw(f"[{label}]({_md_destination(str(url))})")
    if not url:
        return Raw(label)
    return Raw(f"{label} ({md_escape(url)})")


def html_link(text: object, url: object, style: str = "") -> Markup:
    """An ``<a>`` for an http(s) URL, otherwise the escaped text and URL without a link."""
    if is_http_url(url):
        style_attr = Markup(' style="{}"').format(style) if style else Markup("")
        return Markup('<a href="{}"{}>{}</a>').format(url, style_attr, text)
    if not url:
        return escape(text)
    return Markup("{} ({})").format(text, url)


def text_link(text: object, url: object) -> Raw:
    """``text <url>`` in plain text (no link semantics to exploit, so any URL is shown)."""
    label = text_clean(text)
    return Raw(f"{label} <{text_clean(url)}>" if url else label)


def _cue_spans(sentence: str, cues: Iterable[str]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for cue in cues:
        cue = cue.strip()
        if cue:
            spans.extend(
                m.span() for m in re.finditer(re.escape(cue), sentence, flags=re.IGNORECASE)
            )
    # leftmost first, then longest: "trade zone" wins over "trade" at the same place
    spans.sort(key=lambda s: (s[0], -s[1]))
    chosen: list[tuple[int, int]] = []
    for start, end in spans:
        if not chosen or start >= chosen[-1][1]:
            chosen.append((start, end))
    return chosen


def _emphasise(
    sentence: str, cues: Iterable[str], plain: Callable[[str], str], strong: Callable[[str], str]
) -> list[str]:
    out: list[str] = []
    pos = 0
    for start, end in _cue_spans(sentence, cues):
        out.append(plain(sentence[pos:start]))
        out.append(strong(sentence[start:end]))
        pos = end
    out.append(plain(sentence[pos:]))
    return out


def md_emphasise(sentence: str, cues: Iterable[str]) -> Raw:
    """The sentence as Markdown with each cue occurrence in **bold**."""
    pieces = _emphasise(_one_line(sentence), cues, _md_chars, lambda c: f"**{_md_chars(c)}**")
    return Raw("".join(pieces))


def html_emphasise(sentence: str, cues: Iterable[str]) -> Markup:
    """The sentence as escaped HTML with each cue occurrence in ``<strong>``."""
    pieces = _emphasise(_one_line(sentence), cues, escape, Markup("<strong>{}</strong>").format)
    # every piece is Markup (escaped text or our own tag), so join keeps them as they are
    return Markup("").join(pieces)


def text_emphasise(sentence: str, cues: Iterable[str]) -> Raw:
    """The sentence as plain text with each cue occurrence marked ``*like this*``."""
    return Raw("".join(_emphasise(_one_line(sentence), cues, str, lambda c: f"*{c}*")))
