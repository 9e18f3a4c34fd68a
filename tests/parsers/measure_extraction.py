"""CPU time per page of the Daily NK parser over bench pages, by either extraction path.

Run: ``python -m tests.parsers.measure_extraction [--pages 200] [--runs 5]``. Prints the
median over ``--runs`` warm passes of process CPU time (``time.process_time``, so other
processes on the machine do not count) divided by the number of pages, for the lxml path
(``extract_article``, what the parser runs) and the BeautifulSoup reference
(``extract_article_bs4``, what it ran before).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import pytest

from bench.site import render_article
from parsers import profile as profile_module
from parsers.base import FetchedPage, ParsedArticle
from parsers.dailynk import DailyNKParser
from parsers.profile import SiteProfile


def bench_pages(count: int) -> list[FetchedPage]:
    """``count`` Daily NK-markup pages of 20-80 KB from bench/site.py (seed 1, outlet 0)."""
    base = "http://127.0.0.1:8000"
    return [
        FetchedPage(
            url=f"{base}/o0/a{j}.html",
            body=render_article(1, 0, j, 0, "2024-05-01T09:00:00Z", base),
            content_type="text/html; charset=utf-8",
        )
        for j in range(count)
    ]


def per_page_ms(pages: list[FetchedPage], runs: int) -> float:
    parser = DailyNKParser()
    for page in pages:  # warm: compiled selectors, caches, imports
        parser.parse(page)
    samples = []
    for _ in range(runs):
        start = time.process_time()
        for page in pages:
            parser.parse(page)
        samples.append((time.process_time() - start) / len(pages) * 1000)
    return statistics.median(samples)


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--pages", type=int, default=200)
    args.add_argument("--runs", type=int, default=5)
    options = args.parse_args()
    pages = bench_pages(options.pages)
    kb = sum(len(p.body) for p in pages) / len(pages) / 1024
    print(f"{len(pages)} pages, {kb:.1f} KB average, median of {options.runs} warm runs")
    paths: dict[str, Callable[[FetchedPage, SiteProfile], ParsedArticle]] = {
        "lxml (extract_article)": profile_module.extract_article,
        "BeautifulSoup (extract_article_bs4)": profile_module.extract_article_bs4,
    }
    for label, extract in paths.items():
        with pytest.MonkeyPatch.context() as patch:
            # The parser module imported extract_article by name: patch it there.
            patch.setattr("parsers.dailynk.extract_article", extract)
            print(f"{label}: {per_page_ms(pages, options.runs):.2f} ms CPU per page")


if __name__ == "__main__":
    main()
