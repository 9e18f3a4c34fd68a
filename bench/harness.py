"""Driving the pipeline the way the flows do, minus Prefect: sources, settings, one pass."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from bench.common import Stopwatch
from tradewatch.pipeline import DateWindow, PipelineContext, SourceReport, check_source
from tradewatch.settings import Settings
from tradewatch.sources_config import SourceConfig, SourceKind


def feed_sources(base_url: str, outlets: int) -> list[SourceConfig]:
    """One Atom-feed source per outlet of the benchmark site, read with the dailynk parser."""
    return [
        SourceConfig(
            name=f"o{i}",
            kind=SourceKind.FEED,
            url=f"{base_url}/o{i}/feed.xml",
            parser="dailynk",
            outlet=f"Bench outlet {i}",
            local=True,
        )
        for i in range(outlets)
    ]


def archive_source(base_url: str, outlet: int, max_articles: int) -> SourceConfig:
    """An outlet's whole archive through its sitemap index, for backfill."""
    return SourceConfig(
        name=f"archive{outlet}",
        kind=SourceKind.SITEMAP,
        url=f"{base_url}/o{outlet}/sitemap.xml",
        parser="dailynk",
        outlet=f"Bench outlet {outlet}",
        local=True,
        max_articles=max_articles,
    )


def bench_settings(*, db_url: str, data_dir: Path, max_articles: int = 50) -> Settings:
    """Settings for a benchmark run: its own database and data directory."""
    return Settings(data_dir=data_dir, database_url=db_url, max_articles_per_source=max_articles)


def write_sources_file(path: Path, sources: Sequence[SourceConfig]) -> Path:
    """``sources`` as a ``sources.yaml`` the flows can load."""
    entries = [s.model_dump(mode="json", exclude_none=True) for s in sources]
    for entry in entries:
        # Durations back in the file's own notation (pydantic dumps ISO 8601 strings).
        entry.pop("fetch_every", None)
        entry.pop("expected_interval", None)
    path.write_text(yaml.safe_dump({"sources": entries}, sort_keys=False))
    return path


@dataclass
class PassResult:
    """One pass over a list of sources: time taken and the reports, summed."""

    wall: float
    cpu: float
    reports: list[SourceReport] = field(default_factory=list)
    own_cpu: float = 0.0  # the calling process's share of ``cpu``
    switches: int = 0  # its voluntary context switches

    def total(self, attr: str) -> int:
        return sum(int(getattr(r, attr)) for r in self.reports)

    @property
    def errors(self) -> list[str]:
        return [f"{r.source}: {r.error}" for r in self.reports if r.error_kind]


def run_pass(
    ctx: PipelineContext,
    sources: Sequence[SourceConfig],
    *,
    window: DateWindow | None = None,
    historical: bool = False,
    now: datetime | None = None,
) -> PassResult:
    """``check_source`` over every source in turn, timed (wall and this process's CPU)."""
    reports: list[SourceReport] = []
    with Stopwatch() as watch:
        for source in sources:
            reports.append(check_source(ctx, source, window=window, historical=historical, now=now))
    result = PassResult(
        wall=watch.wall,
        cpu=watch.cpu,
        reports=reports,
        own_cpu=watch.own_cpu,
        switches=watch.switches,
    )
    if result.errors:
        raise RuntimeError("benchmark pass had failures: " + "; ".join(result.errors[:5]))
    return result
