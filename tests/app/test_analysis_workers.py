"""Parsing and classifying in worker processes changes how fast, never what is stored."""

from __future__ import annotations

import dataclasses
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, select

from bench.site import BASE_TIME, BenchSite, render_article, serve
from classify.rules import RuleClassifier
from parsers.base import FetchedPage
from storage.clusters import _Sketch
from storage.models import Article, Assessment, PolicyChange
from storage.shingling import shingles, sketch_bits
from tradewatch import analysis
from tradewatch.pipeline import DateWindow, SourceReport, check_source, open_pipeline
from tradewatch.settings import Settings
from tradewatch.sources_config import SourceConfig, SourceKind

ARTICLES = 40  # above analysis.START_POOL_FROM: the pool starts for this batch


@pytest.fixture(scope="module")
def archive() -> Iterator[str]:
    """A benchmark site with one outlet of ``ARTICLES`` archived articles."""
    site = BenchSite(outlets=1, articles=ARTICLES)
    server = serve(site)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site.base_url
    finally:
        server.shutdown()
        server.server_close()


def _source(base_url: str) -> SourceConfig:
    return SourceConfig(
        name="archive0",
        kind=SourceKind.SITEMAP,
        url=f"{base_url}/o0/sitemap.xml",
        parser="dailynk",
        outlet="Bench outlet 0",
        local=True,
        max_articles=ARTICLES,
    )


def _backfill(db_url: str, data_dir: Path, base_url: str, workers: int) -> SourceReport:
    settings = Settings(database_url=db_url, data_dir=data_dir, analysis_workers=workers)
    window = DateWindow(BASE_TIME - timedelta(days=1), BASE_TIME + timedelta(days=3650))
    with open_pipeline(settings) as ctx:
        return check_source(ctx, _source(base_url), window=window, historical=True)


def _stored(db_url: str) -> dict[str, list[tuple[Any, ...]]]:
    settings = Settings(database_url=db_url)
    from storage.db import get_engine

    engine = get_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            articles = session.exec(select(Article).order_by(Article.url)).all()
            by_id = {a.id: a.url for a in articles}
            verdicts = session.exec(select(Assessment)).all()
            changes = session.exec(select(PolicyChange)).all()
            return {
                "articles": [(a.url, a.title, a.published_at, a.content_hash) for a in articles],
                "assessments": sorted(
                    (
                        by_id[v.article_id],
                        v.relation,
                        v.direction,
                        round(v.confidence, 9),
                        tuple(v.dimensions),
                        tuple(v.evidence),
                    )
                    for v in verdicts
                ),
                "changes": sorted(
                    (c.dimension, c.direction, c.corroboration, c.status) for c in changes
                ),
            }
    finally:
        engine.dispose()


def test_a_backfill_through_workers_stores_what_one_process_stores(
    archive: str, tmp_path: Path
) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir()
    there.mkdir()
    alone = _backfill(f"sqlite:///{here / 'tw.db'}", here, archive, workers=0)
    # Started and answering before the backfill, so that its pages go to the workers (while
    # a pool starts, pages are parsed in the calling process).
    started = analysis.pool_for(_baseline(), workers=2, batch=analysis.START_POOL_FROM)
    assert started is not None
    started.wait_ready(timeout=60)
    pooled = _backfill(f"sqlite:///{there / 'tw.db'}", there, archive, workers=2)
    assert (alone.new, alone.failed, alone.skipped) == (ARTICLES, 0, 0)
    assert (pooled.new, pooled.failed, pooled.skipped, pooled.departures) == (
        alone.new,
        alone.failed,
        alone.skipped,
        alone.departures,
    )
    assert alone.departures > 0  # the comparison covers departures, not only unrelated items
    assert analysis.pool_for(_baseline(), workers=2, batch=2) is not None  # it did start
    assert _stored(f"sqlite:///{there / 'tw.db'}") == _stored(f"sqlite:///{here / 'tw.db'}")


def _baseline() -> Any:
    from classify.baseline import load_baseline

    return load_baseline(Settings().baseline_file)


def _job(body: bytes, url: str = "http://127.0.0.1:1/o0/a1.html") -> analysis.PageJob:
    return analysis.PageJob(
        parser="dailynk",
        page=FetchedPage(url=url, body=body, content_type="text/html; charset=utf-8"),
        listed_url=url,
        listed_published=BASE_TIME,
        outlet="Bench outlet 0",
    )


def test_a_worker_returns_the_article_verdict_and_shingles_computed_here() -> None:
    baseline = _baseline()
    pool = analysis.pool_for(baseline, workers=2, batch=analysis.START_POOL_FROM)
    assert pool is not None
    page = render_article(5, 0, 1, 0, "2024-05-01T09:00:00+09:00", "http://127.0.0.1:1")
    job = _job(page)
    there = pool.submit(job).result(timeout=60)
    here = analysis.parse_page(job)
    assert here.article is not None and there.article == here.article
    expected = RuleClassifier(baseline).assess(
        analysis.classifier_input(here.article, article_id="", url=job.listed_url, outlet="x")
    )
    assert there.verdict is not None
    assert there.verdict.relation == expected.relation
    assert there.verdict.signals == expected.signals
    assert there.shingled is not None
    assert there.shingled.hashes == shingles(here.article.title, here.article.text)
    assert there.shingled.of_text(here.article.title, here.article.text) is not None
    # The sketch clustering starts from, computed there, is the one computed here.
    assert there.shingled.bits == sketch_bits(there.shingled.hashes)
    assert _Sketch.of(there.shingled.hashes, there.shingled.bits) == _Sketch.of(
        there.shingled.hashes
    )


def test_a_stored_articles_page_is_classified_but_not_shingled_in_a_worker() -> None:
    pool = analysis.pool_for(_baseline(), workers=2, batch=analysis.START_POOL_FROM)
    assert pool is not None
    page = render_article(5, 0, 1, 1, "2024-05-01T09:00:00+09:00", "http://127.0.0.1:1")
    revised = dataclasses.replace(_job(page), stored=True)
    there = pool.submit(revised).result(timeout=60)
    # A revision keeps its article's cluster: the shingles would go unused.
    assert there.article is not None and there.verdict is not None
    assert there.shingled is None
    assert pool.submit(_job(page)).result(timeout=60).shingled is not None


def test_a_page_that_fails_to_parse_fails_the_same_way_in_a_worker() -> None:
    pool = analysis.pool_for(_baseline(), workers=2, batch=analysis.START_POOL_FROM)
    assert pool is not None
    job = _job(b"<html><head><title>x</title></head><body><p>no article here</p></body></html>")
    there = pool.submit(job).result(timeout=60)
    here = analysis.parse_page(job)
    assert there.article is None and here.error is not None
    assert type(there.error) is type(here.error) and str(there.error) == str(here.error)


def test_pages_a_dead_worker_had_are_parsed_here_and_the_pool_is_retired(
    archive: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def dead(self: analysis.AnalysisPool, job: analysis.PageJob) -> Future[analysis.Analysed]:
        failed: Future[analysis.Analysed] = Future()
        failed.set_exception(BrokenProcessPool("a worker was killed"))
        return failed

    baseline = _baseline()
    pool = analysis.pool_for(baseline, workers=3, batch=analysis.START_POOL_FROM)
    assert pool is not None
    pool.wait_ready(timeout=60)
    monkeypatch.setattr(analysis.AnalysisPool, "submit", dead)
    report = _backfill(f"sqlite:///{tmp_path / 'tw.db'}", tmp_path, archive, workers=3)
    assert (report.new, report.failed) == (ARTICLES, 0)  # every page stored all the same
    assert analysis.pool_for(baseline, workers=3, batch=analysis.START_POOL_FROM) is None


def test_pages_are_parsed_here_while_the_workers_start(
    archive: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    submitted: list[str] = []
    real_submit = analysis.AnalysisPool.submit

    def counting(self: analysis.AnalysisPool, job: analysis.PageJob) -> Future[analysis.Analysed]:
        submitted.append(job.listed_url)
        return real_submit(self, job)

    baseline = _baseline()
    pool = analysis.pool_for(baseline, workers=2, batch=analysis.START_POOL_FROM)
    assert pool is not None
    pool.wait_ready(timeout=60)
    monkeypatch.setattr(analysis.AnalysisPool, "submit", counting)
    monkeypatch.setattr(analysis.AnalysisPool, "ready", property(lambda self: False))
    report = _backfill(f"sqlite:///{tmp_path / 'tw.db'}", tmp_path, archive, workers=2)
    assert (report.new, report.failed) == (ARTICLES, 0)
    assert submitted == []  # not ready: every page was parsed in this process
    monkeypatch.setattr(analysis.AnalysisPool, "ready", property(lambda self: True))
    again = _backfill(f"sqlite:///{tmp_path / 'again.db'}", tmp_path, archive, workers=2)
    assert again.new == ARTICLES and len(submitted) == ARTICLES  # ready: all to the workers


def test_a_pool_is_ready_once_a_worker_answers() -> None:
    pool = analysis.AnalysisPool(_baseline(), workers=1)
    try:
        pool.wait_ready(timeout=60)
        assert pool.ready
    finally:
        pool.close()


def test_no_pool_for_a_small_batch_or_without_workers() -> None:
    baseline = _baseline()
    assert analysis.pool_for(baseline, workers=0, batch=1000) is None
    assert analysis.pool_for(baseline, workers=4, batch=analysis.START_POOL_FROM - 1) is None


def test_a_pool_serves_its_baseline_loaded_again_but_not_another() -> None:
    analysis.close_idle_pools(0.0, now=float("inf"))  # those earlier tests left running
    baseline = _baseline()
    pool = analysis.pool_for(baseline, workers=1, batch=1, start_from=1)
    try:
        assert pool is not None
        assert analysis.pool_for(baseline, workers=1, batch=2) is pool
        again = _baseline()  # equal, not the same object
        assert analysis.pool_for(again, workers=1, batch=2) is pool
        assert [known for known, _ in analysis._pools] == [again]  # found by identity from now
        edited = baseline.model_copy(update={"version": f"{baseline.version}-edited"})
        assert analysis.pool_for(edited, workers=1, batch=2) is None
        assert analysis.pool_for(baseline, workers=2, batch=2) is None
    finally:
        analysis.close_idle_pools(0.0, now=float("inf"))


def test_pools_left_without_work_are_stopped_and_a_busy_one_is_kept() -> None:
    baseline = _baseline()
    pool = analysis.pool_for(baseline, workers=1, batch=analysis.START_POOL_FROM)
    assert pool is not None
    pool.wait_ready(timeout=60)
    workers = list(pool._workers)

    assert analysis.close_idle_pools(600.0) == 0  # just given work: kept
    assert analysis.pool_for(baseline, workers=1, batch=2) is pool
    later = time.monotonic() + 601
    assert analysis.close_idle_pools(600.0, now=later) >= 1

    assert not any(w.process.is_alive() for w in workers)
    assert analysis.pool_for(baseline, workers=1, batch=2) is None  # a small batch: no restart
    again = analysis.pool_for(baseline, workers=1, batch=analysis.START_POOL_FROM)
    assert again is not None and again is not pool  # a large one starts new workers
    assert analysis.close_idle_pools(0.0, now=later + 601) >= 1


def _page(j: int, *, padding: int = 0) -> analysis.PageJob:
    base = "http://127.0.0.1:1"
    body = render_article(5, 0, j, 0, "2024-05-01T09:00:00+09:00", base)
    if padding:  # a comment before </body>: the article parses as without it
        body = body.replace(b"</body>", b"<!--" + b"x" * padding + b"--></body>")
    return _job(body, url=f"{base}/o0/a{j}.html")


@pytest.fixture
def own_pool() -> Iterator[analysis.AnalysisPool]:
    """A pool of two workers of its own (not the process's shared one), started."""
    pool = analysis.AnalysisPool(_baseline(), workers=2)
    try:
        pool.wait_ready(timeout=60)
        yield pool
    finally:
        pool.close()


def test_each_answer_reaches_its_page_with_several_threads_sharing_the_workers(
    own_pool: analysis.AnalysisPool,
) -> None:
    jobs = {j: _page(j) for j in range(30)}
    got: dict[int, str] = {}

    def submit_and_read(numbers: range) -> None:
        asked = [(j, own_pool.submit(jobs[j])) for j in numbers]
        for j, answer in asked:
            article = answer.result(timeout=60).article
            assert article is not None
            got[j] = article.title

    threads = [threading.Thread(target=submit_and_read, args=(range(k, 30, 3),)) for k in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    expected = {j: analysis.parse_page(job).article for j, job in jobs.items()}
    assert got == {j: a.title for j, a in expected.items() if a is not None}
    assert len(set(got.values())) == 30  # thirty different pages, not one answer thirty times


def test_pages_larger_than_the_pipe_are_answered_without_waiting_forever(
    own_pool: analysis.AnalysisPool,
) -> None:
    # Three 3 MB pages in flight at once: more than a pipe holds, so sending one must wait
    # for answers to be read rather than block beside a worker blocked on its answer.
    jobs = [_page(j, padding=3_000_000) for j in range(3)]
    asked = [own_pool.submit(job) for job in jobs]
    answers = [answer.result(timeout=60) for answer in asked]
    assert [a.article for a in answers] == [analysis.parse_page(job).article for job in jobs]


def test_an_error_in_a_worker_is_raised_where_the_answer_is_asked_for(
    own_pool: analysis.AnalysisPool,
) -> None:
    broken = dataclasses.replace(_page(1), parser="no-such-parser")
    with pytest.raises(KeyError, match="unknown parser 'no-such-parser'"):
        own_pool.submit(broken).result(timeout=60)
    # That page's error, not the pool's: the next page is answered.
    assert own_pool.submit(_page(2)).result(timeout=60).article == (
        analysis.parse_page(_page(2)).article
    )


def test_a_killed_worker_breaks_the_pool_and_fails_its_pages() -> None:
    pool = analysis.AnalysisPool(_baseline(), workers=1)
    try:
        pool.wait_ready(timeout=60)
        answered = pool.submit(_page(1)).result(timeout=60)
        assert answered.article is not None
        os.kill(pool.pids[0], signal.SIGKILL)
        with pytest.raises(BrokenProcessPool):
            pool.submit(_page(2)).result(timeout=60)  # refused, or failed once the death shows
        with pytest.raises(BrokenProcessPool):
            pool.submit(_page(3))
    finally:
        pool.close()


def test_closing_fails_the_unanswered_pages_and_stops_the_workers() -> None:
    pool = analysis.AnalysisPool(_baseline(), workers=1)
    pool.wait_ready(timeout=60)
    asked = [pool.submit(_page(j)) for j in range(4)]
    pool.close()
    outcomes = []
    for answer in asked:
        try:
            outcomes.append(answer.result(timeout=60).article is not None)
        except BrokenProcessPool:
            outcomes.append(False)
    # Closing does not wait for the answers it has not read: at least the last page fails.
    assert outcomes[-1] is False
    assert all(not _alive(pid) for pid in pool.pids)
    with pytest.raises(BrokenProcessPool):
        pool.submit(_page(5))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
