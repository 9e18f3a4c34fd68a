"""Decoding, text and date helpers."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from parsers.html import (
    KST,
    canonical_url,
    collapse_ws,
    decode_html,
    make_soup,
    parse_date,
    text_of,
)

KOREAN = "북한 무역회사의 외화 수입"


def test_decode_honours_bom_over_everything() -> None:
    body = b"\xef\xbb\xbf<meta charset='euc-kr'>" + KOREAN.encode("utf-8")
    assert decode_html(body, "text/html; charset=iso-8859-1").endswith(KOREAN)


def test_decode_uses_http_charset() -> None:
    body = f"<p>{KOREAN}</p>".encode("euc-kr")
    assert KOREAN in decode_html(body, "text/html; charset=EUC-KR")


def test_decode_uses_meta_charset_when_header_has_none() -> None:
    body = f'<meta http-equiv="Content-Type" content="text/html; charset=euc-kr"><p>{KOREAN}'
    assert KOREAN in decode_html(body.encode("euc-kr"), "text/html")


def test_decode_reads_cp949_only_characters_under_an_euc_kr_label() -> None:
    # "똠" exists only in CP949's extension of EUC-KR; browsers decode EUC-KR labels as CP949.
    text = "똠방각하"
    assert text in decode_html(f"<meta charset='euc-kr'>{text}".encode("cp949"))


def test_decode_sniffs_undeclared_korean() -> None:
    assert KOREAN in decode_html(f"<p>{KOREAN}</p>".encode("euc-kr"))


def test_decode_survives_a_wrong_declaration() -> None:
    body = f"<meta charset='utf-8'><p>{KOREAN}</p>".encode("euc-kr")
    assert KOREAN in decode_html(body, "text/html; charset=utf-8")


def test_decode_latin1_label_reads_windows_1252() -> None:
    assert "“quoted”" in decode_html("“quoted”".encode("cp1252"), "text/html; charset=ISO-8859-1")


def test_collapse_ws_handles_nbsp_and_newlines() -> None:
    assert collapse_ws("  a\xa0\n\t b  ") == "a b"


def test_text_of_joins_inline_without_spaces_and_breaks_with_one() -> None:
    soup = make_soup("<h1>Part one:<br>part <em>two</em>, <a href='#'>end</a>.</h1>")
    assert text_of(soup) == "Part one: part two, end."


def test_canonical_url_prefers_rel_canonical_and_resolves_relative() -> None:
    soup = make_soup('<link rel="canonical" href="/a/b/#top"><meta property="og:url" content="x">')
    assert canonical_url(soup, "https://ex.org/a/b/?x=1") == "https://ex.org/a/b/"


def test_canonical_url_falls_back_to_page_url() -> None:
    assert canonical_url(make_soup("<p>x</p>"), "https://ex.org/p#frag") == "https://ex.org/p"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2025-01-30T09:00:00+09:00", datetime(2025, 1, 30, 0, 0, tzinfo=UTC)),
        ("2025-01-30T09:00:00Z", datetime(2025, 1, 30, 9, 0, tzinfo=UTC)),
        ("2025-01-30", datetime(2025, 1, 30, tzinfo=UTC)),
        ("January 30, 2025", datetime(2025, 1, 30, tzinfo=UTC)),
        ("Jan. 30, 2025 3:15 PM", datetime(2025, 1, 30, 15, 15, tzinfo=UTC)),
        ("30 January 2025", datetime(2025, 1, 30, tzinfo=UTC)),
        ("Thu, 30 Jan 2025 10:00:00 +0900", datetime(2025, 1, 30, 1, 0, tzinfo=UTC)),
        ("2025.01.30 12:00", datetime(2025, 1, 30, 12, 0, tzinfo=UTC)),
    ],
)
def test_parse_date_formats_are_tz_aware(text: str, expected: datetime) -> None:
    value = parse_date(text)
    assert value is not None
    assert value.tzinfo is not None
    assert value == expected


def test_parse_date_uses_default_zone_for_naive_values() -> None:
    value = parse_date("2025년 3월 14일 15:45", KST)
    assert value == datetime(2025, 3, 14, 6, 45, tzinfo=UTC)


@pytest.mark.parametrize("text", [None, "", "   ", "yesterday", "February 30, 2025"])
def test_parse_date_rejects_non_dates(text: str | None) -> None:
    assert parse_date(text) is None
