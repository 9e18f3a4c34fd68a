"""Parsing: pure functions from fetched bytes to feed entries and clean articles.

Parsers are registered by name in :data:`PARSERS`; ``config/sources.yaml`` refers to them by
that name. Adding an outlet is one module with one class plus one entry here.
"""

from __future__ import annotations

from parsers.base import PageParser
from parsers.dailynk import DailyNKParser
from parsers.generic import GenericParser
from parsers.kcnawatch import KCNAWatchParser
from parsers.nknews import NKNewsParser
from parsers.thirtyeightnorth import ThirtyEightNorthParser
from parsers.yonhap import YonhapParser

PARSERS: dict[str, PageParser] = {
    "38north": ThirtyEightNorthParser(),
    "dailynk": DailyNKParser(),
    "generic": GenericParser(),
    "kcnawatch": KCNAWatchParser(),
    "nknews": NKNewsParser(),
    "yonhap": YonhapParser(),
}


def get_parser(name: str) -> PageParser:
    """The parser registered as ``name``; KeyError naming the known parsers otherwise."""
    try:
        return PARSERS[name]
    except KeyError:
        known = ", ".join(sorted(PARSERS))
        raise KeyError(f"unknown parser {name!r}; known: {known}") from None
