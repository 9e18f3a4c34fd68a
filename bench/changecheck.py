"""Change check side by side: urlwatch and tradewatch on the same 500 pages, 10% changed.

urlwatch (installed in its own venv, ``bench/.venv-urlwatch``, created on first use) watches
the 500 article pages directly, as a user running it from cron would: one job per page,
``css: .td-post-content`` then ``html2text``, ETags kept in its cache. tradewatch watches the
same pages through the 50 outlet feeds that list them, and besides noticing the change it
parses, stores a revision with its diff, and classifies every changed article. Each side runs
as a fresh process per round (interpreter start and imports included, as from cron); the wall
and CPU time of that process are compared. Both see the same site state in each round (the
order alternates between rounds).

tradewatch is also measured as it runs under ``tradewatch watch``: one resident process (the
``Watcher`` itself, on a database of its own) started before round 0 and asked for one pass
per round after the other two; its figures are that pass's wall and CPU time (worker
processes included), its peak RSS, the memory of it and its workers together after the pass
(PSS), and the ``resident`` ratios compare urlwatch's cold run with it.

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


def our_watcher(db_url: str, workdir: Path, base_url: str, outlets: int) -> None:
    """The child side of the resident measurement: a ``Watcher`` kept open, one pass per ISO
    time read from stdin, its figures as one JSON line each on stdout."""
    from bench.common import Stopwatch, TreeMemory, peak_rss_mib
    from bench.harness import bench_settings, feed_sources, write_sources_file
    from tradewatch.watch import Watcher

    sources = write_sources_file(workdir / "sources.yaml", feed_sources(base_url, outlets))
    settings = bench_settings(db_url=db_url, data_dir=workdir).model_copy(
        update={"sources_file": sources}
    )
    with Watcher(settings) as watcher:
        print("ready", flush=True)
        for line in sys.stdin:
            with Stopwatch() as watch:
                result = watcher.check(now=datetime.fromisoformat(line.strip()))
            figures = {
                "wall": watch.wall,
                "cpu": watch.cpu,
                "checked": result.checked,
                "changed": result.summary["changed_articles"],
                "failed": len(result.summary["failed_sources"]),
                "peak_rss_mib": peak_rss_mib(),
                # With its analysis workers (PSS, after the pass: they share pages).
                "all_processes_mib": TreeMemory().sample(),
            }
            print(json.dumps(figures), flush=True)


class ResidentWatcher:
    """``our_watcher`` in a child process, asked for a pass per round."""

    def __init__(self, workdir: Path, base_url: str, outlets: int) -> None:
        workdir.mkdir()
        db_url = f"sqlite:///{(workdir / 'resident.db').as_posix()}"  # its own: it learns alone
        cmd = [sys.executable, "-m", "bench.changecheck", "--child-watch", db_url]
        cmd += [str(workdir), base_url, str(outlets)]
        self._proc = subprocess.Popen(
            cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1
        )
        self._read()  # "ready": imports done, database migrated, pipeline open

    def _read(self) -> str:
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        if not line:
            raise RuntimeError(f"the resident watcher exited ({self._proc.wait()})")
        return line

    def check(self, now: datetime) -> tuple[float, dict[str, float]]:
        """One pass at ``now``: (wall seconds seen from here, the watcher's own figures)."""
        assert self._proc.stdin is not None
        started = time.perf_counter()
        self._proc.stdin.write(now.isoformat() + "\n")
        self._proc.stdin.flush()
        figures: dict[str, float] = json.loads(self._read())
        wall = time.perf_counter() - started
        if figures["failed"]:
            raise RuntimeError(f"resident pass had {figures['failed']:.0f} failed sources")
        return wall, figures

    def __enter__(self) -> ResidentWatcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()  # end of input: the watcher closes and exits
        try:
            self._proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=50)
    parser.add_argument("--articles", type=int, default=10, help="articles per outlet")
    parser.add_argument("--fraction", type=float, default=0.1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--no-urlwatch", action="store_true", help="measure tradewatch only")
    parser.add_argument("--child-pass", nargs=5, help=argparse.SUPPRESS)
    parser.add_argument("--child-watch", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child_pass:
        db_url, workdir, base_url, outlets, now = args.child_pass
        our_pass(db_url, Path(workdir), base_url, int(outlets), now)
        return 0
    if args.child_watch:
        db_url, workdir, base_url, outlets = args.child_watch
        our_watcher(db_url, Path(workdir), base_url, int(outlets))
        return 0

    from bench.site import BASE_TIME, site_process

    pages = args.outlets * args.articles
    print_header("changecheck", pages=pages, fraction=args.fraction, runs=args.runs)
    urlwatch = None if args.no_urlwatch else ensure_urlwatch()
    with (
        tempfile.TemporaryDirectory(prefix="tw-bench-") as tmp,
        site_process(outlets=args.outlets, articles=args.articles) as site,
        ResidentWatcher(Path(tmp) / "resident", site.base_url, args.outlets) as resident,
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
        ours(now)  # round 0: every side learns the 500 pages; not measured
        resident.check(now)
        if urlwatch:
            theirs()
        keys = ("ow", "oc", "oi", "tw", "tc", "n", "m", "rw", "rc", "rn", "rm", "ra")
        rows: dict[str, list[float]] = {k: [] for k in keys}
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
            rw, watched = resident.check(now)
            rows["rw"].append(rw)
            rows["rc"].append(watched["cpu"])
            rows["rn"].append(watched["changed"])
            rows["rm"].append(watched["peak_rss_mib"])
            rows["ra"].append(watched["all_processes_mib"])
        figure("pages", pages, "count")
        figure("ours_changed_found", median(rows["n"]), "count")
        figure("ours_wall_s", median(rows["ow"]), "s")
        figure("ours_cpu_s", median(rows["oc"]), "s")
        figure("ours_pass_in_process_s", median(rows["oi"]), "s")
        figure("ours_resident_changed_found", median(rows["rn"]), "count")
        figure("ours_resident_wall_s", median(rows["rw"]), "s")
        figure("ours_resident_cpu_s", median(rows["rc"]), "s")
        figure("ours_resident_peak_rss_mib", max(rows["rm"]), "MiB")
        figure("ours_resident_all_processes_mib", max(rows["ra"]), "MiB")
        if urlwatch:
            figure("urlwatch_changed_found", median(rows["m"]), "count")
            figure("urlwatch_wall_s", median(rows["tw"]), "s")
            figure("urlwatch_cpu_s", median(rows["tc"]), "s")
            figure("wall_ratio_urlwatch_over_ours", median(rows["tw"]) / median(rows["ow"]), "x")
            figure("cpu_ratio_urlwatch_over_ours", median(rows["tc"]) / median(rows["oc"]), "x")
            figure(
                "wall_ratio_urlwatch_over_resident", median(rows["tw"]) / median(rows["rw"]), "x"
            )
            figure("cpu_ratio_urlwatch_over_resident", median(rows["tc"]) / median(rows["rc"]), "x")
            # Round by round (both sides saw the same site state, minutes apart at most): how
            # far the ratio moves with the machine's load, which the medians do not show.
            per_round = [t / r for t, r in zip(rows["tw"], rows["rw"], strict=True)]
            figure("wall_ratio_urlwatch_over_resident_lowest_round", min(per_round), "x")
            figure("wall_ratio_urlwatch_over_resident_highest_round", max(per_round), "x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
