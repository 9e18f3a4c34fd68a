"""``tradewatch sources check``: is each configured source reachable, allowed and parseable?

Each source's listing is fetched once (robots.txt first, through the same polite fetcher the
monitor uses) and parsed; nothing is stored except robots.txt answers in their cache.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from parsers.base import ParseError
from sources.errors import BlockedByRobots, FetchError, PageTooLarge
from sources.fetcher import Fetcher
from tradewatch.discovery import parse_entries
from tradewatch.sources_config import SourceConfig


@dataclass(frozen=True)
class SourceCheck:
    """What one check of one source found. ``robots_allowed`` is None when not reached."""

    name: str
    kind: str
    url: str
    parser: str
    reachable: bool
    robots_allowed: bool | None
    status: int | None
    items: int
    newest: datetime | None
    error_kind: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["newest"] = self.newest.isoformat() if self.newest else None
        data["ok"] = self.ok
        return data


def check_one(fetcher: Fetcher, source: SourceConfig) -> SourceCheck:
    """Fetch and parse ``source``'s listing once; every failure becomes a value."""
    base = {
        "name": source.name,
        "kind": source.kind.value,
        "url": source.url,
        "parser": source.parser,
    }
    try:
        fetcher.check_robots(source.url, allow_local=source.allows_local)
    except BlockedByRobots as exc:
        unreadable = "unavailable" in str(exc)
        return SourceCheck(
            **base,
            reachable=not unreadable,
            robots_allowed=False,
            status=None,
            items=0,
            newest=None,
            error_kind=exc.kind,
            error=str(exc),
        )
    try:
        result = fetcher.get(source.url, allow_local=source.allows_local)
    except FetchError as exc:
        return SourceCheck(
            **base,
            reachable=isinstance(exc, PageTooLarge),
            robots_allowed=True,
            status=getattr(exc, "status", None),
            items=0,
            newest=None,
            error_kind=exc.kind,
            error=str(exc),
        )
    try:
        entries = parse_entries(fetcher, source, result)
    except (FetchError, ParseError) as exc:
        return SourceCheck(
            **base,
            reachable=True,
            robots_allowed=True,
            status=result.status,
            items=0,
            newest=None,
            error_kind=exc.kind if isinstance(exc, FetchError) else "malformed",
            error=str(exc),
        )
    dates = [d for e in entries for d in (e.published, e.updated) if d is not None]
    return SourceCheck(
        **base,
        reachable=True,
        robots_allowed=True,
        status=result.status,
        items=len(entries),
        newest=max(dates, default=None),
    )


def check_sources(
    fetcher: Fetcher, sources: Sequence[SourceConfig], *, workers: int = 4
) -> list[SourceCheck]:
    """Check every source (several at once; the fetcher keeps per-host limits), in order."""
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(lambda source: check_one(fetcher, source), sources))


def _yes_no(value: bool | None) -> str:
    return "-" if value is None else ("yes" if value else "no")


def format_table(checks: Sequence[SourceCheck]) -> str:
    """A fixed-width table, one row per source, errors in the last column."""
    header = ("source", "reachable", "robots", "items", "parser", "newest item", "error")
    rows = [
        (
            c.name,
            _yes_no(c.reachable),
            _yes_no(c.robots_allowed),
            str(c.items),
            c.parser,
            f"{c.newest.astimezone(UTC):%Y-%m-%d %H:%M} UTC" if c.newest else "-",
            f"{c.error_kind}: {c.error}" if c.error else "",
        )
        for c in checks
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)
