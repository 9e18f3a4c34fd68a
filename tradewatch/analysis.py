"""Parsing and classifying fetched pages, in this process or in worker processes.

Parsing a page and classifying its text are pure CPU work (~60% of a backfilled article's
cost, BENCHMARKS.md) and hold the GIL, so threads cannot overlap them with fetching and
storing. A batch large enough to pay for it goes to a pool of worker processes instead: the
calling process keeps fetching and writing (one writer, in listing order) while the workers
parse and classify the pages ahead of it.

The pool is per process and per baseline, started on first use and kept until the process
exits, so the worker start-up (one interpreter, the parsers and the classifier compiled
once per worker) is paid once per process rather than once per source or per window, and a
long-lived process keeps warm workers between passes. Workers come from a
``forkserver``: forking the caller itself would copy its threads' locks (the fetch-ahead
thread, the HTTP client, Prefect's own threads) into the children.
"""

from __future__ import annotations

import atexit
import dataclasses
import logging
import multiprocessing
import os
import threading
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlsplit

from classify.baseline import Baseline
from classify.rules import RuleClassifier
from classify.types import Assessment, ClassifierInput
from parsers import get_parser
from parsers.base import FetchedPage, ParsedArticle, ParseError
from storage.shingling import Shingled

log = logging.getLogger(__name__)

# Below this many pages in one batch a pool that is not running yet is not worth starting
# (~0.5 s of worker start-up against ~5 ms of parsing and classifying per page).
START_POOL_FROM = 32


@dataclass(frozen=True)
class PageJob:
    """One fetched page to parse (and, in a worker, classify) as an article of a listing."""

    parser: str
    page: FetchedPage
    listed_url: str  # canonical URL the listing gave: the article's key and the verdict's url
    listed_published: datetime | None  # the listing's date, used when the page gives none
    outlet: str


@dataclass(frozen=True)
class Analysed:
    """What became of a page: the article (URL and date already settled), or why there is
    none; and, when a worker computed them ahead of need, its verdict and its shingles."""

    article: ParsedArticle | None = None
    error: ParseError | None = None
    verdict: Assessment | None = None
    shingled: Shingled | None = None


def article_key(listed: str, canonical: str) -> str:
    """The URL an article is stored under (both arguments already canonicalised).

    The page's ``rel=canonical`` wins only when it names the same host and path as the listed
    URL, differing in the query (``?ref=rss``, ``?page=1``...): then two listed variants of
    one page make one article. Anything bolder is unsafe: templates whose canonical tag names
    the home page or a section would merge every article into one.
    """
    a, b = urlsplit(listed), urlsplit(canonical)
    if (a.scheme, a.hostname, a.path) == (b.scheme, b.hostname, b.path):
        return canonical
    return listed


def classifier_input(
    article: ParsedArticle, *, article_id: str, url: str, outlet: str
) -> ClassifierInput:
    """The classifier's view of a stored (or about to be stored) article."""
    return ClassifierInput(
        id=article_id,
        title=article.title,
        text=article.text,
        date=article.published.date().isoformat() if article.published else None,
        url=url,
        outlet=outlet,
    )


def parse_page(job: PageJob) -> Analysed:
    """Parse ``job``'s page; the article keyed and dated as the pipeline stores it."""
    try:
        parsed = get_parser(job.parser).parse(job.page)
    except ParseError as exc:  # PaywallTeaser included: the caller tells them apart
        return Analysed(error=exc)
    article = dataclasses.replace(
        parsed,
        url=article_key(job.listed_url, parsed.url),
        published=parsed.published or job.listed_published,
    )
    return Analysed(article=article)


# --- worker side ---------------------------------------------------------------------------

_worker_classifier: RuleClassifier | None = None


def _start_worker(baseline: Baseline) -> None:
    global _worker_classifier
    _worker_classifier = RuleClassifier(baseline)


def _analyse_in_worker(job: PageJob) -> Analysed:
    done = parse_page(job)
    if done.article is None or _worker_classifier is None:
        return done
    # Classified and shingled ahead of need: the caller uses them only when the article
    # needs a verdict and a cluster (new, or its text changed), which in a backfill is
    # nearly always.
    article = done.article
    given = classifier_input(article, article_id="", url=job.listed_url, outlet=job.outlet)
    return dataclasses.replace(
        done,
        verdict=_worker_classifier.assess(given),
        shingled=Shingled.of(article.title, article.text),
    )


def _answer() -> bool:
    return True


# --- caller side ---------------------------------------------------------------------------


class AnalysisPool:
    """Worker processes parsing and classifying pages against one baseline."""

    def __init__(self, baseline: Baseline, workers: int) -> None:
        context = multiprocessing.get_context("forkserver")
        # Imported once in the fork server, so each worker starts with them loaded.
        context.set_forkserver_preload(
            ["parsers", "classify.rules", "storage.shingling", "tradewatch.analysis"]
        )
        self.workers = workers
        self._executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=context,
            initializer=_start_worker,
            initargs=(baseline,),
        )
        # Workers take ~0.5 s to start (the fork server imports the parsers, each worker
        # compiles the classifier). Until one has answered this, the caller parses pages
        # itself rather than queueing them and waiting (see ``ready``).
        self._started = self._executor.submit(_answer)

    @property
    def ready(self) -> bool:
        """Whether a worker has started (or the pool failed to start: ``submit`` says so)."""
        return self._started.done()

    def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until ``ready``; raises what starting the pool raised, if it failed."""
        self._started.result(timeout)

    def submit(self, job: PageJob) -> Future[Analysed]:
        return self._executor.submit(_analyse_in_worker, job)

    def close(self, *, wait: bool = True) -> None:
        self._executor.shutdown(wait=wait, cancel_futures=True)


def default_workers() -> int:
    """Worker processes for a machine: one per core but one, which the calling process
    keeps busy fetching and writing (on 2 cores one worker backfilled ~15% faster than
    two, which competed with it; BENCHMARKS.md); none on a single core."""
    cores = os.cpu_count() or 1
    return max(0, min(cores - 1, 8))


# Keyed by the baseline itself (frozen, hashable), not its version string: two files may
# share a version while their cues differ, and workers must classify as the caller would.
_pools: dict[tuple[Baseline, int], AnalysisPool] = {}
_broken: set[tuple[Baseline, int]] = set()
_lock = threading.Lock()


def pool_for(baseline: Baseline, *, workers: int, batch: int) -> AnalysisPool | None:
    """The process's pool for ``baseline``, started when ``batch`` pages make it worth it;
    None to analyse in the calling process (no workers configured, a small batch and no pool
    yet, or a pool that broke earlier in this process)."""
    if workers < 1 or batch < 2:
        return None
    key = (baseline, workers)
    with _lock:
        pool = _pools.get(key)
        if pool is None and batch >= START_POOL_FROM and key not in _broken:
            pool = _pools[key] = AnalysisPool(baseline, workers)
        return pool


def retire(pool: AnalysisPool, exc: BrokenProcessPool) -> None:
    """Stop using a pool whose worker died (killed, out of memory): the rest of this
    process's work is analysed in-process, and the failure is logged once. Safe to call
    from a future's callback: nothing here waits for the pool."""
    with _lock:
        for key, known in list(_pools.items()):
            if known is pool:
                del _pools[key]
                _broken.add(key)
                log.warning("analysis workers stopped (%s); parsing in-process from now on", exc)
    pool.close(wait=False)


@atexit.register
def _close_pools() -> None:
    with _lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.close()
