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
import contextlib
import dataclasses
import fcntl
import logging
import multiprocessing
import os
import pickle
import signal
import threading
import time
from collections import deque
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from multiprocessing import connection
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from typing import Any
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
    # A stored article keeps its cluster (``assign_cluster``): a worker need not shingle it.
    stored: bool = False


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
    # nearly always. A stored article has its cluster already.
    article = done.article
    given = classifier_input(article, article_id="", url=job.listed_url, outlet=job.outlet)
    return dataclasses.replace(
        done,
        verdict=_worker_classifier.assess(given),
        shingled=None if job.stored else Shingled.of(article.title, article.text),
    )


def _serve(jobs: Connection, results: Connection, baseline: Baseline) -> None:
    """A worker's life: say it started (or why it could not), then answer each job in turn
    until the pipe closes or a ``None`` job says to stop."""
    # Ctrl-C reaches the whole process group: the caller decides what stops, and closes us.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _start_worker(baseline)
    except Exception as exc:
        results.send((False, _portable(exc)))
        return
    results.send((True, None))
    while True:
        try:
            job = jobs.recv()
        except EOFError:
            return
        if job is None:
            return
        try:
            outcome: tuple[bool, object] = (True, _analyse_in_worker(job))
        except Exception as exc:  # a bug in parsing: raised where the page is stored
            outcome = (False, _portable(exc))
        results.send(outcome)


def _portable(exc: BaseException) -> BaseException:
    """``exc``, or a stand-in naming it where it cannot cross to the caller (unpicklable)."""
    try:
        pickle.loads(pickle.dumps(exc))  # noqa: S301  (our own bytes, made just now)
    except Exception:
        return RuntimeError(f"{type(exc).__name__}: {exc}")
    return exc


# --- caller side ---------------------------------------------------------------------------

_PIPE_BYTES = 1 << 20
# What a pipe holds when it cannot be widened: Linux's default, elsewhere a guess (only how
# often a large page waits for the worker to read depends on it).
_DEFAULT_PIPE_BYTES = 1 << 16


def _widen(conn: Connection) -> int:
    """Make the pipe behind ``conn`` hold ``_PIPE_BYTES`` where the system allows; the bytes
    it holds. A pipe that stays small only makes a large page wait for the worker to read."""
    setting = getattr(fcntl, "F_SETPIPE_SZ", None)  # Linux only
    if setting is None:
        return _DEFAULT_PIPE_BYTES
    try:
        fcntl.fcntl(conn.fileno(), setting, _PIPE_BYTES)
        return int(fcntl.fcntl(conn.fileno(), fcntl.F_GETPIPE_SZ))
    except OSError:  # over the system's limit for pipes (/proc/sys/fs/pipe-max-size)
        return _DEFAULT_PIPE_BYTES


class _Worker:
    """One worker process, the pipe its jobs go down and the pipe its answers come up, and
    the jobs it has not answered yet (it answers in order)."""

    def __init__(self, context: ForkServerContext, baseline: Baseline) -> None:
        jobs_out, jobs_in = context.Pipe(duplex=False)
        results_out, results_in = context.Pipe(duplex=False)
        self.capacity = _widen(jobs_in)
        _widen(results_in)
        self.process = context.Process(
            target=_serve, args=(jobs_out, results_in, baseline), daemon=True
        )
        self.process.start()
        jobs_out.close()
        results_in.close()
        self.jobs: Connection = jobs_in
        self.results: Connection = results_out
        self.started = False
        self.pending: deque[tuple[Future[Analysed], int]] = deque()  # (answer, bytes sent)
        self.pending_bytes = 0


class _Pumped(Future[Any]):
    """A future that reads its pool's answers when asked whether it is done or for its
    result: no thread of ours sits waiting on the workers, so the answers are read by
    whoever needs one."""

    def __init__(self, pool: AnalysisPool) -> None:
        super().__init__()
        self._pool = pool

    def done(self) -> bool:
        if not super().done():
            self._pool.collect()
        return super().done()

    def result(self, timeout: float | None = None) -> Any:
        if not super().done():
            self._pool.collect(until=self, timeout=timeout)
        return super().result(timeout=0)


class AnalysisPool:
    """Worker processes parsing and classifying pages against one baseline.

    The caller writes each job down a worker's pipe and reads the answers itself, when it
    asks for one (``_Pumped``). A ``ProcessPoolExecutor`` did the same with two threads of
    its own in the caller, each page handed between three threads: without them the
    backfill's writing process spends about a seventh less CPU per article (BENCHMARKS.md,
    tenth round).
    """

    def __init__(self, baseline: Baseline, workers: int) -> None:
        context = multiprocessing.get_context("forkserver")
        # Imported once in the fork server, so each worker starts with them loaded.
        context.set_forkserver_preload(
            ["parsers", "classify.rules", "storage.shingling", "tradewatch.analysis"]
        )
        self.workers = workers
        self.handed_out = time.monotonic()  # when ``pool_for`` last gave it work
        # Reentrant: an answer's callbacks run under it and may retire the pool.
        self._lock = threading.RLock()
        self._broken: BrokenProcessPool | None = None
        self._closed = False
        # Workers take ~0.5 s to start (the fork server imports the parsers, each worker
        # compiles the classifier). Until one has said so, the caller parses pages itself
        # rather than queueing them and waiting (see ``ready``).
        self._workers = [_Worker(context, baseline) for _ in range(workers)]

    @property
    def pids(self) -> list[int]:
        """The worker processes' ids."""
        return [w.process.pid for w in self._workers if w.process.pid is not None]

    @property
    def ready(self) -> bool:
        """Whether a worker has started (or the pool failed to start: ``submit`` says so)."""
        with self._lock:
            self.collect()
            return self._broken is not None or any(w.started for w in self._workers)

    def wait_ready(self, timeout: float | None = None) -> None:
        """Wait until ``ready``; raises what starting the pool raised, if it failed."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            while self._broken is None and not any(w.started for w in self._workers):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError("analysis workers did not start in time")
                self._read(block=True, timeout=left)
            if self._broken is not None:
                raise self._broken

    def submit(self, job: PageJob) -> Future[Analysed]:
        """Send ``job`` to the started worker with the fewest unanswered; its answer, to come.
        Raises ``BrokenProcessPool`` once a worker has died."""
        data = pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL)
        with self._lock:
            self.collect()
            if self._broken is not None:
                raise self._broken
            worker = min(
                (w for w in self._workers if w.started), key=lambda w: len(w.pending), default=None
            )
            if worker is None:
                raise RuntimeError("no analysis worker has started: ask ready first")
            # Never block on a full pipe while the worker may be blocked on ours: read its
            # answers until this page fits beside the ones it has not read.
            while worker.pending and worker.pending_bytes + len(data) > worker.capacity:
                self._read(block=True, timeout=None)
                if self._broken is not None:
                    raise self._broken
            answer: _Pumped = _Pumped(self)
            try:
                worker.jobs.send_bytes(data)
            except OSError as exc:  # the worker is gone
                self._break(f"an analysis worker could not take a page ({exc})")
                raise self._broken from exc  # type: ignore[misc]
            worker.pending.append((answer, len(data)))
            worker.pending_bytes += len(data)
            return answer

    def future(self) -> Future[Any]:
        """A future set by an answer's callback, which reads answers when asked about."""
        return _Pumped(self)

    def collect(self, *, until: Future[Any] | None = None, timeout: float | None = None) -> None:
        """Settle the answers that have arrived; with ``until``, read until it is done (or
        ``timeout`` passes: ``TimeoutError``)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._lock:
            self._read(block=False, timeout=0)
            while until is not None and not Future.done(until):
                if self._stopped() or not self._waiting():
                    # Every answer has been settled, and with it every callback run.
                    raise RuntimeError("a future no answer from the analysis workers will set")
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError("no answer from the analysis workers in time")
                self._read(block=True, timeout=left)

    def _stopped(self) -> bool:
        return self._broken is not None or self._closed

    def _waiting(self) -> list[_Worker]:
        return [w for w in self._workers if w.pending or not w.started]

    def _read(self, *, block: bool, timeout: float | None) -> None:
        """Settle every answer waiting in the pipes; when ``block``, wait for one first."""
        if self._stopped():
            return
        waiting = self._waiting()
        if not waiting:
            return
        by_handle: dict[Any, _Worker] = {}  # a results pipe or a process sentinel
        for worker in waiting:
            by_handle[worker.results] = worker
            by_handle[worker.process.sentinel] = worker
        for handle in connection.wait(list(by_handle), timeout=timeout if block else 0):
            if self._stopped():
                return  # an answer's callback retired the pool
            worker = by_handle[handle]
            if handle is not worker.results:  # the worker exited
                if worker.results.poll():  # its last answers first
                    continue
                self._break(f"an analysis worker exited (code {worker.process.exitcode})")
                return
            self._settle(worker)

    def _settle(self, worker: _Worker) -> None:
        while worker.results.poll():
            try:
                ok, value = worker.results.recv()
            except (EOFError, OSError) as exc:
                self._break(f"an analysis worker stopped answering ({exc})")
                return
            except Exception as exc:  # an answer that cannot be rebuilt here: that page's
                ok, value = False, exc
            if not worker.started:
                worker.started = True
                if not ok:
                    self._break(f"an analysis worker failed to start ({value})")
                    return
                continue
            answer, size = worker.pending.popleft()
            worker.pending_bytes -= size
            if ok:
                answer.set_result(value)
            else:
                answer.set_exception(value)
            if self._stopped():
                return  # a callback retired the pool

    def _break(self, why: str) -> None:
        """A worker died (killed, out of memory): every unanswered page fails with
        ``BrokenProcessPool``, which the caller answers by parsing it in-process."""
        self._broken = BrokenProcessPool(why)
        unanswered = [answer for w in self._workers for answer, _ in w.pending]
        for worker in self._workers:
            worker.pending.clear()
            worker.pending_bytes = 0
        for answer in unanswered:
            answer.set_exception(self._broken)

    def close(self, *, wait: bool = True) -> None:
        """Stop the workers: asked to, and given a few seconds, when ``wait``; else at once.
        Unanswered pages fail as in ``_break``."""
        with self._lock:
            if self._closed:
                return
            if self._broken is None:
                self._break("the analysis pool was closed")
            self._closed = True
            for worker in self._workers:
                if wait and worker.process.is_alive():
                    with contextlib.suppress(OSError):
                        worker.jobs.send(None)
                    worker.process.join(timeout=5)
                if worker.process.is_alive():
                    worker.process.terminate()
                    worker.process.join(timeout=5)
                worker.jobs.close()
                worker.results.close()


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


def pool_for(
    baseline: Baseline, *, workers: int, batch: int, start_from: int = START_POOL_FROM
) -> AnalysisPool | None:
    """The process's pool for ``baseline``, started when a batch of ``start_from`` pages
    makes it worth it; None to analyse in the calling process (no workers configured, a small
    batch and no pool yet, or a pool that broke earlier in this process).

    A caller waiting for each answer gains nothing from handing off a single page; one that
    goes on with other sources meanwhile (``tradewatch.interleave``) does, and passes
    ``start_from=1``."""
    if workers < 1 or batch < min(2, start_from):
        return None
    key = (baseline, workers)
    with _lock:
        pool = _held(baseline, workers)
        if pool is None and batch >= start_from and key not in _broken:
            pool = _pools[key] = AnalysisPool(baseline, workers)
        if pool is not None:
            pool.handed_out = time.monotonic()
        return pool


def _held(baseline: Baseline, workers: int) -> AnalysisPool | None:
    """The pool for (``baseline``, ``workers``), if any. Asked for every source with pages,
    so it is found by the baseline's identity first: hashing a baseline (every cue of every
    dimension) costs ~0.1 ms. A pool found for an equal baseline (the file loaded again) is
    filed under the one given, which the next calls will give."""
    for (known, count), pool in _pools.items():
        if known is baseline and count == workers:
            return pool
    found = _pools.pop((baseline, workers), None)
    if found is not None:
        _pools[(baseline, workers)] = found
    return found


def close_idle_pools(idle_for: float, *, now: float | None = None) -> int:
    """Stop the pools given no work for ``idle_for`` seconds; returns how many.

    For a process that stays up (``tradewatch watch``): the workers a large first pass
    started (~50 MB each) are not kept for good, nor those of a baseline since replaced; a
    later large batch starts them again. Call it between passes, not while one runs.
    """
    now = time.monotonic() if now is None else now
    with _lock:
        idle = [k for k, pool in _pools.items() if now - pool.handed_out >= idle_for]
        pools = [_pools.pop(k) for k in idle]
    for pool in pools:
        pool.close()
    if pools:
        log.info(
            "analysis workers stopped after %.0f s without work (%d pools)", idle_for, len(pools)
        )
    return len(pools)


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
