"""The per-source pipeline: fetch a listing, fetch new articles, parse, store, classify, record.

Flows call these functions as tasks; nothing here knows about Prefect. Every outcome is a value
(``SourceReport``), never an exception escaping the loop: a dead or malformed source costs that
source one recorded failure, and the other sources go on.

An article's rows (article, revision, assessment, signals, policy change) are written together
in one transaction, with the articles before it in its group (``tradewatch.write_groups``): a
group commits every 50 articles and whenever the writer would wait for a page, so a crash loses
at most the open group, and a failed write is replayed one article at a time. On PostgreSQL
an article that may record a departure is written in a transaction of its own, since it locks
the policy changes it corroborates (``storage.assessments``). The next article's page is
fetched while one is parsed and stored (``_PagesAhead``); a page fetched but not stored is
simply fetched again by the next run.

Which listed pages are fetched: new ones, and stored ones whose listing changed what it said
of them (``_listed_as_changed``). What listings said is kept for that: the URL a page was
listed under when it is stored under its canonical one, its headline and update time, and the
pages dropped rather than stored (a paywalled teaser, a page gone or over the size cap:
``storage.skipped``), so that a changed listing does not have them all fetched again.
"""

from __future__ import annotations

import functools
import logging
from collections import deque
from collections.abc import Generator, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.engine import Engine
from sqlmodel import Session

from classify.baseline import Baseline, load_baseline
from classify.rules import CLASSIFIER_VERSION, RuleClassifier
from classify.types import Relation
from parsers.base import EntryRef, ParseError, PaywallTeaser
from parsers.urls import canonicalize_url
from sources.errors import BlockedByRobots, FetchError, HTTPStatusError, PageTooLarge
from sources.fetch import FetchResult, to_page
from sources.fetcher import Fetcher
from sources.politeness import Politeness
from storage.articles import (
    ArticleOutcome,
    KnownPage,
    known_articles,
    remember_listed_url,
    upsert_article,
)
from storage.assessments import (
    add_assessment,
    assessment_exists,
    locks_open_changes,
    lost_opening_race,
    records_departure,
)
from storage.baselines import ensure_baseline_version
from storage.clusters import assign_cluster
from storage.db import get_engine, upgrade
from storage.robots import DatabaseRobotsStore
from storage.skipped import remember_skipped, skipped_pages
from storage.source_state import (
    CheckState,
    check_states,
    record_fetch_failure,
    record_fetch_success,
    record_silence,
)
from tradewatch import analysis
from tradewatch.discovery import Validators, read_archive, read_listing
from tradewatch.settings import Settings
from tradewatch.sources_config import SourceConfig
from tradewatch.write_groups import GroupedWrites

log = logging.getLogger(__name__)

# A scheduled run arriving a little early should not skip a source that is due.
_CADENCE_SLACK = timedelta(minutes=5)

T = TypeVar("T")
# A check as steps: it yields each future it is about to wait for (with nothing of its own
# uncommitted), so a caller may go on with other checks meanwhile, and returns its result.
Steps = Generator[Future[Any], None, T]


def run_steps(steps: Steps[T]) -> T:
    """Run ``steps`` to the end in this thread, waiting wherever it waits; its result."""
    while True:
        try:
            next(steps)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]


class SourceOutcome(StrEnum):
    NEW = "new"  # at least one new article stored
    CHANGED = "changed"  # listing changed; revisions but no new articles
    UNCHANGED = "unchanged"  # listing fetched, nothing new
    NOT_MODIFIED = "not_modified"  # 304, or same body hash
    NOT_DUE = "not_due"  # skipped: fetched more recently than its cadence
    ERROR = "error"


@dataclass(frozen=True)
class DateWindow:
    """A half-open window [start, end) of publication times, for backfill."""

    start: datetime
    end: datetime

    def contains(self, when: datetime | None) -> bool:
        return when is None or self.start <= when < self.end


@dataclass
class SourceReport:
    """What one pass over one source did; counted, never raised."""

    source: str
    outcome: SourceOutcome = SourceOutcome.UNCHANGED
    listed: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    skipped: int = 0  # outside the window, already known, or over the per-run cap
    failed: int = 0  # article pages that could not be fetched or parsed
    departures: int = 0
    error_kind: str | None = None
    error: str | None = None
    article_errors: list[str] = field(default_factory=list)


def crash_report(source: str, error: object) -> SourceReport:
    """The report of a source whose check raised instead of returning a report."""
    detail = error if isinstance(error, str) else repr(error)
    return SourceReport(
        source=source, outcome=SourceOutcome.ERROR, error_kind="crash", error=detail
    )


@dataclass
class PipelineContext:
    """Everything a pass needs, built once per flow run."""

    settings: Settings
    engine: Engine
    fetcher: Fetcher
    baseline: Baseline
    classifier: RuleClassifier


def prepare_database(settings: Settings, *, baseline_file: Path | None = None) -> Baseline:
    """Bring the schema to the latest migration and record the baseline version in use."""
    path = baseline_file or settings.baseline_file
    baseline = load_baseline(path)
    url = settings.resolved_database_url
    upgrade(url)
    engine = get_engine(url)
    try:
        with Session(engine) as session:
            ensure_baseline_version(session=session, baseline=baseline, source_path=str(path))
            session.commit()
    finally:
        engine.dispose()
    return baseline


@functools.cache
def shared_politeness(
    *,
    host_interval: float,
    max_concurrency: int,
    max_attempts: int,
    retry_after_cap: float,
    backoff_base: float,
) -> Politeness:
    """One Politeness per process and configuration: the per-host spacing and the concurrency
    limit must hold across all the source tasks a process runs, not within each task only."""
    return Politeness(
        host_interval=host_interval,
        max_concurrency=max_concurrency,
        max_attempts=max_attempts,
        retry_after_cap=retry_after_cap,
        backoff_base=backoff_base,
    )


@functools.lru_cache(maxsize=4)
def classifier_for(baseline: Baseline) -> RuleClassifier:
    """The classifier of a baseline, compiled once per process (baselines are frozen and
    hashable; each source task would otherwise recompile every cue)."""
    return RuleClassifier(baseline)


def make_fetcher(settings: Settings, engine: Engine) -> Fetcher:
    """The run's fetcher: settings' limits, the process's politeness, robots.txt cached in
    the database behind ``engine``."""
    return Fetcher(
        user_agent=settings.user_agent,
        timeout=settings.http_timeout,
        max_bytes=settings.max_body_bytes,
        politeness=shared_politeness(
            host_interval=settings.host_interval,
            max_concurrency=settings.max_concurrent_requests,
            max_attempts=settings.fetch_attempts,
            retry_after_cap=settings.retry_after_cap,
            backoff_base=settings.backoff_base,
        ),
        robots_store=DatabaseRobotsStore(engine),
    )


@contextmanager
def open_pipeline(
    settings: Settings, *, baseline_file: Path | None = None, migrate: bool = True
) -> Iterator[PipelineContext]:
    """Load the baseline, open the database and the HTTP client (migrating first unless a
    flow already did it once for all its tasks)."""
    path = baseline_file or settings.baseline_file
    baseline = prepare_database(settings, baseline_file=path) if migrate else load_baseline(path)
    engine = get_engine(settings.resolved_database_url)
    fetcher = make_fetcher(settings, engine)
    try:
        yield PipelineContext(
            settings=settings,
            engine=engine,
            fetcher=fetcher,
            baseline=baseline,
            classifier=classifier_for(baseline),
        )
    finally:
        fetcher.close()
        engine.dispose()


def monitor_states(
    ctx: PipelineContext, sources: Sequence[SourceConfig], *, now: datetime
) -> dict[str, CheckState]:
    """What a monitor check needs of each source's stored state, by name, read in one query
    (rows created on first use): for a caller about to check them all
    (``check_steps(state=...)``)."""
    with Session(ctx.engine) as session:
        states = check_states(session=session, names=[s.name for s in sources], now=now)
        session.commit()
    return states


def _monitor_state(ctx: PipelineContext, source: SourceConfig, *, now: datetime) -> CheckState:
    """``monitor_states`` of one source, for a check that was not given its state."""
    return monitor_states(ctx, [source], now=now)[source.name]


def _is_due(source: SourceConfig, state: CheckState, *, now: datetime) -> bool:
    """Whether the source's cadence (``fetch_every``) allows fetching it now."""
    last = state.last_attempt_at
    return last is None or now - last >= source.fetch_every - _CADENCE_SLACK


def check_source(
    ctx: PipelineContext,
    source: SourceConfig,
    *,
    window: DateWindow | None = None,
    historical: bool = False,
    force: bool = True,
    now: datetime | None = None,
) -> SourceReport:
    """One pass over one source. Monitoring uses conditional requests and remembers the
    listing's validators; backfill (``window`` given) reads the source's archive and leaves the
    monitor's state alone, so the next monitor pass still sees what is new."""
    steps = check_steps(ctx, source, window=window, historical=historical, force=force, now=now)
    return run_steps(steps)


def check_steps(
    ctx: PipelineContext,
    source: SourceConfig,
    *,
    window: DateWindow | None = None,
    historical: bool = False,
    force: bool = True,
    now: datetime | None = None,
    interleaved: bool = False,
    state: CheckState | None = None,
) -> Steps[SourceReport]:
    """``check_source`` as steps (see ``Steps``), for a caller that interleaves several
    sources' checks in one thread (``tradewatch.interleave``), which says so with
    ``interleaved``. Such a caller has other work while a worker analyses a page, so even
    one page goes to a worker, started for it if need be (``analysis.pool_for``). And the
    pages are fetched in the calling thread, not ahead in one of their own: the other checks
    already overlap a page's wait, and a thread's fetch, taking the GIL back after each
    system call behind the busy caller, made the whole pass slower (BENCHMARKS.md,
    seventeenth round). ``state``: the source's stored state, if the caller read it with
    the others' (``monitor_states``); else it is read here."""
    now = now or datetime.now(UTC)
    report = SourceReport(source=source.name)
    monitoring = window is None
    seen = (state or _monitor_state(ctx, source, now=now)) if monitoring else None
    if seen is not None and not force and not _is_due(source, seen, now=now):
        report.outcome = SourceOutcome.NOT_DUE
        return report
    try:
        if seen is not None:
            validators = Validators(
                etag=seen.etag, last_modified=seen.last_modified, body_sha256=seen.body_sha256
            )
            listing, entries = read_listing(ctx.fetcher, source, validators=validators)
        else:
            # Backfill reads the source's archive (older feed pages, sitemap, listing pages).
            assert window is not None
            archive = read_archive(ctx.fetcher, source, since=window.start)
            log.info(
                "source %s: archive %d pages (%s), %d entries",
                source.name,
                archive.pages,
                archive.stop,
                len(archive.entries),
            )
            listing, entries = None, archive.entries
    except (FetchError, ParseError) as exc:
        return _record_failure(ctx, source, report, exc, now=now)

    if listing is None and monitoring:
        report.outcome = SourceOutcome.NOT_MODIFIED
        _record_success(ctx, source, report, listing=None, now=now, remember=monitoring)
        return report

    report.listed = len(entries)
    # The per-pass cap keeps a monitor pass short; a backfill window must not drop what is
    # over it, so it feeds the archive in slices of at most the cap.
    step = len(entries) or 1
    if not monitoring:
        step = min(source.max_articles, ctx.settings.max_articles_per_source)
    for first in range(0, len(entries), step):
        yield from _ingest_entries(
            ctx,
            source,
            entries[first : first + step],
            report,
            window=window,
            historical=historical,
            now=now,
            interleaved=interleaved,
        )
    if report.new:
        report.outcome = SourceOutcome.NEW
    elif report.changed:
        report.outcome = SourceOutcome.CHANGED
    _record_success(ctx, source, report, listing=listing, now=now, remember=monitoring)
    return report


def _ingest_entries(
    ctx: PipelineContext,
    source: SourceConfig,
    entries: list[EntryRef],
    report: SourceReport,
    *,
    window: DateWindow | None,
    historical: bool,
    now: datetime,
    interleaved: bool,
) -> Steps[None]:
    # Articles are keyed by the canonical form of the URL the listing gives, so the
    # "already known?" check needs no page fetch.
    by_url: dict[str, EntryRef] = {}
    for entry in entries:
        if window is not None and not window.contains(entry.published):
            report.skipped += 1
            continue
        try:
            url = canonicalize_url(entry.url)
        except ValueError:  # e.g. a port urllib cannot parse: that link, not the source, fails
            report.failed += 1
            if len(report.article_errors) < 5:
                report.article_errors.append(f"{entry.url}: not a usable URL")
            continue
        by_url.setdefault(url, entry)
    with Session(ctx.engine) as session:
        stored = known_articles(session=session, urls=list(by_url))
        unknown = [url for url in by_url if url not in stored]
        known = stored | skipped_pages(session=session, urls=unknown, now=now)
    todo = [
        (url, entry)
        for url, entry in by_url.items()
        if url not in known or _listed_as_changed(entry, known[url])
    ]
    report.skipped += len(by_url) - len(todo)
    cap = min(source.max_articles, ctx.settings.max_articles_per_source)
    if len(todo) > cap:
        report.skipped += len(todo) - cap
        todo = todo[:cap]
    workers = ctx.settings.analysis_workers
    pool = analysis.pool_for(
        ctx.baseline,
        workers=analysis.default_workers() if workers is None else workers,
        batch=len(todo),
        start_from=1 if interleaved else analysis.START_POOL_FROM,
    )
    # With workers, pages are fetched and handed to them this far ahead of the one stored.
    ahead = 1 if pool is None else 2 * pool.workers + 2
    urls = [entry.url for _, entry in todo]
    pending: deque[tuple[str, EntryRef, Future[_Prepared]]] = deque()
    writes = _writes(ctx, source, report, historical=historical, now=now)
    pages_ahead = _PagesAhead(ctx.fetcher, source, urls, ahead=ahead, in_thread=not interleaved)
    with pages_ahead as pages, writes:
        for (url, entry), page in zip(todo, pages, strict=True):
            yield from _waiting_for(page, writes)
            prepared = _prepare(ctx, source, url, entry, page, pool, stored=url in stored)
            pending.append((url, entry, prepared))
            if len(pending) >= ahead:
                yield from _ingest_one(source, *pending.popleft(), report, writes, window=window)
        while pending:
            yield from _ingest_one(source, *pending.popleft(), report, writes, window=window)


def _waiting_for(future: Future[Any], writes: GroupedWrites[Any, Any]) -> Steps[None]:
    """Wait for ``future``, the open group committed first (``GroupedWrites``): yielded to
    the caller of the steps, who may run other checks until it is done."""
    if not future.done():
        writes.commit()
        yield future


@dataclass(frozen=True)
class _Prepared:
    """A listed page fetched and analysed, or the reason it was not."""

    analysed: analysis.Analysed | None = None
    fetch_error: FetchError | None = None


def _prepare(
    ctx: PipelineContext,
    source: SourceConfig,
    url: str,
    entry: EntryRef,
    page: Future[FetchResult],
    pool: analysis.AnalysisPool | None,
    *,
    stored: bool,
) -> Future[_Prepared]:
    """The page parsed (and, by a worker, classified): here, now, without ``pool`` or while
    its workers start, else a future of the worker's result."""
    done: Future[_Prepared] = Future()
    try:
        result = page.result()
    except FetchError as exc:  # BlockedByRobots included: _ingest_one tells them apart
        done.set_result(_Prepared(fetch_error=exc))
        return done
    job = analysis.PageJob(
        parser=source.parser,
        page=to_page(result),
        listed_url=url,
        listed_published=entry.published,
        outlet=source.display_outlet,
        stored=stored,
    )
    if pool is not None and pool.ready:  # while the workers start, parse here
        try:
            work = pool.submit(job)
        except BrokenProcessPool as exc:
            analysis.retire(pool, exc)
        else:
            settled: Future[_Prepared] = pool.future()  # asked about, it reads the answers
            work.add_done_callback(lambda f: _settle(f, settled, job, pool))
            return settled
    done.set_result(_Prepared(analysed=analysis.parse_page(job)))
    return done


def _settle(
    work: Future[analysis.Analysed],
    done: Future[_Prepared],
    job: analysis.PageJob,
    pool: analysis.AnalysisPool,
) -> None:
    try:
        done.set_result(_Prepared(analysed=work.result()))
    except BrokenProcessPool as exc:
        analysis.retire(pool, exc)
        # A worker died under this page (killed, out of memory): parse it here instead, so
        # the page is not lost with the worker.
        done.set_result(_Prepared(analysed=analysis.parse_page(job)))
    except BaseException as exc:  # a bug in parsing: raised where the page is stored
        done.set_exception(exc)


class _PagesAhead:
    """The pages at ``urls``, fetched up to ``ahead`` pages before the one being stored.

    With ``in_thread``, in a thread of their own, one fetch at a time, as without it, so the
    fetcher's per-host spacing and concurrency limit are spent as before; only the wait for
    the next page (the network, the site) overlaps this page's work instead of adding to it.
    On leaving, a fetch not yet started is cancelled and one under way is waited for.
    Without it, each page is fetched in the calling thread when it is queued.
    """

    def __init__(
        self,
        fetcher: Fetcher,
        source: SourceConfig,
        urls: list[str],
        *,
        ahead: int = 1,
        in_thread: bool = True,
    ) -> None:
        self._fetcher = fetcher
        self._allow_local = source.allows_local
        self._urls = urls
        self._ahead = ahead
        # Nothing to fetch ahead of a single page: it is fetched here, without a thread.
        self._pool = (
            ThreadPoolExecutor(max_workers=1, thread_name_prefix="fetch-ahead")
            if in_thread and len(urls) > 1
            else None
        )

    def _fetch(self, index: int) -> Future[FetchResult]:
        url = self._urls[index]
        if self._pool is None:
            done: Future[FetchResult] = Future()
            try:
                done.set_result(self._fetcher.get(url, allow_local=self._allow_local))
            except Exception as exc:  # raised where the page is asked for, as from a thread
                done.set_exception(exc)
            return done
        return self._pool.submit(self._fetcher.get, url, allow_local=self._allow_local)

    def __iter__(self) -> Iterator[Future[FetchResult]]:
        queued: deque[Future[FetchResult]] = deque()
        following = 0
        for _ in range(len(self._urls)):
            while following < len(self._urls) and len(queued) <= self._ahead:
                queued.append(self._fetch(following))
                following += 1
            yield queued.popleft()

    def __enter__(self) -> _PagesAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _listed_as_changed(entry: EntryRef, known: KnownPage) -> bool:
    """A stored article is fetched again only when its listing says it changed: a headline
    other than the one it gave before, or an update time after the one it gave before (where
    none was recorded: than the stored headline, than when we last saw it). Compared with
    the listing's own words, a page spelling its headline otherwise, or a site's clock ahead
    of ours, is no change. Otherwise steady state fetches no article bodies."""
    before = known.listed_title if known.listed_title is not None else known.title
    if entry.title and entry.title.strip() != before.strip():
        return True
    last = known.listed_updated_at if known.listed_updated_at is not None else known.last_seen_at
    return entry.updated is not None and entry.updated > last


def _ingest_one(
    source: SourceConfig,
    url: str,
    entry: EntryRef,
    prepared: Future[_Prepared],
    report: SourceReport,
    writes: GroupedWrites[_Writable, _Stored],
    *,
    window: DateWindow | None,
) -> Steps[None]:
    yield from _waiting_for(prepared, writes)
    ready = prepared.result()
    error: Exception | None = ready.fetch_error
    if ready.analysed is not None:
        error = ready.analysed.error
    if isinstance(error, BlockedByRobots | PaywallTeaser):
        # Not a failure of the source: a page we may not read, or only a teaser of one.
        report.skipped += 1
        log.info("source %s: skipped %s: %s", source.name, entry.url, error)
        if isinstance(error, PaywallTeaser):  # remembered, so not fetched again every pass
            writes.add(_Skipped(url, "paywall", entry.title or None, entry.updated))
        return
    if error is not None:
        report.failed += 1
        if len(report.article_errors) < 5:
            report.article_errors.append(f"{entry.url}: {error}")
        log.warning("source %s: skipped article %s: %s", source.name, entry.url, error)
        lasting = _lasting_failure(error)
        if lasting is not None:  # reported this once; not asked for again every pass
            writes.add(_Skipped(url, lasting, entry.title or None, entry.updated))
        return
    analysed = ready.analysed
    assert analysed is not None and analysed.article is not None
    if window is not None and not window.contains(analysed.article.published):
        report.skipped += 1
        return
    writes.add(_ToWrite(url, analysed, entry.title or None, entry.updated))


@dataclass(frozen=True)
class _ToWrite:
    url: str  # the listed URL, canonical
    analysed: analysis.Analysed
    listed_title: str | None  # the headline the listing gave, if any
    listed_updated: datetime | None  # the update time the listing gave, if any

    def may_depart(self) -> bool:
        """Whether storing it may record a departure: its verdict departs, or it has none
        yet (``_store`` classifies it)."""
        verdict = self.analysed.verdict
        return verdict is None or records_departure(verdict)


def _lasting_failure(error: Exception) -> str | None:
    """Why a listed page that could not be had would fail the same way on the next pass, if
    it would: it is gone (404, 410) or over the size cap. Anything else (a 5xx, a timeout, a
    page that did not parse) is tried again by the next pass that lists it."""
    if isinstance(error, HTTPStatusError) and error.status in (404, 410):
        return "gone"
    if isinstance(error, PageTooLarge):
        return "too_large"
    return None


@dataclass(frozen=True)
class _Skipped:
    """A listed page dropped rather than stored (``storage.skipped``): remembered."""

    url: str  # the listed URL, canonical
    reason: str  # "paywall", "gone", "too_large"
    listed_title: str | None
    listed_updated: datetime | None

    def may_depart(self) -> bool:
        return False


# What a source's writer writes: an article, or a dropped page to remember.
_Writable = _ToWrite | _Skipped


@dataclass(frozen=True)
class _Stored:
    outcome: ArticleOutcome | None  # None: a dropped page remembered, no article
    departs: bool  # a new assessment of it departs from the baseline


def _writes(
    ctx: PipelineContext,
    source: SourceConfig,
    report: SourceReport,
    *,
    historical: bool,
    now: datetime,
) -> GroupedWrites[_Writable, _Stored]:
    """The writer of ``source``'s articles, counting them in ``report``. Where recording a
    departure locks policy changes, an article that may record one is written alone (no
    deadlock between groups), and one that lost the race to open a change is written again
    (it then corroborates the change the winner opened)."""
    apart = locks_open_changes(ctx.engine.dialect.name)
    return GroupedWrites(
        ctx.engine,
        functools.partial(_store, ctx, source, historical=historical, now=now),
        functools.partial(_count_stored, report),
        describe=lambda item: f"source {source.name}: {item.url}",
        alone=(lambda item: item.may_depart()) if apart else None,
        lost_race=lost_opening_race,
    )


def _count_stored(report: SourceReport, stored: _Stored) -> None:
    if stored.outcome is ArticleOutcome.NEW:
        report.new += 1
    elif stored.outcome is ArticleOutcome.CHANGED:
        report.changed += 1
    elif stored.outcome is ArticleOutcome.UNCHANGED:
        report.unchanged += 1
    if stored.departs:
        report.departures += 1


def _store(
    ctx: PipelineContext,
    source: SourceConfig,
    session: Session,
    item: _Writable,
    *,
    historical: bool,
    now: datetime,
) -> _Stored:
    """Store, cluster, assess and record one parsed article in ``session``'s transaction
    (the caller commits), or remember a dropped page. The verdict and shingles a worker
    computed ahead, if any, save computing them here."""
    if isinstance(item, _Skipped):
        remember_skipped(
            session,
            url=item.url,
            source=source.name,
            reason=item.reason,
            listed_title=item.listed_title,
            listed_updated=item.listed_updated,
            now=now,
        )
        return _Stored(None, departs=False)
    url, analysed = item.url, item.analysed
    parsed, verdict = analysed.article, analysed.verdict
    assert parsed is not None, "a parsed article"
    upserted = upsert_article(
        session=session,
        parsed=parsed,
        source=source.name,
        outlet=source.display_outlet,
        historical=historical,
        listed_title=item.listed_title,
        listed_updated=item.listed_updated,
        now=now,
    )
    article, revision = upserted.article, upserted.revision
    assert article.id is not None
    # Listed under another URL (a query its canonical URL drops): known by that one too.
    remember_listed_url(session, url=url, article=article, now=now)
    # Before assessing: corroboration of any change this opens counts stories, not copies.
    assign_cluster(session=session, article=article, shingled=analysed.shingled)
    departs = False
    # An article stored in this transaction has no assessment yet: no need to ask.
    if upserted.outcome is ArticleOutcome.NEW or not assessment_exists(
        session=session,
        article_id=article.id,
        content_hash=revision.content_hash,
        baseline_version=ctx.baseline.version,
        classifier_version=CLASSIFIER_VERSION,
    ):
        if verdict is None:
            verdict = ctx.classifier.assess(
                analysis.classifier_input(
                    parsed, article_id=str(article.id), url=url, outlet=source.display_outlet
                )
            )
        add_assessment(
            session=session, article=article, revision=revision, assessment=verdict, now=now
        )
        departs = verdict.relation is Relation.DEPARTS
    return _Stored(upserted.outcome, departs)


def _record_success(
    ctx: PipelineContext,
    source: SourceConfig,
    report: SourceReport,
    *,
    listing: FetchResult | None,
    now: datetime,
    remember: bool,
) -> None:
    if not remember:
        return
    with Session(ctx.engine) as session:
        # A 304 gives no validators: record_fetch_success keeps the stored ones.
        record_fetch_success(
            session=session,
            name=source.name,
            url=source.url,
            status=listing.status if listing else 304,
            outcome=report.outcome.value,
            etag=listing.etag if listing else None,
            last_modified=listing.last_modified if listing else None,
            body_sha256=listing.sha256 if listing else None,
            size=len(listing.body) if listing else 0,
            elapsed=listing.elapsed if listing else 0.0,
            new_items=report.new,
            now=now,
        )
        # Checked after the success is logged, so a pass that found new items ends the spell.
        record_silence(
            session=session, name=source.name, silent_for=source.expected_interval, now=now
        )
        session.commit()


def _record_failure(
    ctx: PipelineContext,
    source: SourceConfig,
    report: SourceReport,
    exc: FetchError | ParseError,
    *,
    now: datetime,
) -> SourceReport:
    report.outcome = SourceOutcome.ERROR
    report.error_kind = exc.kind if isinstance(exc, FetchError) else "malformed"
    report.error = str(exc)
    if isinstance(exc, BlockedByRobots):
        report.skipped += 1  # not fetched: robots.txt said no (or could not be read)
    log.warning("source %s failed (%s): %s", source.name, report.error_kind, exc)
    with Session(ctx.engine) as session:
        record_fetch_failure(
            session=session,
            name=source.name,
            url=source.url,
            error_kind=report.error_kind,
            error=report.error,
            now=now,
        )
        session.commit()
    return report
