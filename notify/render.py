"""Rendering a `DigestContent` as Markdown, HTML and plain text with Jinja2 templates.

The shipped templates live in ``notify/templates/`` (``digest.md.j2``, ``digest.html.j2``,
``digest.txt.j2``); a ``templates_dir`` given by the caller is searched first, so a file of the
same name there replaces the shipped one. Templates run in Jinja's sandbox, and every
``{{ expression }}`` is escaped for its format by default (HTML by autoescape, Markdown and
text by a ``finalize`` hook), so an overriding template cannot forget to escape. Helpers that
build markup (``link``, ``emph``) return values marked safe.

Template context: ``c`` (the `DigestContent`), ``summary_line`` (str). Globals: ``link(text,
url)``, ``emph(quote)``, ``dt(datetime|None)``, ``day(datetime|None)``, ``plural(n, word)``.

Immediate alerts use ``alert.md.j2``, ``alert.html.j2`` and ``alert.txt.j2`` the same way, with
``c`` an `AlertContent`; they are overridable from the same directory.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple

from jinja2 import BaseLoader, ChoiceLoader, FileSystemLoader, StrictUndefined
from jinja2.sandbox import SandboxedEnvironment

from notify.content import AlertContent, DigestContent, DigestSummary, EvidenceQuote
from notify.escape import (
    html_emphasise,
    html_link,
    md_emphasise,
    md_escape,
    md_link,
    text_clean,
    text_emphasise,
    text_link,
)

__all__ = [
    "SHIPPED_TEMPLATES",
    "RenderedAlert",
    "render_alert",
    "render_html",
    "render_markdown",
    "render_text",
    "summary_line",
]

SHIPPED_TEMPLATES = Path(__file__).parent / "templates"

_LINK_STYLE = "color:#1a56db;text-decoration:underline"


def plural(n: int, word: str) -> str:
    """``"1 departure"``, ``"2 departures"``; ``"new item"`` becomes ``"new items"``."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def summary_line(summary: DigestSummary) -> str:
    """The digest's first line, e.g. "2 departures, 1 confirmation, 0 new items · sources: …"."""
    return (
        f"{plural(summary.departures, 'departure')}, "
        f"{plural(summary.confirmations, 'confirmation')}, "
        f"{plural(summary.new_items, 'new item')} · "
        f"sources: {summary.sources_healthy} healthy, {summary.sources_unhealthy} unhealthy"
    )


def _dt(value: datetime | None) -> str:
    if value is None:
        return "unknown time"
    if value.tzinfo is not None:
        value = value.astimezone(UTC)
    return value.strftime("%Y-%m-%d %H:%M UTC")


def _day(value: datetime | None) -> str:
    return "undated" if value is None else value.strftime("%Y-%m-%d")


def _emph(fn: Callable[[str, tuple[str, ...]], str]) -> Callable[[EvidenceQuote], str]:
    return lambda quote: fn(quote.sentence, quote.cues)


_FORMATS: dict[str, tuple[str, dict[str, Any], Callable[[Any], Any] | None, bool]] = {
    # name: (template, globals, finalize, autoescape)
    "md": (
        "digest.md.j2",
        {"link": md_link, "emph": _emph(md_emphasise)},
        md_escape,
        False,
    ),
    "html": (
        "digest.html.j2",
        {
            "link": lambda text, url: html_link(text, url, _LINK_STYLE),
            "emph": _emph(html_emphasise),
        },
        None,
        True,
    ),
    "txt": (
        "digest.txt.j2",
        {"link": text_link, "emph": _emph(text_emphasise)},
        text_clean,
        False,
    ),
}


@lru_cache(maxsize=16)
def _environment(fmt: str, templates_dir: Path | None) -> SandboxedEnvironment:
    _name, helpers, finalize, autoescape = _FORMATS[fmt]
    loaders: list[BaseLoader] = [FileSystemLoader(SHIPPED_TEMPLATES)]
    if templates_dir is not None:
        loaders.insert(0, FileSystemLoader(templates_dir))
    env = SandboxedEnvironment(
        loader=ChoiceLoader(loaders),
        autoescape=autoescape,
        finalize=finalize,
        undefined=StrictUndefined,  # a typo in an override template fails loudly
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(helpers)
    env.globals.update({"dt": _dt, "day": _day, "plural": plural})
    return env


def _render(fmt: str, content: DigestContent, templates_dir: Path | None) -> str:
    env = _environment(fmt, templates_dir.resolve() if templates_dir is not None else None)
    template = env.get_template(_FORMATS[fmt][0])
    return template.render(c=content, summary_line=summary_line(content.summary))


class RenderedAlert(NamedTuple):
    """An alert in every format a channel may take."""

    title: str
    markdown: str
    html: str
    text: str


def render_alert(content: AlertContent, *, templates_dir: Path | None = None) -> RenderedAlert:
    """The alert as Markdown, HTML and text (``alert.*.j2`` templates)."""
    resolved = templates_dir.resolve() if templates_dir is not None else None
    bodies = [
        _environment(fmt, resolved).get_template(f"alert.{fmt}.j2").render(c=content)
        for fmt in ("md", "html", "txt")
    ]
    return RenderedAlert(content.title, *bodies)


def render_markdown(content: DigestContent, *, templates_dir: Path | None = None) -> str:
    """The digest as Markdown (CommonMark; also reads well as plain text)."""
    return _render("md", content, templates_dir)


def render_html(content: DigestContent, *, templates_dir: Path | None = None) -> str:
    """The digest as a complete HTML document with inline styles only, for mail clients."""
    return _render("html", content, templates_dir)


def render_text(content: DigestContent, *, templates_dir: Path | None = None) -> str:
    """The digest as plain text."""
    return _render("txt", content, templates_dir)
