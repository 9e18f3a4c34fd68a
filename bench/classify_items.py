"""The classifier alone: items per second and per-item latency on generated ~2 KB items.

Each run starts with an empty sentence memo, so every item is read afresh. A last run reads
each item and then the same item revised (one sentence added at the end), as the monitor
does when an outlet updates an article it has read: only the new sentence is scanned, and
only the revisions are timed (``revised_items_per_s``).

python -m bench.classify_items --items 2000 --runs 5
"""

from __future__ import annotations

import argparse
import dataclasses
import random
import sys
import time

from bench import text
from bench.common import figure, median, percentile, print_header
from classify.baseline import load_baseline
from classify.memo import SentenceMemo
from classify.rules import RuleClassifier
from classify.types import ClassifierInput
from tradewatch.settings import DEFAULT_BASELINE_FILE


def make_items(count: int, *, size: int = 2000, seed: int = 7) -> list[ClassifierInput]:
    """``count`` invented items of about ``size`` characters, a third of them about trade."""
    rng = random.Random(seed)
    return [
        ClassifierInput(
            id=str(n),
            title=text.headline(rng),
            text=text.item_text(rng, size),
            date="2025-03-04",
            outlet="Bench outlet",
        )
        for n in range(count)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)
    print_header("classify", items=args.items, runs=args.runs)
    classifier = RuleClassifier(load_baseline(DEFAULT_BASELINE_FILE))
    items = make_items(args.items)
    figure("item_chars", median([len(i.text) for i in items]), "chars")
    classifier.assess(items[0])  # compiled patterns and caches warm, as in a long run
    rates, p50s, p95s = [], [], []
    relevant = 0
    for _ in range(args.runs):
        classifier.memo = SentenceMemo()
        latencies: list[float] = []
        started = time.perf_counter()
        for item in items:
            t0 = time.perf_counter()
            verdict = classifier.assess(item)
            latencies.append(time.perf_counter() - t0)
            relevant += verdict.relevant
        rates.append(len(items) / (time.perf_counter() - started))
        p50s.append(percentile(latencies, 50))
        p95s.append(percentile(latencies, 95))
    # Each revision is read right after its original, as the monitor meets a revised article
    # within the memo's reach; only the revisions are timed.
    classifier.memo = SentenceMemo()
    rng = random.Random(11)
    revised_time = 0.0
    for item in items:
        classifier.assess(item)
        revised = dataclasses.replace(item, text=f"{item.text}\n\nUpdate: {text.sentence(rng)}")
        t0 = time.perf_counter()
        classifier.assess(revised)
        revised_time += time.perf_counter() - t0
    revised_rate = len(items) / revised_time
    figure("items_per_s", median(rates), "items/s")
    figure("latency_p50_ms", 1000 * median(p50s), "ms")
    figure("latency_p95_ms", 1000 * median(p95s), "ms")
    figure("revised_items_per_s", revised_rate, "items/s")
    figure("relevant_share", relevant / (len(items) * args.runs), "ratio")
    return 0


if __name__ == "__main__":
    sys.exit(main())
