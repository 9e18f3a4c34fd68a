"""Steady state: a monitor pass over N feed sources where nothing changed.

Measures wall time, CPU time per source, and what crossed the wire (bytes, article bodies:
the goal is 0 bodies), driving ``tradewatch.pipeline`` directly; then, in a child process, the
same pass through the Prefect ``monitor`` flow, to show what the orchestration costs.

    python -m bench.steady --sources 50 --runs 5
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

from bench.common import figure, median, print_header
from bench.harness import bench_settings, feed_sources, run_pass, write_sources_file
from bench.site import BASE_TIME, site_process
from tradewatch.pipeline import open_pipeline


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sources", type=int, default=50)
    parser.add_argument("--articles", type=int, default=10, help="feed entries per source")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--flow-runs", type=int, default=3, help="monitor flow runs (0: none)")
    parser.add_argument("--no-prefect", action="store_true", help="skip the Prefect flow part")
    args = parser.parse_args(argv)
    print_header("steady", sources=args.sources, articles=args.articles, runs=args.runs)

    with (
        tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp,
        site_process(outlets=args.sources, articles=args.articles) as site,
    ):
        workdir = Path(tmp)
        db_url = f"sqlite:///{(workdir / 'steady.db').as_posix()}"
        settings = bench_settings(db_url=db_url, data_dir=workdir)
        sources = feed_sources(site.base_url, args.sources)
        now = BASE_TIME + timedelta(days=400)
        with open_pipeline(settings) as ctx:
            first = run_pass(ctx, sources, now=now)
            figure("first_pass_s", first.wall, "s")
            figure("first_pass_new_articles", first.total("new"), "count")
            walls, cpus, stats = [], [], []
            for run in range(args.runs):
                site.reset_stats()
                result = run_pass(ctx, sources, now=now + timedelta(hours=run + 1))
                walls.append(result.wall)
                cpus.append(result.cpu)
                stats.append(site.stats())
        figure("steady_wall_s", median(walls), "s")
        figure("steady_cpu_ms_per_source", 1000 * median(cpus) / args.sources, "ms")
        figure("steady_requests", median([s["requests"] for s in stats]), "count")
        figure("steady_not_modified", median([s["not_modified"] for s in stats]), "count")
        figure("steady_bytes", median([s["bytes"] for s in stats]), "bytes")
        figure("steady_article_bodies", max(s["article_bodies"] for s in stats), "count")

        if not args.no_prefect and args.flow_runs > 0:
            sources_file = write_sources_file(workdir / "sources.yaml", sources)
            site.reset_stats()
            flow = _flow_runs(workdir, db_url, sources_file, args.flow_runs)
            stats_after = site.stats()
            figure("flow_first_run_s", flow[0], "s")
            rest = flow[1:] or flow
            figure("flow_steady_wall_s", median(rest), "s")
            figure("flow_overhead_s", median(rest) - median(walls), "s")
            figure(
                "flow_overhead_ms_per_source",
                1000 * (median(rest) - median(walls)) / args.sources,
                "ms",
            )
            figure("flow_article_bodies", stats_after["article_bodies"], "count")
    return 0


def _flow_runs(workdir: Path, db_url: str, sources_file: Path, runs: int) -> list[float]:
    """Wall seconds of each monitor flow run, in a child process with its own Prefect home."""
    env = os.environ | {
        "PREFECT_HOME": str(workdir / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_LOCAL_STORAGE_PATH": str(workdir / "prefect-results"),
        "TRADEWATCH_DATABASE_URL": db_url,
        "TRADEWATCH_DATA_DIR": str(workdir),
    }
    env.pop("PREFECT_API_URL", None)
    cmd = [sys.executable, "-m", "bench.flow_pass", str(sources_file), str(runs)]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=900, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"monitor flow runs failed:\n{done.stderr[-3000:]}")
    walls: list[float] = json.loads(done.stdout.strip().splitlines()[-1])
    return walls


if __name__ == "__main__":
    sys.exit(main())
