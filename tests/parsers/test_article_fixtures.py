"""Golden tests: every ``tests/fixtures/<parser>/<case>.html`` beside ``<case>.expected.json``.

The folder name is the parser's registry name; the test id is ``<parser>/<case>``. Expected
keys: ``url`` (the fetched URL) and optional ``content_type`` are inputs; ``title``,
``published`` (ISO or null), ``authors``, ``canonical_url``, ``first_paragraph``,
``last_paragraph`` and optional ``paragraph_count``, ``contains`` and ``absent`` are checked.
A case whose expected file says ``"error": "<ParseError subclass>"`` must raise that instead
(an NK Pro teaser raises ``PaywallTeaser``).
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from parsers import PARSERS, base, get_parser
from parsers.base import FetchedPage

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CASES = sorted(
    path
    for name in PARSERS
    if (FIXTURES / name).is_dir()
    for path in (FIXTURES / name).glob("*.html")
)


def _load(case: Path) -> tuple[FetchedPage, dict[str, Any]]:
    expected: dict[str, Any] = json.loads(
        case.with_name(f"{case.stem}.expected.json").read_text(encoding="utf-8")
    )
    page = FetchedPage(
        url=expected["url"], body=case.read_bytes(), content_type=expected.get("content_type")
    )
    return page, expected


def test_every_registered_outlet_parser_has_cases() -> None:
    covered = {case.parent.name for case in CASES}
    assert covered == set(PARSERS)


@pytest.mark.parametrize("case", CASES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_article_fixture(case: Path) -> None:
    page, expected = _load(case)
    if "error" in expected:
        error = getattr(base, expected["error"])
        assert issubclass(error, base.ParseError)
        with pytest.raises(error):
            get_parser(case.parent.name).parse(page)
        return
    article = get_parser(case.parent.name).parse(page)
    paragraphs = article.text.split("\n\n")

    assert article.title == expected["title"]
    assert article.url == expected["canonical_url"]
    assert list(article.authors) == expected["authors"]
    if expected["published"] is None:
        assert article.published is None
    else:
        assert article.published is not None
        assert article.published.utcoffset() is not None
        assert article.published == datetime.fromisoformat(expected["published"])
    assert paragraphs[0] == expected["first_paragraph"]
    assert paragraphs[-1] == expected["last_paragraph"]
    if "paragraph_count" in expected:
        assert len(paragraphs) == expected["paragraph_count"]
    for snippet in expected.get("contains", []):
        assert snippet in article.text
    for snippet in expected.get("absent", []):
        assert snippet not in article.text, f"{snippet!r} should have been dropped"
