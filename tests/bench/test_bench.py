"""Each benchmark runs on a tiny N and prints its figures (no speed is asserted here)."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
_FIGURE = re.compile(r"^FIGURE (\S+) (\S+) (\S+)$", re.MULTILINE)


def run_benchmark(module: str, *args: str) -> dict[str, float]:
    """Run ``python -m bench.<module> args``; its figures by name, each parsed as a number."""
    env = os.environ | {"PREFECT_SERVER_ANALYTICS_ENABLED": "false"}
    done = subprocess.run(
        [sys.executable, "-m", f"bench.{module}", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "# machine: " in done.stdout and "# date: " in done.stdout
    figures = {name: float(value) for name, value, _unit in _FIGURE.findall(done.stdout)}
    assert all(math.isfinite(v) for v in figures.values()), figures
    assert figures["cores"] >= 1
    return figures


def test_steady_prints_figures_and_downloads_no_bodies() -> None:
    figures = run_benchmark("steady", "--sources=3", "--articles=2", "--runs=2", "--no-prefect")
    assert figures["first_pass_new_articles"] == 6
    assert figures["steady_article_bodies"] == 0
    assert figures["steady_not_modified"] == 3
    assert {"steady_wall_s", "steady_cpu_ms_per_source", "steady_bytes"} <= figures.keys()


def test_changecheck_without_urlwatch_finds_the_changed_pages() -> None:
    figures = run_benchmark(
        "changecheck", "--outlets=2", "--articles=5", "--fraction=0.2", "--runs=1", "--no-urlwatch"
    )
    assert figures["pages"] == 10
    assert figures["ours_changed_found"] == 2
    assert figures["ours_resident_changed_found"] == 2  # the resident watcher saw them too
    assert {"ours_wall_s", "ours_cpu_s", "ours_pass_in_process_s"} <= figures.keys()
    assert figures["ours_resident_peak_rss_mib"] > 0
    # The watcher with its analysis worker: more than the watcher alone holds.
    assert figures["ours_resident_all_processes_mib"] > figures["ours_resident_peak_rss_mib"] / 2
    assert figures["ours_resident_cpu_s"] > 0 and figures["ours_resident_wall_s"] > 0


def test_backfill_reports_rate_and_rss_per_size() -> None:
    figures = run_benchmark("backfill", "--sizes=5,10", "--flow-sizes=30")
    for n in (5, 10):
        assert figures[f"backfill_{n}_articles_per_s"] > 0
        assert figures[f"backfill_{n}_peak_rss_mib"] >= figures[f"backfill_{n}_rss_before_mib"]
        assert (
            0
            < figures[f"backfill_{n}_pipeline_cpu_ms_per_article"]
            <= (figures[f"backfill_{n}_cpu_ms_per_article"])
        )
        assert figures[f"backfill_{n}_pipeline_switches_per_article"] > 0
        assert figures[f"backfill_{n}_cores_busy"] > 0
    # Through the Prefect flow, as `tradewatch backfill` runs it: 30 hourly articles, one window.
    assert figures["backfill_flow_30_articles_per_s"] > 0
    assert figures["backfill_flow_30_windows"] == 1
    assert figures["backfill_flow_30_peak_rss_mib"] > 0


def test_growth_measures_each_size_and_the_ratio() -> None:
    figures = run_benchmark(
        "growth", "--sizes=0,50", "--backends=sqlite", "--runs=1", "--outlets=2"
    )
    assert {"steady_sqlite_0_s", "new100_sqlite_50_s", "fill_sqlite_50_s"} <= figures.keys()
    assert figures["growth_sqlite_steady_ratio"] > 0


def test_classifier_benchmark_reports_rate_and_latency() -> None:
    figures = run_benchmark("classify_items", "--items=30", "--runs=2")
    assert figures["items_per_s"] > 0
    assert figures["revised_items_per_s"] > 0
    assert figures["latency_p95_ms"] >= figures["latency_p50_ms"] > 0
    assert 0 <= figures["relevant_share"] <= 1


def test_parse_pages_reports_both_paths() -> None:
    figures = run_benchmark("parse_pages", "--pages=3", "--runs=1")
    assert figures["lxml_cpu_ms_per_page"] > 0 and figures["bs4_cpu_ms_per_page"] > 0
    assert figures["speedup_bs4_over_lxml"] == pytest.approx(
        figures["bs4_cpu_ms_per_page"] / figures["lxml_cpu_ms_per_page"], rel=0.01
    )
    assert 20 <= figures["page_kib"] <= 80


@pytest.mark.parametrize("size", [0, 3])
def test_site_pages_are_realistic_and_deterministic(size: int) -> None:
    from bench.site import MAX_PAGE_BYTES, MIN_PAGE_BYTES, render_article

    first = render_article(1, 0, size, 0, "2024-01-01T00:00:00Z", "http://127.0.0.1:1")
    again = render_article(1, 0, size, 0, "2024-01-01T00:00:00Z", "http://127.0.0.1:1")
    changed = render_article(1, 0, size, 1, "2024-01-01T00:00:00Z", "http://127.0.0.1:1")
    assert first == again
    assert first != changed
    assert MIN_PAGE_BYTES <= len(first) <= MAX_PAGE_BYTES + 2000


def test_site_renders_its_pages_ahead_and_again_when_they_change() -> None:
    from bench.site import BASE_TIME, BenchSite, render_article

    site = BenchSite(outlets=1, articles=3)
    site.base_url = "http://127.0.0.1:1"
    assert site.render_all() == 3
    assert site.render_all() == 0  # all current: nothing rendered twice
    before = site.article(0, 1)
    assert before is not None
    assert site.mutate(1.0, BASE_TIME) == 3
    assert site.render_all() == 3  # the changed pages, before anyone asks for them
    after = site.article(0, 1)
    assert after is not None and after[0] != before[0] and after[1] != before[1]
    published = "2024-01-01T01:00:00Z"  # article 1 of outlet 0: an hour after BASE_TIME
    assert after[0] == render_article(1, 0, 1, 1, published, site.base_url)
