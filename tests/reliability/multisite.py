"""A multi-source run on the loopback sample site, and before/after snapshots of storage.

The site is the demo site with each of its three articles copied under ``desk-b/``, ``desk-c/``
and ``faulty/``, each folder with its own feed, so every source lists three articles of its
own. A fault matrix case runs the earlier source first, snapshots what is stored, injects the
fault, runs every source, and compares.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, SQLModel, select

from storage.models import Article, ArticleRevision, Assessment, FetchLog, Signal, SourceState
from tradewatch.pipeline import PipelineContext, SourceOutcome, SourceReport, check_source
from tradewatch.sitehost import SampleSite
from tradewatch.sources_config import SourceConfig, SourceKind

DESKS = ("desk-b", "desk-c", "faulty")
ARTICLE_DIRS = ("2023", "2025")
SNAPSHOT_TABLES: tuple[type[SQLModel], ...] = (Article, ArticleRevision, Assessment, Signal)


def add_desks(root: Path) -> None:
    """Copy the demo articles and feed under each desk folder, links rewritten to match."""
    feed = (root / "feed.xml").read_text(encoding="utf-8")
    for desk in DESKS:
        for top in ARTICLE_DIRS:
            shutil.copytree(root / top, root / desk / top)
        (root / desk / "feed.xml").write_text(
            feed.replace("{{BASE_URL}}/20", "{{BASE_URL}}/" + desk + "/20"), encoding="utf-8"
        )


def source(name: str, url: str, **extra: Any) -> SourceConfig:
    return SourceConfig(name=name, kind=SourceKind.FEED, url=url, parser="dailynk", **extra)


def desk_a(site: SampleSite) -> SourceConfig:
    return source("desk-a", site.url("feed.xml"))


def desk(site: SampleSite, name: str) -> SourceConfig:
    return source(name, site.url(f"{name}/feed.xml"))


Snapshot = dict[str, dict[Any, dict[str, Any]]]


def snapshot(engine: Engine) -> Snapshot:
    """Every row of the content tables, by table and primary key."""
    out: Snapshot = {}
    with Session(engine) as session:
        for model in SNAPSHOT_TABLES:
            rows = session.exec(select(model)).all()
            out[model.__name__] = {row.id: row.model_dump() for row in rows}  # type: ignore[attr-defined]
    return out


def assert_nothing_lost_or_changed(before: Snapshot, after: Snapshot) -> None:
    """Every row present before is still there, field for field."""
    for table, rows in before.items():
        for key, row in rows.items():
            assert key in after[table], f"{table} row {key} disappeared"
            assert after[table][key] == row, f"{table} row {key} changed"


@dataclass
class MatrixRun:
    faulty: SourceReport
    others: list[SourceReport]
    state: SourceState
    logs: list[FetchLog]
    before: Snapshot
    after: Snapshot


def run_with_fault(
    ctx: PipelineContext,
    site: SampleSite,
    faulty: SourceConfig,
    *,
    seed_faulty: bool = False,
    inject: Iterable[tuple[str, dict[str, Any]]] = (),
) -> MatrixRun:
    """Run desk-a (and the faulty source when ``seed_faulty``), snapshot, inject the fault
    (site overrides), then run desk-b, the faulty source and desk-c in that order, as the
    monitor flow would. Asserts the healthy sources were processed in full and nothing
    stored earlier changed; returns what the faulty source left behind."""
    first = check_source(ctx, desk_a(site))
    assert first.outcome is SourceOutcome.NEW and first.new == 3
    if seed_faulty:
        seeded = check_source(ctx, faulty)
        assert seeded.new == 3, seeded
    before = snapshot(ctx.engine)
    for path, override in inject:
        site.override(path, **override)

    reports = [check_source(ctx, s) for s in (desk(site, "desk-b"), faulty, desk(site, "desk-c"))]
    again = check_source(ctx, desk_a(site))

    others = [reports[0], reports[2]]
    for report in others:
        assert report.outcome is SourceOutcome.NEW, report
        assert (report.listed, report.new, report.failed) == (3, 3, 0), report
        assert report.error_kind is None
    assert again.outcome is SourceOutcome.NOT_MODIFIED, again
    after = snapshot(ctx.engine)
    assert_nothing_lost_or_changed(before, after)
    with Session(ctx.engine) as session:
        state = session.get(SourceState, faulty.name)
        assert state is not None
        logs = list(
            session.exec(
                select(FetchLog).where(FetchLog.source == faulty.name).order_by(FetchLog.id)  # type: ignore[arg-type]
            )
        )
        session.expunge_all()
    # 3 stored articles each from desk-a, desk-b and desk-c, whatever the faulty source did.
    urls = {row["url"] for row in after["Article"].values()}
    for name in ("desk-b", "desk-c"):
        assert sum(1 for u in urls if f"/{name}/" in u) == 3
    return MatrixRun(reports[1], others, state, logs, before, after)
