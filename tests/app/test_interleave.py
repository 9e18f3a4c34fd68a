"""Sources' checks interleaved in one thread: the same articles, verdicts and reports as checks
run one after another, with a worker analysing one source's page while the next is fetched,
and no write lock held while another check runs."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bench.harness import feed_sources
from bench.site import BASE_TIME, BenchSite, serve
from storage.articles import upsert_article
from storage.db import get_engine
from storage.models import Article, ArticleRevision, Assessment, PolicyChange
from tradewatch import analysis, interleave, pipeline
from tradewatch.discovery import read_listing
from tradewatch.interleave import check_interleaved
from tradewatch.pipeline import (
    PipelineContext,
    SourceOutcome,
    SourceReport,
    check_source,
    open_pipeline,
)
from tradewatch.settings import Settings
from tradewatch.sources_config import SourceConfig, SourceKind

OUTLETS = 5
ARTICLES = 3  # per outlet: a first pass of 3 pages per source, below the pool's usual start


@contextmanager
def _serving() -> Iterator[BenchSite]:
    site = BenchSite(outlets=OUTLETS, articles=ARTICLES)
    server = serve(site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def bench_site() -> Iterator[BenchSite]:
    with _serving() as site:
        yield site


@pytest.fixture
def warm_pool() -> Iterator[analysis.AnalysisPool]:
    """The process's pool for one worker, started and answering, stopped afterwards."""
    pool = analysis.pool_for(_baseline(), workers=1, batch=1, start_from=1)
    assert pool is not None
    pool.wait_ready(timeout=60)
    try:
        yield pool
    finally:
        analysis.close_idle_pools(0.0, now=float("inf"))


def _baseline() -> Any:
    from classify.baseline import load_baseline

    return load_baseline(Settings().baseline_file)


def _sources(site: BenchSite) -> list[SourceConfig]:
    return feed_sources(site.base_url, OUTLETS)


def _settings(db_url: str, data_dir: Path, workers: int) -> Settings:
    return Settings(database_url=db_url, data_dir=data_dir, analysis_workers=workers)


def _rounds(
    site: BenchSite, ctx: PipelineContext, check: Any, *, first: datetime
) -> list[list[SourceReport]]:
    """A first pass (every page new), then one after a third of the pages were revised."""
    reports = [check(ctx, _sources(site), first)]
    site.mutate(1 / 3, first + timedelta(minutes=30))
    reports.append(check(ctx, _sources(site), first + timedelta(hours=1)))
    return reports


def _one_after_another(
    ctx: PipelineContext, sources: list[SourceConfig], now: datetime
) -> list[SourceReport]:
    return [check_source(ctx, source, now=now) for source in sources]


def _interleaved(
    ctx: PipelineContext, sources: list[SourceConfig], now: datetime
) -> list[SourceReport]:
    return check_interleaved(ctx, sources, depth=3, now=now)


def _stored(db_url: str, base_url: str) -> dict[str, list[tuple[Any, ...]]]:
    """What the database holds, URLs relative to the site's (each run has a site of its own)."""
    engine = get_engine(db_url)
    try:
        with Session(engine) as session:
            articles = session.exec(select(Article).order_by(Article.url)).all()
            url = {a.id: a.url.removeprefix(base_url) for a in articles}
            revisions = session.exec(select(ArticleRevision)).all()
            verdicts = session.exec(select(Assessment)).all()
            changes = session.exec(select(PolicyChange)).all()
            return {
                "articles": [
                    (url[a.id], a.content_hash, a.revision_count, a.cluster_key) for a in articles
                ],
                "revisions": sorted(
                    (url[r.article_id], r.revision_no, r.content_hash, r.diff) for r in revisions
                ),
                "assessments": sorted(
                    (url[v.article_id], v.content_hash, v.relation, v.direction, v.confidence)
                    for v in verdicts
                ),
                "changes": sorted(
                    (c.dimension, c.direction, c.corroboration, c.status) for c in changes
                ),
            }
    finally:
        engine.dispose()


def _counts(reports: list[SourceReport]) -> list[tuple[str, str, int, int, int]]:
    return [(r.source, r.outcome.value, r.new, r.changed, r.departures) for r in reports]


def test_interleaved_checks_store_and_report_what_checks_one_after_another_do(
    warm_pool: analysis.AnalysisPool, tmp_path: Path
) -> None:
    submitted: list[str] = []
    submit = warm_pool.submit

    def counting(job: analysis.PageJob) -> Future[analysis.Analysed]:
        submitted.append(job.listed_url)
        return submit(job)

    warm_pool.submit = counting  # type: ignore[method-assign]
    first = BASE_TIME + timedelta(days=400)
    results = {}
    fetched_in: dict[str, set[str]] = {}  # the threads that fetched the article pages
    for name, check, workers in (("alone", _one_after_another, 0), ("mixed", _interleaved, 1)):
        here = tmp_path / name
        here.mkdir()
        url = f"sqlite:///{here / 'tw.db'}"
        threads = fetched_in.setdefault(name, set())
        with _serving() as site, open_pipeline(_settings(url, here, workers)) as ctx:
            get = ctx.fetcher.get

            def noting_thread(
                page: str, get: Any = get, threads: set[str] = threads, **kwargs: Any
            ) -> Any:
                if page.endswith(".html"):
                    threads.add(threading.current_thread().name)
                return get(page, **kwargs)

            ctx.fetcher.get = noting_thread  # type: ignore[method-assign,assignment]
            reports = _rounds(site, ctx, check, first=first)
            results[name] = (reports, _stored(url, site.base_url))

    (alone_reports, alone_stored), (mixed_reports, mixed_stored) = results.values()
    assert [_counts(r) for r in mixed_reports] == [_counts(r) for r in alone_reports]
    assert sum(r.new for r in alone_reports[0]) == OUTLETS * ARTICLES
    assert sum(r.changed for r in alone_reports[1]) == OUTLETS  # a third of 15 pages
    assert any(r.departures for r in alone_reports[0])  # verdicts that matter are compared
    assert mixed_stored == alone_stored
    assert len(mixed_stored["revisions"]) > len(mixed_stored["articles"])
    # Every page of the interleaved run went to the worker, a single changed one included.
    assert len(submitted) == OUTLETS * ARTICLES + OUTLETS
    # Alone, a source's next page is fetched ahead in a thread; interleaved, every page is
    # fetched in the calling thread (the other checks overlap its wait).
    assert fetched_in["mixed"] == {threading.current_thread().name}
    assert any(name.startswith("fetch-ahead") for name in fetched_in["alone"])


def test_the_next_source_is_fetched_while_a_worker_analyses_and_no_write_lock_is_held(
    bench_site: BenchSite,
    warm_pool: analysis.AnalysisPool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    database = tmp_path / "tw.db"
    events: list[str] = []

    def listing(fetcher: Any, source: SourceConfig, **kwargs: Any) -> Any:
        events.append(f"listing {source.name}")
        return read_listing(fetcher, source, **kwargs)

    def upsert(**kwargs: Any) -> Any:
        events.append(f"store {kwargs['source']}")
        return upsert_article(**kwargs)

    held: list[str] = []
    advance = interleave._advance

    def advance_and_probe(check: Any) -> SourceReport | None:
        report = advance(check)
        if report is None:  # it yields: another connection must be able to write at once
            probe = sqlite3.connect(database, timeout=0)
            try:
                probe.execute("BEGIN IMMEDIATE")
                probe.rollback()
            except sqlite3.OperationalError as exc:
                held.append(f"{check.source.name}: {exc}")
            finally:
                probe.close()
        return report

    monkeypatch.setattr("tradewatch.pipeline.read_listing", listing)
    monkeypatch.setattr("tradewatch.pipeline.upsert_article", upsert)
    monkeypatch.setattr(interleave, "_advance", advance_and_probe)
    settings = _settings(f"sqlite:///{database}", tmp_path, workers=1)
    with open_pipeline(settings) as ctx:
        reports = check_interleaved(ctx, _sources(bench_site), depth=2, now=BASE_TIME)

    assert [r.outcome for r in reports] == [SourceOutcome.NEW] * OUTLETS
    assert held == []
    # o1's listing is read while o0's pages are with the worker, before any of them is stored.
    assert events.index("listing o1") < events.index("store o0")
    # Never more than two sources under way: o2 starts only once o0 is done.
    assert events.index("listing o2") > max(i for i, e in enumerate(events) if e == "store o0")


def test_the_sources_states_are_read_at_once_or_else_one_by_one(
    bench_site: BenchSite,
    warm_pool: analysis.AnalysisPool,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read_one: list[str] = []
    read_many: list[int] = []
    one, many = pipeline._monitor_state, pipeline.monitor_states

    def reading_one(ctx: PipelineContext, source: SourceConfig, **kwargs: Any) -> Any:
        read_one.append(source.name)
        return one(ctx, source, **kwargs)

    def reading_many(ctx: PipelineContext, sources: Any, **kwargs: Any) -> Any:
        read_many.append(len(sources))
        if len(read_many) > 2:
            raise OSError("disk I/O error")
        return many(ctx, sources, **kwargs)

    monkeypatch.setattr(pipeline, "_monitor_state", reading_one)
    monkeypatch.setattr(interleave, "monitor_states", reading_many)
    settings = _settings(f"sqlite:///{tmp_path / 'tw.db'}", tmp_path, workers=1)
    with open_pipeline(settings) as ctx:
        first = check_interleaved(ctx, _sources(bench_site), depth=3, now=BASE_TIME)
        # Nothing changed since: the validators read at once make every listing a 304.
        later = BASE_TIME + timedelta(hours=1)
        again = check_interleaved(ctx, _sources(bench_site), depth=3, now=later)
        assert (read_many, read_one) == ([OUTLETS, OUTLETS], [])
        # Reading them at once fails: each check reads its own, with the same validators.
        third = check_interleaved(ctx, _sources(bench_site), depth=3, now=later)
        assert read_one == [s.name for s in _sources(bench_site)]

    assert [r.outcome for r in first] == [SourceOutcome.NEW] * OUTLETS
    assert [r.outcome for r in again] == [SourceOutcome.NOT_MODIFIED] * OUTLETS
    assert [r.outcome for r in third] == [SourceOutcome.NOT_MODIFIED] * OUTLETS


def _stand_in(outcomes: dict[str, list[Future[Any] | Exception]], log: list[str]) -> Any:
    """``check_steps`` replaced: each source yields the futures given, or raises."""

    def check_steps(
        ctx: object, source: SourceConfig, **kwargs: object
    ) -> pipeline.Steps[SourceReport]:
        for step in outcomes[source.name]:
            log.append(source.name)
            if isinstance(step, Exception):
                raise step
            yield step
        log.append(f"{source.name} done")
        return SourceReport(source=source.name)

    return check_steps


def _named(*names: str) -> list[SourceConfig]:
    return [
        SourceConfig(
            name=n, kind=SourceKind.FEED, url=f"https://{n}.example/feed.xml", parser="generic"
        )
        for n in names
    ]


def test_a_check_that_raises_gets_a_crash_report_and_the_others_go_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    done: Future[Any] = Future()
    done.set_result(None)
    outcomes: dict[str, list[Future[Any] | Exception]] = {
        "a": [done],
        "b": [done, ValueError("bug on a rare page")],
        "c": [done, done],
    }
    monkeypatch.setattr(interleave, "check_steps", _stand_in(outcomes, []))
    monkeypatch.setattr(interleave, "monitor_states", lambda *args, **kwargs: {})
    ctx = PipelineContext.__new__(PipelineContext)  # never touched by the stand-in

    reports = check_interleaved(ctx, _named("a", "b", "c"), depth=2)

    assert [r.source for r in reports] == ["a", "b", "c"]
    assert reports[1].error_kind == "crash" and "bug on a rare page" in str(reports[1].error)
    assert reports[0].error_kind is None and reports[2].error_kind is None


def test_the_oldest_check_goes_on_first_and_a_new_one_starts_only_while_all_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    slow: Future[Any] = Future()
    ready: Future[Any] = Future()
    ready.set_result(None)
    outcomes: dict[str, list[Future[Any] | Exception]] = {
        "a": [slow],  # waits until b has started
        "b": [ready],
        "c": [ready],
    }
    log: list[str] = []
    steps = _stand_in(outcomes, log)

    def steps_that_settle_a(ctx: object, source: SourceConfig, **kwargs: object) -> Any:
        if source.name == "b":
            slow.set_result(None)  # a's answer arrives while b starts
        return steps(ctx, source, **kwargs)

    monkeypatch.setattr(interleave, "check_steps", steps_that_settle_a)
    monkeypatch.setattr(interleave, "monitor_states", lambda *args, **kwargs: {})
    ctx = PipelineContext.__new__(PipelineContext)

    reports = check_interleaved(ctx, _named("a", "b", "c"), depth=2)

    assert [r.source for r in reports] == ["a", "b", "c"]
    # a waits, so b starts; a's answer is there, so a finishes before b goes on; c starts
    # only when a has made room.
    assert log == ["a", "b", "a done", "b done", "c", "c done"]


def test_depth_below_one_is_refused() -> None:
    ctx = PipelineContext.__new__(PipelineContext)
    with pytest.raises(ValueError, match="depth=0"):
        check_interleaved(ctx, [], depth=0)


def test_a_single_page_starts_the_pool_only_for_a_caller_that_interleaves() -> None:
    baseline = _baseline()
    try:
        assert analysis.pool_for(baseline, workers=1, batch=1) is None
        assert analysis.pool_for(baseline, workers=1, batch=0, start_from=1) is None
        pool = analysis.pool_for(baseline, workers=1, batch=1, start_from=1)
        assert pool is not None
        # Running now: a plain caller with two pages is handed it too, one page still not.
        assert analysis.pool_for(baseline, workers=1, batch=2) is pool
        assert analysis.pool_for(baseline, workers=1, batch=1) is None
    finally:
        analysis.close_idle_pools(0.0, now=float("inf"))
