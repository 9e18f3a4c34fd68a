"""config/sources.yaml validation: good files load, bad ones name the file, field and fix."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tradewatch.configfile import ConfigError
from tradewatch.settings import DEFAULT_SOURCES_FILE
from tradewatch.sources_config import SourceKind, load_sources


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sources.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_shipped_sources_file_lists_the_field_outlets() -> None:
    config = load_sources(DEFAULT_SOURCES_FILE)
    names = {s.name for s in config.sources}
    assert {"38north", "dailynk"} <= names
    assert all(s.url.startswith("https://") for s in config.sources)


def test_minimal_entry_gets_defaults(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sources:\n  - {name: mine, kind: feed, url: 'http://127.0.0.1:8080/feed',"
        " parser: generic}\n",
    )
    (source,) = load_sources(path).sources
    assert source.kind is SourceKind.FEED
    assert source.display_outlet == "mine"
    assert source.fetch_every == timedelta(hours=1)
    assert source.allows_local  # its own URL is on loopback


def test_public_source_does_not_allow_local_addresses(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sources:\n  - {name: x, kind: feed, url: 'https://example.org/feed', parser: generic,"
        " expected_interval: 3d}\n",
    )
    (source,) = load_sources(path).sources
    assert not source.allows_local
    assert source.expected_interval == timedelta(days=3)


def test_unknown_parser_lists_known_ones(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sources:\n"
        "  - {name: a, kind: feed, url: 'https://a.example/feed', parser: generic}\n"
        "  - {name: b, kind: feed, url: 'https://b.example/feed', parser: dailnk}\n",
    )
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    message = str(info.value)
    assert f'{path}: sources[1].parser: unknown parser "dailnk"; known: ' in message
    assert "dailynk" in message and "38north" in message


def test_all_problems_reported_at_once(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sources:\n"
        "  - {name: a, kind: rss, url: 'https://a.example/feed', parser: generic}\n"
        "  - {name: b, kind: feed, url: 'ftp://b.example/feed', parser: generic}\n"
        "  - {name: c, kind: feed, parser: generic}\n",
    )
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    problems = info.value.problems
    assert any(p.startswith("sources[0].kind:") for p in problems)
    assert any(p.startswith("sources[1].url:") and "http" in p for p in problems)
    assert any(p.startswith("sources[2].url:") and "required" in p.lower() for p in problems)


def test_duplicate_names_and_listing_without_selectors(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sources:\n"
        "  - {name: a, kind: listing, url: 'https://a.example/', parser: generic}\n"
        "  - {name: a, kind: feed, url: 'https://a.example/feed', parser: generic}\n",
    )
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    text = str(info.value)
    assert "listing" in text and "item" in text


def test_malformed_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "sources:\n  - name: a\n   kind: [feed\n")
    with pytest.raises(ConfigError) as info:
        load_sources(path)
    assert str(info.value).startswith(f"{path}: line ")
    assert "invalid YAML" in str(info.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_sources(tmp_path / "nope.yaml")


def test_bad_duration(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "sources:\n  - {name: a, kind: feed, url: 'https://a.example/f', parser: generic,"
        " fetch_every: soon}\n",
    )
    with pytest.raises(ConfigError, match=r"sources\[0\]\.fetch_every: .*30m, 6h, 7d"):
        load_sources(path)


def test_selecting_unknown_source_names_known_ones() -> None:
    config = load_sources(DEFAULT_SOURCES_FILE)
    with pytest.raises(ValueError, match=r"unknown source nope; known: .*dailynk"):
        config.enabled(["nope"])
