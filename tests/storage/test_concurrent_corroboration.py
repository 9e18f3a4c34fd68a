"""Two writers recording the same departure at once, as the monitor's parallel host groups do.

On PostgreSQL the second corroborates what the first committed: it waits for the first's lock
on the open change (no lost outlet or count), reads the evidence as the first left it, and
after losing the race to open a change it is written again and corroborates the winner's. On
SQLite nothing changes: no lock statement, and departing articles still share a group.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

import storage.assessments as assessments
import tradewatch.pipeline as pipeline
from classify.rules import CLASSIFIER_VERSION
from storage.articles import upsert_article
from storage.assessments import record_assessment
from storage.enums import PolicyChangeStatus
from storage.models import Article, ArticleRevision, PolicyChange, PolicyChangeEvidence
from tests.review.helpers import store_change
from tests.storage.helpers import at, departing_signal, independent_outlets, parsed, verdict
from tradewatch import analysis
from tradewatch.pipeline import PipelineContext, SourceReport, open_pipeline
from tradewatch.settings import Settings
from tradewatch.sources_config import SourceConfig, SourceKind
from tradewatch.write_groups import GroupedWrites

POSTGRES = [pytest.param("postgresql", marks=pytest.mark.postgres)]
BOTH = ["sqlite", *POSTGRES]

# Long enough for a writer that is not blocked to finish its assessment many times over.
BLOCKED_FOR = 0.3


def store_article(
    engine: Engine, outlet: str, n: int, *, story: str | None = None
) -> tuple[int, int]:
    """A committed article of ``outlet`` first seen at hour ``n``: its id and revision id."""
    with Session(engine) as session:
        stored = upsert_article(
            session=session,
            parsed=parsed(
                url=f"https://news.example.org/race/{n}",
                title=f"{outlet} hears provinces may sign trade contracts ({n})",
            ),
            source="s",
            outlet=outlet,
            now=at(n),
        )
        stored.article.cluster_key = story
        session.add(stored.article)
        session.commit()
        assert stored.article.id is not None and stored.revision.id is not None
        return stored.article.id, stored.revision.id


def record(session: Session, ids: tuple[int, int], n: int) -> None:
    """Record a departure on trade_authority by the article ``ids``, at hour ``n``."""
    article = session.get(Article, ids[0])
    revision = session.get(ArticleRevision, ids[1])
    assert article is not None and revision is not None
    record_assessment(
        session=session,
        article=article,
        revision=revision,
        assessment=verdict(departing_signal()),
        now=at(n),
    )


def in_thread(pool: ThreadPoolExecutor, work: Callable[[], None]) -> Future[None]:
    """``work`` started in ``pool``, checked not to finish while it should be blocked."""
    future = pool.submit(work)
    time.sleep(BLOCKED_FOR)
    assert not future.done(), "the second writer did not wait for the first one's lock"
    return future


def both_at_once(engine: Engine, first: tuple[int, int], second: tuple[int, int]) -> None:
    """``first`` records its departure and holds its transaction open while ``second``
    records its own in another; then the first commits, and the second."""
    with Session(engine) as one, ThreadPoolExecutor(max_workers=1) as pool:

        def other() -> None:
            with Session(engine) as two:
                record(two, second, 3)
                two.commit()

        record(one, first, 2)
        try:
            waiting = in_thread(pool, other)
        finally:
            one.commit()  # lets the second go on, whatever happened
        waiting.result(timeout=30)


def the_change(engine: Engine) -> tuple[list[str], int, int]:
    """The open change's outlets, count, and independent outlets as counted from scratch."""
    with Session(engine) as session:
        change = session.exec(
            select(PolicyChange).where(PolicyChange.status == PolicyChangeStatus.OPEN)
        ).one()
        assert change.id is not None
        recount = len(independent_outlets(session=session, change_id=change.id))
        return list(change.outlets), change.corroboration, recount


@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
def test_a_second_corroboration_waits_and_loses_nothing(engine: Engine, session: Session) -> None:
    store_change(session, outlets=("Daily NK",))
    a = store_article(engine, "Outlet A", 1)
    b = store_article(engine, "Outlet B", 2)

    both_at_once(engine, a, b)

    assert the_change(engine) == (["Daily NK", "Outlet A", "Outlet B"], 3, 3)


@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
def test_the_second_writer_reads_the_evidence_the_first_committed(
    engine: Engine, session: Session
) -> None:
    # b is older than a and tells the same story, so the story is b's outlet's, not a's: the
    # second writer must see a's evidence to know its own article is not simply one more.
    store_change(session, outlets=("Daily NK",))
    b = store_article(engine, "Outlet B", 1, story="story-1")
    a = store_article(engine, "Outlet A", 2, story="story-1")

    both_at_once(engine, a, b)

    assert the_change(engine) == (["Daily NK", "Outlet A", "Outlet B"], 2, 2)


# -- the pipeline's writer ------------------------------------------------------------------


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[PipelineContext]:
    with open_pipeline(Settings(database_url=db_url, data_dir=tmp_path)) as context:
        yield context


def source(outlet: str) -> SourceConfig:
    name = outlet.lower().replace(" ", "-")
    return SourceConfig(
        name=name,
        kind=SourceKind.FEED,
        url=f"https://{name}.example.org/feed.xml",
        parser="dailynk",
        outlet=outlet,
    )


def departing_item(ctx: PipelineContext, n: int) -> pipeline._ToWrite:
    """A parsed article with a worker's verdict departing on trade_authority."""
    url = f"https://news.example.org/pipeline/{n}"
    article = parsed(
        url=url,
        title=f"Provinces may sign trade contracts, report {n} says",
        text=f"Report {n}: provincial trading companies may now sign contracts directly.\n\n"
        + " ".join(f"word{n}x{i}" for i in range(40)),
    )
    departure = verdict(
        departing_signal(),
        baseline_version=ctx.baseline.version,
        classifier_version=CLASSIFIER_VERSION,
    )
    return pipeline._ToWrite(url, analysis.Analysed(article=article, verdict=departure), None, None)


def writer(
    ctx: PipelineContext, outlet: str
) -> tuple[SourceReport, GroupedWrites[pipeline._Writable, pipeline._Stored]]:
    report = SourceReport(source=outlet)
    return report, pipeline._writes(ctx, source(outlet), report, historical=False, now=at(1))


def insert_waiting(engine: Engine) -> bool:
    """Whether, within 10 s, some backend waits for a lock in an INSERT INTO policy_change."""
    deadline = time.monotonic() + 10
    with engine.connect() as conn:
        while time.monotonic() < deadline:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO policy_change %'"
                )
            ).scalar_one()
            conn.rollback()
            if waiting:
                return True
            time.sleep(0.02)
    return False


@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
def test_two_writers_opening_one_change_both_corroborate_it(
    ctx: PipelineContext, caplog: pytest.LogCaptureFixture
) -> None:
    report_a, writes_a = writer(ctx, "Outlet A")
    report_b, writes_b = writer(ctx, "Outlet B")
    opened = threading.Event()
    saw_b_wait: list[bool] = []

    # Before A commits the change it opened, B opens its own and waits on the unique index.
    @event.listens_for(ctx.engine, "commit")
    def hold_a(conn: Any) -> None:
        if threading.current_thread().name.startswith("writer-a") and not opened.is_set():
            opened.set()
            saw_b_wait.append(insert_waiting(ctx.engine))

    # Leaving the block commits whatever a writer left open, so no failure leaves it waiting.
    with (
        caplog.at_level(logging.WARNING, logger="tradewatch.write_groups"),
        writes_a,
        writes_b,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="writer-a") as pool,
    ):
        done_a = pool.submit(writes_a.add, departing_item(ctx, 1))
        assert opened.wait(10), "A wrote its article without committing it"
        writes_b.add(departing_item(ctx, 2))
        done_a.result(timeout=30)

    assert saw_b_wait == [True]
    outlets, corroboration, recount = the_change(ctx.engine)
    assert (sorted(outlets), corroboration, recount) == (["Outlet A", "Outlet B"], 2, 2)
    assert (report_a.new, report_a.departures) == (1, 1)
    assert (report_b.new, report_b.departures) == (1, 1)
    with Session(ctx.engine) as session:
        assert len(session.exec(select(PolicyChangeEvidence)).all()) == 2
    assert any("lost a race" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_departing_articles_share_a_group_on_sqlite_only(ctx: PipelineContext) -> None:
    commits: list[int] = []
    event.listen(ctx.engine, "commit", lambda conn: commits.append(1))
    report, writes = writer(ctx, "Outlet A")

    with writes:
        for n in range(3):
            writes.add(departing_item(ctx, n))

    assert (report.new, report.departures) == (3, 3)
    alone = ctx.engine.dialect.name != "sqlite"
    assert len(commits) == (3 if alone else 1)


@pytest.mark.parametrize("db_url", BOTH, indirect=True)
def test_only_postgresql_locks_the_open_changes(engine: Engine, session: Session) -> None:
    store_change(session, outlets=("Daily NK",))
    a = store_article(engine, "Outlet A", 1)
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *args: statements.append(args[2].upper()))

    record(session, a, 2)
    session.commit()

    locking = [s for s in statements if "FOR UPDATE" in s]
    reads = [s for s in statements if "FROM POLICY_CHANGE" in s and "EXISTS" in s]
    if engine.dialect.name == "sqlite":
        assert (locking, len(reads)) == ([], 1)
        statement = assessments._open_changes_statement(1)
        assert "FOR UPDATE" not in str(statement.compile(dialect=sqlite.dialect())).upper()
    else:
        assert len(locking) == 1 and "FOR UPDATE OF POLICY_CHANGE" in locking[0]
        assert "ORDER BY POLICY_CHANGE.ID" in locking[0]
        assert len(reads) == 1
    assert the_change(engine) == (["Daily NK", "Outlet A"], 2, 2)
