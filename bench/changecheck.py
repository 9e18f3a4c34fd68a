"""Change check side by side: urlwatch and tradewatch on the same 500 pages, 10% changed.

urlwatch (installed in its own venv, ``bench/.venv-urlwatch``, created on first use) watches
the 500 article pages directly, as a user running it from cron would: one job per page,
``css: .td-post-content`` then ``html2text``, ETags kept in its cache. tradewatch watches the
same pages through the 50 outlet feeds that list them, and besides noticing the change it
parses, stores a revision with its diff, and classifies every changed article. Each side runs
as a fresh process per round (interpreter start and imports included, as from cron); the wall
and CPU time of that process are compared. Both see the same site state in each round (the
order alternates between rounds).

    python -m bench.changecheck --outlets 50 --articles 10 --runs 3
    python -m bench.changecheck --no-urlwatch   # tradewatch only (used by the tests)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from bench.common import children_cpu, figure, median, print_header

BENCH_DIR = Path(__file__).resolve().parent
URLWATCH_VENV = BENCH_DIR / ".venv-urlwatch"
_CHANGED = re.compile(r"^\d+\. CHANGED: ", re.MULTILINE)


def ensure_urlwatch(venv: Path = URLWATCH_VENV) -> Path:
    """The urlwatch executable of the benchmark's own venv, created on first use."""
    exe = venv / "bin" / "urlwatch"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet"]
        subprocess.run([*pip, "--disable-pip-version-check", "urlwatch"], check=True)
    return exe


def write_urlwatch_files(workdir: Path, base_url: str, outlets: int, articles: int) -> list[str]:
    """urlwatch's jobs, config and cache paths in ``workdir``; returns its argument list."""
    jobs = [
        {
            "name": f"o{i}-a{j}",
            "url": f"{base_url}/o{i}/a{j}.html",
            "filter": [{"css": ".td-post-content"}, {"html2text": "re"}],
        }
        for i in range(outlets)
        for j in range(articles)
    ]
    (workdir / "urls.yaml").write_text(yaml.safe_dump_all(jobs))
    config = {"report": {"stdout": {"enabled": True, "color": False}}}
    (workdir / "urlwatch.yaml").write_text(yaml.safe_dump(config))
    return [
        f"--urls={workdir / 'urls.yaml'}",
        f"--config={workdir / 'urlwatch.yaml'}",
        f"--cache={workdir / 'cache.db'}",
        f"--hooks={workdir / 'hooks.py'}",
    ]


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run ``cmd``; (wall seconds, CPU seconds of the process, its stdout)."""
    cpu0 = children_cpu()
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{cmd[0]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return wall, children_cpu() - cpu0, done.stdout


def our_pass(db_url: str, workdir: Path, base_url: str, outlets: int, now: str) -> None:
    """The child side of tradewatch's round: one monitor pass, figures as JSON on stdout."""
    from bench.harness import bench_settings, feed_sources, run_pass
    from tradewatch.pipeline import open_pipeline

    settings = bench_settings(db_url=db_url, data_dir=workdir)
    with open_pipeline(settings) as ctx:
        result = run_pass(ctx, feed_sources(base_url, outlets), now=datetime.fromisoformat(now))
    print(
        json.dumps(
            {
                "wall": result.wall,
                "cpu": result.cpu,
                "new": result.total("new"),
                "changed": result.total("changed"),
            }
        )
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=50)
    parser.add_argument("--articles", type=int, default=10, help="articles per outlet")
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-urlwatch", action="store_true", help="measure tradewatch only")
    parser.add_argument("--child-pass", nargs=5, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_pass:
        db_url, workdir, base_url, outlets, now = args.child_pass
        our_pass(db_url, Path(workdir), base_url, int(outlets), now)
        return 0

    from bench.site import BASE_TIME, site_process

    pages = args.outlets * args.articles
    print_header("changecheck", pages=pages, fraction=args.fraction, runs=args.runs)
    urlwatch = None if args.no_urlwatch else ensure_urlwatch()
    with (
        tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp,
        site_process(outlets=args.outlets, articles=args.articles) as site,
    ):
        workdir = Path(tmp)
        env = os.environ | {"HOME": str(workdir)}  # urlwatch keeps nothing in the real home
        db_url = f"sqlite:///{(workdir / 'changecheck.db').as_posix()}"
        uw_args = write_urlwatch_files(workdir, site.base_url, args.outlets, args.articles)

        def ours(now: datetime) -> tuple[float, float, dict[str, float]]:
            cmd = [sys.executable, "-m", "bench.changecheck", "--child-pass", db_url, tmp]
            cmd += [site.base_url, str(args.outlets), now.isoformat()]
            wall, cpu, out = timed(cmd, env)
            return wall, cpu, json.loads(out.strip().splitlines()[-1])

        def theirs() -> tuple[float, float, int]:
            assert urlwatch is not None
            wall, cpu, out = timed([str(urlwatch), *uw_args], env)
            return wall, cpu, len(_CHANGED.findall(out))

        now = BASE_TIME + timedelta(days=400)
        ours(now)  # round 0: both sides learn the 500 pages; not measured
        if urlwatch:
            theirs()
        rows: dict[str, list[float]] = {k: [] for k in ("ow", "oc", "oi", "tw", "tc", "n", "m")}
        for run in range(1, args.runs + 1):
            now += timedelta(hours=1)
            site.mutate(args.fraction, now - timedelta(minutes=30))
            site.reset_stats()
            first_ours = run % 2 == 1
            if first_ours or not urlwatch:
                ow, oc, inner = ours(now)
            if urlwatch:
                tw, tc, their_changed = theirs()
                rows["tw"].append(tw)
                rows["tc"].append(tc)
                rows["m"].append(their_changed)
            if not first_ours and urlwatch:
                ow, oc, inner = ours(now)
            rows["ow"].append(ow)
            rows["oc"].append(oc)
            rows["oi"].append(inner["wall"])
            rows["n"].append(inner["changed"])
        figure("pages", pages, "count")
        figure("ours_changed_found", median(rows["n"]), "count")
        figure("ours_wall_s", median(rows["ow"]), "s")
        figure("ours_cpu_s", median(rows["oc"]), "s")
        figure("ours_pass_in_process_s", median(rows["oi"]), "s")
        if urlwatch:
            figure("urlwatch_changed_found", median(rows["m"]), "count")
            figure("urlwatch_wall_s", median(rows["tw"]), "s")
            figure("urlwatch_cpu_s", median(rows["tc"]), "s")
            figure("wall_ratio_urlwatch_over_ours", median(rows["tw"]) / median(rows["ow"]), "x")
            figure("cpu_ratio_urlwatch_over_ours", median(rows["tc"]) / median(rows["oc"]), "x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
