"""canonicalize_url."""

from __future__ import annotations

import pytest

from parsers.urls import canonicalize_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("HTTPS://WWW.38North.ORG/2025/02/x/", "https://www.38north.org/2025/02/x"),
        ("https://ex.org:443/a", "https://ex.org/a"),
        ("http://ex.org:80/a", "http://ex.org/a"),
        ("http://ex.org:8080/a", "http://ex.org:8080/a"),
        ("https://ex.org/a#comments", "https://ex.org/a"),
        ("https://ex.org/a?utm_source=rss&utm_medium=feed", "https://ex.org/a"),
        ("https://ex.org/a?fbclid=1&gclid=2&id=7", "https://ex.org/a?id=7"),
        ("https://ex.org/a?b=2&a=1&UTM_Campaign=x", "https://ex.org/a?a=1&b=2"),
        ("https://ex.org/", "https://ex.org/"),
        ("https://ex.org", "https://ex.org/"),
        ("https://ex.org/Path/Keeps/Case", "https://ex.org/Path/Keeps/Case"),
        ("https://ex.org/s?q=a%20b", "https://ex.org/s?q=a%20b"),
        ("https://ex.org/p?empty=", "https://ex.org/p?empty="),
    ],
)
def test_canonicalize_url(raw: str, expected: str) -> None:
    assert canonicalize_url(raw) == expected


def test_canonicalize_url_is_idempotent() -> None:
    once = canonicalize_url("HTTPS://Ex.org:443/a/b/?z=1&utm_source=x&a=2#f")
    assert canonicalize_url(once) == once == "https://ex.org/a/b?a=2&z=1"
