"""The parser registry and the errors every outlet parser raises."""

from __future__ import annotations

import pytest

from parsers import PARSERS, get_parser
from parsers.base import FetchedPage, ParseError


def test_registry_keys_match_parser_names() -> None:
    assert set(PARSERS) == {"38north", "dailynk", "generic", "kcnawatch", "nknews", "yonhap"}
    for key, parser in PARSERS.items():
        assert parser.name == key


def test_get_parser_unknown_name_lists_known_ones() -> None:
    with pytest.raises(KeyError) as info:
        get_parser("dailnk")
    message = str(info.value)
    assert "dailnk" in message
    assert "38north, dailynk, generic, kcnawatch, nknews, yonhap" in message


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_page_without_title_raises_parse_error(name: str) -> None:
    page = FetchedPage(url="https://ex.org/a", body=b"<html><body><div></div></body></html>")
    with pytest.raises(ParseError):
        get_parser(name).parse(page)


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_page_without_body_raises_parse_error(name: str) -> None:
    html = b"<html><head><title>T</title></head><body><h1 class='entry-title'>T</h1></body></html>"
    with pytest.raises(ParseError, match="body"):
        get_parser(name).parse(FetchedPage(url="https://ex.org/a", body=html))


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_empty_body_raises_parse_error(name: str) -> None:
    with pytest.raises(ParseError):
        get_parser(name).parse(FetchedPage(url="https://ex.org/a", body=b""))
