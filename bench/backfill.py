"""Backfill throughput: N archived articles end to end (fetch, parse, classify, store).

Each N runs in a fresh child process, so its peak RSS is its own; the child drives
``check_source`` with a ``DateWindow`` over an outlet's sitemap archive, as the backfill flow
does per window, into a fresh SQLite database. The pipeline hands parsing and classifying to
analysis worker processes (one per core but one; ``TRADEWATCH_ANALYSIS_WORKERS=0`` measures
without them): CPU time counts theirs too, and memory is reported both as the pipeline
process's peak RSS and as the peak of all its processes together.

For each of ``--flow-sizes`` the same archive is also backfilled the way ``tradewatch
backfill`` does it: through the Prefect ``backfill`` flow (one flow run per window of 31
days, one task per window, the fetch and host slots taken per task), on the default
settings, with Prefect's temporary server. Its start (~5-10 s) is not counted: a backfill of
a day before the archive starts it first.

    python -m bench.backfill --sizes 1000,5000,10000 --flow-sizes 10000
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

from bench.common import figure, peak_rss_mib, print_header


def child(base_url: str, outlet: int, count: int, workdir: Path) -> dict[str, float]:
    """Backfill one outlet's archive of ``count`` articles; the figures, as a dict."""
    from bench.common import TreeMemory, descendants
    from bench.harness import archive_source, bench_settings, run_pass
    from bench.site import BASE_TIME
    from tradewatch.pipeline import DateWindow, open_pipeline

    settings = bench_settings(
        db_url=f"sqlite:///{(workdir / 'backfill.db').as_posix()}",
        data_dir=workdir,
        max_articles=count,
    )
    source = archive_source(base_url, outlet, count)
    window = DateWindow(BASE_TIME - timedelta(days=1), BASE_TIME + timedelta(days=3650))
    with open_pipeline(settings) as ctx, TreeMemory() as memory:
        rss_before = peak_rss_mib()
        result = run_pass(ctx, [source], window=window, historical=True)
    return {
        "new": result.total("new"),
        "wall": result.wall,
        "cpu": result.cpu,
        "pipeline_cpu": result.own_cpu,
        "pipeline_switches": result.switches,
        "rss_before_mib": rss_before,
        "peak_rss_mib": peak_rss_mib(),
        "peak_all_processes_mib": memory.peak_mib,
        "processes": 1 + len(descendants()),
    }


def flow_child(base_url: str, count: int, workdir: Path) -> dict[str, float]:
    """Backfill one outlet's archive of ``count`` articles through the Prefect flow."""
    from bench.common import Stopwatch
    from bench.harness import archive_source, write_sources_file
    from bench.site import BASE_TIME
    from tradewatch.flows_here import flows_here

    sources_file = str(
        write_sources_file(workdir / "sources.yaml", [archive_source(base_url, 0, count)])
    )
    first = BASE_TIME.date()
    last = (BASE_TIME + timedelta(hours=count)).date()  # articles are an hour apart
    before = first - timedelta(days=2)
    with flows_here():
        from flows.backfill import backfill

        backfill(start=before, end=before, sources_file=sources_file)  # starts Prefect's server
        with Stopwatch() as watch:
            totals = backfill(start=first, end=last, sources_file=sources_file)
    if totals["failed_windows"]:
        raise RuntimeError(f"backfill flow failed: {totals['failed_windows'][:3]}")
    return {
        "new": totals["new_articles"],
        "wall": watch.wall,
        "windows": totals["windows"],
        "peak_rss_mib": peak_rss_mib(),  # Prefect's client included; its server runs apart
    }


def _flow_env(workdir: Path) -> dict[str, str]:
    """The flow child's environment: its own database, data and Prefect home, no server."""
    env = os.environ | {
        "TRADEWATCH_DATABASE_URL": f"sqlite:///{(workdir / 'backfill-flow.db').as_posix()}",
        "TRADEWATCH_DATA_DIR": str(workdir),
        "PREFECT_HOME": str(workdir / "prefect"),
        "PREFECT_LOCAL_STORAGE_PATH": str(workdir / "prefect-results"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    env.pop("PREFECT_API_URL", None)
    return env


def _run_child(cmd: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise RuntimeError(f"backfill child failed:\n{done.stderr[-3000:]}")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,5000,10000", help="comma-separated N")
    parser.add_argument(
        "--budget",
        type=float,
        default=600.0,
        help="skip an N whose run, projected from the last rate, would take longer (seconds)",
    )
    parser.add_argument(
        "--flow-sizes", default="10000", help="comma-separated N backfilled through Prefect too"
    )
    parser.add_argument("--child", nargs=3, metavar=("BASE_URL", "OUTLET", "N"), help="internal")
    parser.add_argument("--flow-child", nargs=3, metavar=("BASE_URL", "N", "DIR"), help="internal")
    args = parser.parse_args(argv)
    if args.child:
        with tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp:
            base, outlet, count = args.child
            print(json.dumps(child(base, int(outlet), int(count), Path(tmp))))
        return 0
    if args.flow_child:
        base, count, workdir = args.flow_child
        print(json.dumps(flow_child(base, int(count), Path(workdir))))
        return 0

    from bench.site import site_process

    sizes = [int(n) for n in args.sizes.split(",") if n.strip()]
    flow_sizes = [int(n) for n in args.flow_sizes.split(",") if n.strip()]
    print_header("backfill", sizes=args.sizes, flow_sizes=args.flow_sizes)
    rate: float | None = None
    for count in sizes:
        if rate is not None and count / rate > args.budget:
            print(
                f"# skipped N={count}: projected {count / rate:.0f} s > budget {args.budget:.0f} s"
            )
            continue
        with site_process(outlets=1, articles=count, feed_size=10) as site:
            cmd = [sys.executable, "-m", "bench.backfill", "--child", site.base_url, "0"]
            result = _run_child([*cmd, str(count)])
            if int(result["new"]) != count:
                raise RuntimeError(f"backfill of {count} stored {result['new']} articles")
            rate = count / result["wall"]
            figure(f"backfill_{count}_articles_per_s", rate, "articles/s")
            figure(f"backfill_{count}_cpu_ms_per_article", 1000 * result["cpu"] / count, "ms")
            # Cores kept busy (the site's own CPU aside): against the core count, whether the
            # run was short of CPU or waited, whichever spell the machine was in.
            figure(f"backfill_{count}_cores_busy", result["cpu"] / result["wall"], "cores")
            # The process that fetches and stores, whose pace the backfill goes at when the
            # workers keep up: its CPU, and how often it waited or handed over to a thread.
            figure(
                f"backfill_{count}_pipeline_cpu_ms_per_article",
                1000 * result["pipeline_cpu"] / count,
                "ms",
            )
            figure(
                f"backfill_{count}_pipeline_switches_per_article",
                result["pipeline_switches"] / count,
                "count",
            )
            figure(f"backfill_{count}_peak_rss_mib", result["peak_rss_mib"], "MiB")
            figure(f"backfill_{count}_rss_before_mib", result["rss_before_mib"], "MiB")
            # With analysis workers: the pipeline process, the fork server and the workers,
            # summed as PSS (shared pages counted once).
            figure(
                f"backfill_{count}_peak_all_processes_mib", result["peak_all_processes_mib"], "MiB"
            )
            figure(f"backfill_{count}_processes", result["processes"], "count")
    for count in flow_sizes:
        if rate is not None and count / rate > args.budget:
            print(f"# skipped flow N={count}: projected over budget {args.budget:.0f} s")
            continue
        with (
            tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp,
            site_process(outlets=1, articles=count, feed_size=10) as site,
        ):
            cmd = [sys.executable, "-m", "bench.backfill", "--flow-child", site.base_url]
            result = _run_child([*cmd, str(count), tmp], env=_flow_env(Path(tmp)))
            if int(result["new"]) != count:
                raise RuntimeError(f"backfill flow of {count} stored {result['new']} articles")
            figure(f"backfill_flow_{count}_articles_per_s", count / result["wall"], "articles/s")
            figure(f"backfill_flow_{count}_windows", result["windows"], "count")
            figure(f"backfill_flow_{count}_peak_rss_mib", result["peak_rss_mib"], "MiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
