"""Rendering: section order, escaping, cue emphasis, heartbeat and template overrides."""

from __future__ import annotations

import re
from pathlib import Path

import markdown as python_markdown
import pytest

from notify.content import DigestItem, EvidenceQuote
from notify.render import render_html, render_markdown, render_text
from tests.notify.samples import DEPARTURE_SENTENCE, content, departure_item, empty_content

SECTIONS = [
    "Departures from the baseline",
    "Confirmations",
    "New dimensions",
    "Source health",
    "Revisions",
]
SUMMARY = "1 departure, 1 confirmation, 1 new item · sources: 4 healthy, 1 unhealthy"


def _positions(rendered: str, needles: list[str]) -> list[int]:
    return [rendered.index(n) for n in needles]


@pytest.mark.parametrize(
    ("render", "sections"),
    [
        (render_markdown, SECTIONS),
        (render_html, SECTIONS),
        (render_text, [s.upper() for s in SECTIONS]),
    ],
    ids=["md", "html", "txt"],
)
def test_sections_come_in_reading_order(render: object, sections: list[str]) -> None:
    assert callable(render)
    out = render(content())
    footer = "reach the analyst on duty"
    positions = _positions(out, [SUMMARY, *sections, footer])
    assert positions == sorted(positions)


def test_markdown_departure_shows_baseline_stance_and_corroboration() -> None:
    out = render_markdown(content())
    assert "### Trade authority: reported by 2 outlets" in out
    assert "Baseline: *centralizing*" in out
    assert "reported: *devolving to provinces* (loosening)" in out
    assert "confidence 0.82" in out
    assert "state\\_oversight: tightening (confirms)" in out


def test_cues_are_emphasised_in_each_format() -> None:
    md = render_markdown(content())
    html = render_html(content())
    txt = render_text(content())
    assert "**Provincial trading companies** may now sign" in md
    assert "partners **without prior approval** from" in md
    assert "<strong>Provincial trading companies</strong> may now sign" in html
    assert "<strong>without prior approval</strong>" in html
    assert "*without prior approval*" in txt


def _hostile_content() -> object:
    item = departure_item(
        title='<script>alert("x")</script> Trade fair](javascript:alert(1)) <b>bold</b>',
        url="javascript:alert(document.cookie)",
        outlet="<img src=x onerror=alert(1)>",
        evidence=(
            EvidenceQuote(sentence="Quota <script>steal()</script> lifted", cues=("lifted",)),
        ),
    )
    group = content().departures[0]
    return content(
        departures=(type(group)(**{**vars(group), "items": (item,)}),),
        footer="<script>evil()</script>",
    )


def test_html_escapes_untrusted_strings_and_refuses_non_http_links() -> None:
    html = render_html(_hostile_content())  # type: ignore[arg-type]
    assert "<script" not in html.lower()
    assert "<img" not in html
    assert 'href="javascript:' not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    # the URL is still shown, as inert text
    assert "javascript:alert(document.cookie)" in html
    # genuine http(s) links are kept
    assert 'href="https://watch.example.net/cabinet-unified-guidance"' in html


def test_html_is_a_complete_document_with_inline_styles_only() -> None:
    html = render_html(content())
    assert html.lstrip().startswith("<!DOCTYPE html>")
    assert html.rstrip().endswith("</html>")
    assert "<style" not in html
    assert "<script" not in html
    assert 'style="' in html


def test_markdown_title_cannot_make_a_fake_link_or_raw_html() -> None:
    md = render_markdown(_hostile_content())  # type: ignore[arg-type]
    as_html = python_markdown.markdown(md)
    hrefs = re.findall(r'href="([^"]*)"', as_html)
    assert hrefs  # the genuine links survive
    assert not [h for h in hrefs if not h.startswith("https://")]
    assert "<script" not in as_html
    assert "<img" not in as_html
    # the hostile title is one line of literal text
    assert "Trade fair\\](javascript:alert(1))" in md


def test_markdown_newline_in_title_does_not_start_a_heading() -> None:
    item = departure_item(title="Harmless\n# Injected heading")
    group = content().departures[0]
    md = render_markdown(content(departures=(type(group)(**{**vars(group), "items": (item,)}),)))
    assert "\n# Injected" not in md
    assert "Harmless \\# Injected heading" in md


def test_text_strips_control_characters() -> None:
    item = departure_item(title="Border \x1b[31mred\x1b[0m trade")
    group = content().departures[0]
    txt = render_text(content(departures=(type(group)(**{**vars(group), "items": (item,)}),)))
    assert "\x1b" not in txt
    assert "Border [31mred [0m trade" in txt


@pytest.mark.parametrize(
    "render", [render_markdown, render_html, render_text], ids=["md", "html", "txt"]
)
def test_empty_window_renders_a_heartbeat(render: object) -> None:
    assert callable(render)
    out = render(empty_content())
    assert "Nothing new in this window" in out
    assert "2025-03-01 06:00 UTC" in out and "2025-03-02 06:00 UTC" in out
    assert "kcnawatch" in out  # source health still reported
    assert "0 departures, 0 confirmations, 0 new items" in out
    assert "Departures from the baseline" not in out
    assert "DEPARTURES" not in out


def test_template_override_from_directory(tmp_path: Path) -> None:
    (tmp_path / "digest.md.j2").write_text(
        "CUSTOM {{ c.title }} | {{ summary_line }} | {{ c.departures[0].items[0].title }}\n",
        encoding="utf-8",
    )
    out = render_markdown(content(title="Weekly *trade* digest"), templates_dir=tmp_path)
    assert out.startswith("CUSTOM Weekly \\*trade\\* digest | 1 departure")
    # formats without an override still use the shipped templates
    assert "Departures from the baseline" in render_html(content(), templates_dir=tmp_path)


def test_override_templates_are_sandboxed(tmp_path: Path) -> None:
    from jinja2.exceptions import SecurityError

    (tmp_path / "digest.txt.j2").write_text(
        "{{ c.__class__.__init__.__globals__ }}\n", encoding="utf-8"
    )
    with pytest.raises(SecurityError):
        render_text(content(), templates_dir=tmp_path)


def test_item_without_evidence_or_date_still_renders() -> None:
    item = DigestItem(
        title="Untitled notice",
        url="",
        outlet="Example Daily",
        published=None,
        dimension=None,
        dimension_title=None,
        direction="steady",
        relation="confirms",
        confidence=0.4,
        evidence=(),
    )
    out = render_markdown(content(confirmations=(item,)))
    assert "- Untitled notice · Example Daily, undated · general" in out
    assert DEPARTURE_SENTENCE.split("approval ")[1] in out  # the departures are untouched
