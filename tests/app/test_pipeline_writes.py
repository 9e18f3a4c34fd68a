"""How the pipeline writes an article: a new one is assessed without asking whether it
already was; a revision still asks, so a page changed back to an earlier text is not assessed
twice; a write cut off by a lost database connection is done again, once. On SQLite and
PostgreSQL, against the loopback sample site."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, col, func, select

import tradewatch.pipeline as pipeline
from sources.fetch import FetchResult
from storage.assessments import assessment_exists
from storage.clusters import assign_cluster
from storage.models import Article, ArticleRevision, Assessment
from storage.robots import DatabaseRobotsStore
from storage.shingling import Shingled
from tests.app.conftest import desk
from tradewatch.pipeline import PipelineContext, SourceOutcome, check_source
from tradewatch.sitehost import SampleSite

DEPARTURE_PAGE = "2025/04/trading-companies-win-independent-trade-authority/index.html"
OLD_TITLE = "Major trading companies win independent trade authority"
NEW_TITLE = "Major trading companies granted independent trade authority"
NOW = datetime(2025, 5, 1, tzinfo=UTC)


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The article ids the pipeline asked ``assessment_exists`` about."""
    calls: list[int] = []

    def spy(**kwargs: object) -> bool:
        article_id = kwargs["article_id"]
        assert isinstance(article_id, int)
        calls.append(article_id)
        return assessment_exists(**kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline, "assessment_exists", spy)
    return calls


def retitle(site_root: Path, old: str, new: str) -> None:
    """Change the departure article's headline, on its page and in the feed."""
    for path in (site_root / DEPARTURE_PAGE, site_root / "feed.xml"):
        path.write_text(path.read_text().replace(old, new))


def count(ctx: PipelineContext, table: type[Assessment] | type[ArticleRevision]) -> int:
    with Session(ctx.engine) as session:
        return session.exec(select(func.count()).select_from(table)).one()


def test_new_articles_are_assessed_without_asking(
    ctx: PipelineContext, site: SampleSite, asked: list[int]
) -> None:
    report = check_source(ctx, desk(site))

    assert (report.outcome, report.new) == (SourceOutcome.NEW, 3)
    assert asked == []
    assert count(ctx, Assessment) == 3


def test_a_page_changed_back_is_not_assessed_twice(
    ctx: PipelineContext, site: SampleSite, site_root: Path, asked: list[int]
) -> None:
    check_source(ctx, desk(site))
    with Session(ctx.engine) as session:
        url = site.url("2025/04/trading-companies-win-independent-trade-authority")
        article = session.exec(select(Article).where(col(Article.url) == url)).one()

    retitle(site_root, OLD_TITLE, NEW_TITLE)
    changed = check_source(ctx, desk(site))
    retitle(site_root, NEW_TITLE, OLD_TITLE)
    back = check_source(ctx, desk(site))

    assert (changed.changed, back.changed) == (1, 1)
    assert asked == [article.id, article.id]
    # Three revisions, but the third has the first one's text: two assessments of it.
    assert count(ctx, ArticleRevision) == 3 + 2
    assert count(ctx, Assessment) == 3 + 1


class FailOnce:
    """``assign_cluster``, whose first call (inside the first article's transaction) raises
    ``error`` or has the PostgreSQL server terminate the session's connection."""

    def __init__(self, error: Exception | None = None, *, kill_backend: bool = False) -> None:
        self.calls = 0
        self.error = error
        self.kill_backend = kill_backend

    def __call__(
        self, *, session: Session, article: Article, shingled: Shingled | None = None
    ) -> str:
        self.calls += 1
        if self.calls == 1:
            if self.error is not None:
                raise self.error
            if self.kill_backend:
                pid = session.exec(select(func.pg_backend_pid())).one()
                session.exec(select(func.pg_terminate_backend(pid)))
        return assign_cluster(session=session, article=article, shingled=shingled)


def lost(connection_invalidated: bool) -> OperationalError:
    return OperationalError(
        "INSERT ...",
        {},
        Exception("server closed the connection"),
        connection_invalidated=connection_invalidated,
    )


def test_a_write_cut_off_by_a_lost_connection_is_done_again(
    ctx: PipelineContext, site: SampleSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = FailOnce(lost(connection_invalidated=True))
    monkeypatch.setattr(pipeline, "assign_cluster", failing)

    report = check_source(ctx, desk(site))

    assert (report.outcome, report.new, report.failed) == (SourceOutcome.NEW, 3, 0)
    assert failing.calls == 4  # the first article twice
    assert (count(ctx, ArticleRevision), count(ctx, Assessment)) == (3, 3)


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_a_killed_postgres_backend_mid_write_costs_nothing(
    ctx: PipelineContext, site: SampleSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert ctx.engine.dialect.name == "postgresql"  # terminates a PostgreSQL backend
    failing = FailOnce(kill_backend=True)
    monkeypatch.setattr(pipeline, "assign_cluster", failing)

    report = check_source(ctx, desk(site))

    assert (report.new, report.failed) == (3, 0)
    assert failing.calls == 4
    assert (count(ctx, ArticleRevision), count(ctx, Assessment)) == (3, 3)


def test_other_database_errors_are_not_retried(
    ctx: PipelineContext, site: SampleSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    failing = FailOnce(lost(connection_invalidated=False))
    monkeypatch.setattr(pipeline, "assign_cluster", failing)

    with pytest.raises(OperationalError):
        check_source(ctx, desk(site))

    assert failing.calls == 1
    assert count(ctx, ArticleRevision) == 0


def test_a_fetch_that_writes_is_not_locked_out_by_the_open_group(
    ctx: PipelineContext, site: SampleSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Articles are committed in groups, and a page fetch may write to the database itself
    (robots.txt answers are stored). The third page's fetch is under way while the first
    article waits in an open group; the group must commit before the writer waits for that
    page, or on SQLite the fetch's write waits out the busy timeout and fails."""
    real_get = ctx.fetcher.get
    pages: list[str] = []
    store = DatabaseRobotsStore(ctx.engine)

    def get(url: str, **kwargs: Any) -> FetchResult:
        if url != desk(site).url:
            pages.append(url)
            if len(pages) == 3:
                store.save("written-by-a-fetch", status=200, body="", fetched_at=NOW)
        return real_get(url, **kwargs)

    monkeypatch.setattr(ctx.fetcher, "get", get)
    report = check_source(ctx, desk(site))

    assert (report.new, report.failed) == (3, 0) and len(pages) == 3
    assert store.load("written-by-a-fetch") is not None
    assert count(ctx, Assessment) == 3
