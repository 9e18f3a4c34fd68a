"""Page parsing alone: CPU time per page of the Daily NK parser on bench pages, by both paths.

The lxml path (``extract_article``) is what the parser runs; the BeautifulSoup path
(``extract_article_bs4``) is its reference and fallback, and what ran before. Figures are the
median over ``--runs`` warm passes of this process's CPU time (other processes on the
machine do not count) divided by the number of pages.

    python -m bench.parse_pages --pages 200 --runs 5
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable

from bench.common import figure, median, print_header
from bench.site import render_article
from parsers.base import FetchedPage, ParsedArticle
from parsers.dailynk import PROFILE
from parsers.profile import SiteProfile, extract_article, extract_article_bs4

Extract = Callable[[FetchedPage, SiteProfile], ParsedArticle]


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


def cpu_ms_per_page(extract: Extract, pages: list[FetchedPage], runs: int) -> float:
    for page in pages:  # warm: compiled selectors, caches, imports
        extract(page, PROFILE)
    samples = []
    for _ in range(runs):
        start = time.process_time()
        for page in pages:
            extract(page, PROFILE)
        samples.append((time.process_time() - start) / len(pages) * 1000)
    return median(samples)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print_header("parse_pages", pages=args.pages, runs=args.runs)
    pages = bench_pages(args.pages)
    figure("page_kib", median([len(p.body) / 1024 for p in pages]), "KiB")
    lxml_ms = cpu_ms_per_page(extract_article, pages, args.runs)
    soup_ms = cpu_ms_per_page(extract_article_bs4, pages, args.runs)
    figure("lxml_cpu_ms_per_page", lxml_ms, "ms")
    figure("bs4_cpu_ms_per_page", soup_ms, "ms")
    figure("speedup_bs4_over_lxml", soup_ms / lxml_ms, "x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
