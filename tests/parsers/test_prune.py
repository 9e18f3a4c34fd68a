"""Pruning a page before BeautifulSoup must never change what the BeautifulSoup path extracts.

That path (``extract_article_bs4``) is the reference the lxml path is held to
(tests/parsers/test_lxml_equivalence.py), and the fallback it takes.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from parsers import base, get_parser
from parsers import profile as profile_module
from parsers.base import FetchedPage
from parsers.dailynk import PROFILE as DAILYNK
from parsers.prune import prune_page
from tests.parsers.test_article_fixtures import CASES, _load

PAGE = """<!DOCTYPE html><html><head><title>T</title>
<meta property="og:title" content="Head title"></head><body>
<nav><ul><li><a href="/">Home</a></li></ul></nav>
<div class="wrap"><article><h1 class="entry-title">Headline</h1>
<div class="post">First <b>para</b>.<p>Second para.</p></div></article>
<aside class="most-read"><h1>Sidebar heading</h1><p>Sidebar</p></aside></div>
<footer><p>Footer text</p><time datetime="2024-01-02">2 Jan</time></footer>
</body></html>"""


def _extract_both(
    page: FetchedPage, parser_name: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[object, object]:
    """(pruned result, unpruned result) of the BeautifulSoup path, the one that prunes: a
    ParsedArticle or the ParseError class raised."""
    profile = sys.modules[type(get_parser(parser_name)).__module__].PROFILE

    def run() -> object:
        try:
            return profile_module.extract_article_bs4(page, profile)
        except base.ParseError as exc:
            return type(exc)

    pruned = run()
    with monkeypatch.context() as patched:
        patched.setattr(profile_module, "prune_page", lambda html, **_: html)
        whole = run()
    return pruned, whole


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if c.parent.name != "generic"],
    ids=lambda p: f"{p.parent.name}/{p.stem}",
)
def test_fixture_pages_extract_the_same_pruned_or_whole(
    case: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page, _expected = _load(case)
    pruned, whole = _extract_both(page, case.parent.name, monkeypatch)
    assert pruned == whole


def test_bench_pages_extract_the_same_pruned_or_whole(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.site import render_article

    for j in range(5):
        body = render_article(3, 0, j, 0, "2024-05-01T09:00:00+09:00", "http://127.0.0.1:1")
        page = FetchedPage(url=f"http://127.0.0.1:1/a/{j}", body=body, content_type="text/html")
        pruned, whole = _extract_both(page, "dailynk", monkeypatch)
        assert isinstance(pruned, base.ParsedArticle)
        assert pruned == whole


def test_pruning_keeps_head_matches_and_their_ancestors_and_drops_the_rest() -> None:
    out = prune_page(PAGE, keep=("h1.entry-title", ".post", "time"), required=(".post",))
    assert "og:title" in out  # <head> is kept whole
    assert "Headline" in out and "Second para." in out and "<b>para</b>" in out
    assert 'class="wrap"' in out and "<article>" in out  # ancestors of matches stay
    assert "2024-01-02" in out  # a kept element inside an otherwise dropped footer
    assert "Home" not in out and "Sidebar" not in out and "Footer text" not in out


def test_a_first_match_elsewhere_survives_so_first_match_wins_stays_true() -> None:
    # "h1" matches the sidebar's heading too: it is kept, so "first usable h1" is unchanged.
    out = prune_page(PAGE, keep=("h1", ".post"), required=(".post",))
    assert out.index("Headline") < out.index("Sidebar heading")


@pytest.mark.parametrize(
    "keep",
    [("h1 + .post", ".post"), ("li:first-child", ".post"), ("h1 ~ div", ".post")],
)
def test_sibling_sensitive_selectors_disable_pruning(keep: tuple[str, ...]) -> None:
    assert prune_page(PAGE, keep=keep, required=(".post",)) == PAGE


def test_attribute_word_match_is_not_mistaken_for_a_sibling_combinator() -> None:
    html = PAGE.replace("<title>T</title>", '<link rel="canonical" href="/x">')
    out = prune_page(html, keep=("link[rel~=canonical]", ".post"), required=(".post",))
    assert out != html and 'rel="canonical"' in out


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        '<?xml version="1.0" encoding="utf-8"?><html><body><div class="post">x</div></body></html>',
    ],
)
def test_pages_lxml_cannot_take_are_passed_through(html: str) -> None:
    assert prune_page(html, keep=(".post",), required=(".post",)) == html


def test_no_body_match_passes_the_page_through_for_the_usual_error() -> None:
    assert prune_page(PAGE, keep=(".nothing", "h1"), required=(".nothing",)) == PAGE
    page = FetchedPage(url="https://example.org/a", body=PAGE.encode(), content_type=None)
    with pytest.raises(base.ParseError, match="no article body"):
        profile_module.extract_article_bs4(page, DAILYNK)


def test_unparseable_selector_disables_pruning() -> None:
    assert prune_page(PAGE, keep=("h1[", ".post"), required=(".post",)) == PAGE
