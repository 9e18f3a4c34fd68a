"""Growth: does a pass cost more when the archive is larger?

For each backend (SQLite, PostgreSQL) and each archive size S, a fresh database is filled with
S articles (and one revision each) by bulk inserts through SQLAlchemy Core, then the benchmark
measures a steady-state pass (nothing changed) and a pass that finds 100 new articles, over
50 feed sources of the benchmark site. The sizes are measured interleaved (see ``measure``).

    python -m bench.growth --sizes 0,100000,1000000 --backends sqlite,postgresql
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from bench.common import figure, median, print_header
from bench.databases import postgres_available, scratch_database
from bench.harness import bench_settings, feed_sources, run_pass
from bench.site import BASE_TIME, site_process
from storage.db import get_engine, upgrade
from storage.models import Article, ArticleRevision
from tradewatch.pipeline import open_pipeline

_BATCH = 10_000
_FILLER = "Archived invented text about a provincial market and its traders. " * 4


def fill(engine: Engine, count: int) -> float:
    """Insert ``count`` old articles with one revision each; returns seconds taken."""
    started = time.perf_counter()
    article, revision = Article.__table__, ArticleRevision.__table__  # type: ignore[attr-defined]
    seen = BASE_TIME - timedelta(days=3650)
    for start in range(0, count, _BATCH):
        stop = min(count, start + _BATCH)
        with engine.begin() as conn:
            first_id = (
                conn.execute(select(article.c.id).order_by(article.c.id.desc()).limit(1)).scalar()
                or 0
            ) + 1
            rows: list[dict[str, Any]] = []
            for n in range(start, stop):
                digest = hashlib.sha256(str(n).encode()).hexdigest()
                rows.append(
                    {
                        "id": first_id + n - start,
                        "url": f"https://archive.example/old/{n}",
                        "source": f"old{n % 20}",
                        "outlet": "Archive",
                        "title": f"Archived item {n}",
                        "published_at": seen + timedelta(minutes=n),
                        "authors": [],
                        "text": _FILLER,
                        "historical": True,
                        "content_hash": digest,
                        "first_seen_at": seen,
                        "last_seen_at": seen,
                        "revision_count": 1,
                        "cluster_key": f"a{first_id + n - start}",
                    }
                )
            conn.execute(insert(article), rows)
            conn.execute(
                insert(revision),
                [
                    {
                        "article_id": r["id"],
                        "revision_no": 1,
                        "content_hash": r["content_hash"],
                        "title": r["title"],
                        "text": r["text"],
                        "diff": "",
                        "created_at": seen,
                    }
                    for r in rows
                ],
            )
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            # Explicit ids above leave the sequence behind; the pipeline's inserts need it ahead.
            conn.exec_driver_sql(
                "SELECT setval(pg_get_serial_sequence('article', 'id'), MAX(id)) FROM article "
                "HAVING MAX(id) IS NOT NULL"
            )
            conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def measure(
    backend: str, sizes: list[int], workdir: Path, runs: int, outlets: int
) -> list[tuple[float, float]]:
    """Median seconds of the steady pass and of the 100-new pass, for each archive size.

    Every size has its database filled first; then the sizes are measured round by round, in
    an order that rotates, on one site. This machine's speed drifts by up to 1.7x within
    minutes: sizes measured one after another compared spells of the machine, not sizes.
    """
    with ExitStack() as stack:
        site = stack.enter_context(
            site_process(outlets=outlets, articles=2, feed_size=max(10, -(-100 // outlets) + 2))
        )
        contexts = []
        for size in sizes:
            db_url = stack.enter_context(scratch_database(backend, workdir))
            upgrade(db_url)
            engine = get_engine(db_url)
            try:
                seconds = fill(engine, size)
            finally:
                engine.dispose()
            figure(f"fill_{backend}_{size}_s", seconds, "s")
            data_dir = workdir / f"{backend}-{size}"
            data_dir.mkdir()
            contexts.append(
                stack.enter_context(open_pipeline(bench_settings(db_url=db_url, data_dir=data_dir)))
            )
        sources = feed_sources(site.base_url, outlets)
        now = BASE_TIME + timedelta(days=400)
        for ctx in contexts:
            run_pass(ctx, sources, now=now)  # learn the site; not measured
        steady: list[list[float]] = [[] for _ in sizes]
        fresh: list[list[float]] = [[] for _ in sizes]
        for run in range(runs):
            order = [(run + i) % len(sizes) for i in range(len(sizes))]
            now += timedelta(hours=1)
            for i in order:
                steady[i].append(run_pass(contexts[i], sources, now=now).wall)
            now += timedelta(hours=1)
            site.add(100, now - timedelta(minutes=30))  # 100 new articles for every database
            for i in order:
                result = run_pass(contexts[i], sources, now=now)
                if result.total("new") != 100:
                    raise RuntimeError(f"expected 100 new articles, stored {result.total('new')}")
                fresh[i].append(result.wall)
    for i, size in enumerate(sizes):
        figure(f"steady_{backend}_{size}_s", median(steady[i]), "s")
        figure(f"new100_{backend}_{size}_s", median(fresh[i]), "s")
    return [(median(steady[i]), median(fresh[i])) for i in range(len(sizes))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="0,100000,300000")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--outlets", type=int, default=50)
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    print_header("growth", sizes=args.sizes, backends=",".join(backends), runs=args.runs)
    with tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp:
        for backend in backends:
            if backend == "postgresql" and not postgres_available():
                print("# skipped postgresql: no server at 127.0.0.1:5432")
                continue
            results = measure(backend, sizes, Path(tmp), args.runs, args.outlets)
            if len(results) > 1:
                # Largest archive against the smallest: the goal is at most 1.2x.
                figure(f"growth_{backend}_steady_ratio", results[-1][0] / results[0][0], "x")
                figure(f"growth_{backend}_new100_ratio", results[-1][1] / results[0][1], "x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
