"""``config/sources.yaml``: which outlets to watch, validated once.

A source needs only ``name``, ``kind``, ``url`` and ``parser``; everything else has a default.
Parser names are checked against the registry in ``parsers.PARSERS`` so a typo fails at load
time with the list of known names.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tradewatch.configfile import load_model

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: object) -> object:
    """Accept ``90m``, ``6h``, ``7d``, ``2w`` (or anything pydantic reads as a timedelta)."""
    if isinstance(value, str):
        match = _DURATION.match(value)
        if match is None:
            raise ValueError(f"expected a duration like 30m, 6h, 7d or 2w, not {value!r}")
        amount, unit = match.groups()
        return timedelta(**{_UNITS[unit]: int(amount)})
    return value


class SourceKind(StrEnum):
    FEED = "feed"  # RSS or Atom
    SITEMAP = "sitemap"  # XML sitemap or sitemap index
    LISTING = "listing"  # an HTML page of links, read with CSS selectors


class ListingSelectors(BaseModel):
    """How to find article links on an HTML listing page."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(description="CSS selector of one listed item, e.g. 'article'")
    link: str = Field(default="a[href]", description="CSS selector of the link inside an item")
    title: str | None = None
    date: str | None = None


class ArchiveKind(StrEnum):
    PAGED_FEED = "paged_feed"  # a feed with older pages, e.g. WordPress ``/feed/?paged=2``
    SITEMAP = "sitemap"  # a sitemap or sitemap index whose entries carry ``lastmod``
    LISTING = "listing"  # numbered HTML listing pages, read with the source's selectors


class ArchiveConfig(BaseModel):
    """Where a source keeps its past articles, for backfill.

    ``url`` may hold ``{page}`` (1, 2, ...); without it, a paged feed or listing gets
    ``?paged=N`` (WordPress's parameter) from page 2 on, and page 1 is ``url`` itself.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: ArchiveKind
    url: str
    max_pages: int = Field(default=50, gt=0, le=1000, description="pages (or child sitemaps)")
    page_param: str = Field(default="paged", pattern=r"^[A-Za-z0-9_-]+$")

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value.replace("{page}", "1"))
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL with a host")
        return value

    def page_url(self, page: int) -> str:
        """The URL of archive page ``page`` (1-based)."""
        if "{page}" in self.url:
            return self.url.replace("{page}", str(page))
        if page == 1:
            return self.url
        parts = urlsplit(self.url)
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != self.page_param]
        query.append((self.page_param, str(page)))
        return urlunsplit(parts._replace(query=urlencode(query)))


def _is_local_host(host: str) -> bool:
    if host in {"localhost", "localhost.localdomain"}:
        return True
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return ip.is_loopback or ip.is_private or ip.is_link_local


class SourceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="short id, e.g. dailynk")
    kind: SourceKind
    url: str
    parser: str
    outlet: str | None = Field(default=None, description="display name; defaults to name")
    enabled: bool = True
    local: bool | None = Field(
        default=None,
        description="allow private/loopback addresses; default: true only when the source's "
        "own URL is local",
    )
    fetch_every: timedelta = Field(default=timedelta(hours=1))
    expected_interval: timedelta = Field(default=timedelta(days=7))
    max_articles: int = Field(default=50, gt=0)
    listing: ListingSelectors | None = None
    archive: ArchiveConfig | None = Field(
        default=None, description="where backfill finds past articles; default: url only"
    )
    language: str = "en"

    _durations = field_validator("fetch_every", "expected_interval", mode="before")(parse_duration)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL with a host")
        return value

    @field_validator("parser")
    @classmethod
    def _known_parser(cls, value: str) -> str:
        from parsers import PARSERS

        if value not in PARSERS:
            known = ", ".join(sorted(PARSERS))
            raise ValueError(f'unknown parser "{value}"; known: {known}')
        return value

    @model_validator(mode="after")
    def _listing_needs_selectors(self) -> SourceConfig:
        if self.kind is SourceKind.LISTING and self.listing is None:
            raise ValueError("a listing source needs 'listing: {item: <css selector>}'")
        if (
            self.archive is not None
            and self.archive.kind is ArchiveKind.LISTING
            and self.listing is None
        ):
            raise ValueError("a listing archive needs the source's 'listing' selectors")
        return self

    @property
    def display_outlet(self) -> str:
        return self.outlet or self.name

    @property
    def hosts(self) -> tuple[str, ...]:
        """Host names this source is read from (its URL and its archive's), for limits."""
        urls = [self.url] + ([self.archive.page_url(1)] if self.archive else [])
        return tuple(dict.fromkeys((urlsplit(u).hostname or "") for u in urls))

    @property
    def allows_local(self) -> bool:
        if self.local is not None:
            return self.local
        return _is_local_host(urlsplit(self.url).hostname or "")


class SourcesFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    sources: tuple[SourceConfig, ...]

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        # Checked here rather than with min_length, which would also fire (misleadingly)
        # whenever an entry is invalid.
        if not self.sources:
            raise ValueError("list at least one source under 'sources:'")
        names = [s.name for s in self.sources]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"source names must be unique; repeated: {', '.join(dupes)}")
        return self

    def enabled(self, only: list[str] | None = None) -> list[SourceConfig]:
        """Enabled sources, or exactly the named ones (unknown names are an error)."""
        if not only:
            return [s for s in self.sources if s.enabled]
        by_name = {s.name: s for s in self.sources}
        unknown = [n for n in only if n not in by_name]
        if unknown:
            known = ", ".join(sorted(by_name))
            raise ValueError(f"unknown source {', '.join(unknown)}; known: {known}")
        return [by_name[n] for n in only]


def load_sources(path: Path) -> SourcesFile:
    """Load and validate a sources file; raises ``ConfigError`` naming file and field."""
    return load_model(path, SourcesFile)
