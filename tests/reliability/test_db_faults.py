"""Database faults: PostgreSQL connections terminated in the middle of a pass, and a SQLite
database locked by another process. Either the step fails with a clear error or it
reconnects; the next run completes and nothing stored is lost or duplicated."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, SQLModel, func, select

from storage.db import get_engine
from storage.models import Article, Assessment
from tests.reliability.multisite import desk, desk_a, snapshot
from tradewatch.pipeline import PipelineContext, SourceOutcome, check_source, open_pipeline
from tradewatch.settings import Settings
from tradewatch.sitehost import SampleSite

SECOND_ARTICLE = "/desk-b/2025/04/trading-companies-win-independent-trade-authority/"


def counts(engine: object) -> tuple[int, int, int]:
    with Session(engine) as session:  # type: ignore[arg-type]
        articles = session.exec(select(func.count()).select_from(Article)).one()
        urls = session.exec(select(func.count(func.distinct(Article.url)))).one()
        assessments = session.exec(select(func.count()).select_from(Assessment)).one()
    return int(articles), int(urls), int(assessments)


@pytest.fixture
def pg_ctx(postgres_url: str, tmp_path: Path) -> Iterator[PipelineContext]:
    settings = Settings(database_url=postgres_url, data_dir=tmp_path, http_timeout=5)
    with open_pipeline(settings) as ctx:
        yield ctx
    engine = get_engine(postgres_url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def terminate_backends(postgres_url: str) -> int:
    """pg_terminate_backend every other connection to the test database; how many."""
    url = make_url(postgres_url)
    admin = url.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (url.database,),
        ).fetchall()
    return len(rows)


@pytest.mark.postgres
def test_postgres_connections_killed_mid_pass(
    pg_ctx: PipelineContext, multisite: SampleSite, postgres_url: str
) -> None:
    check_source(pg_ctx, desk_a(multisite))
    before = snapshot(pg_ctx.engine)
    # The second article page answers slowly; while the pass waits for it, every database
    # connection of the run (idle in the pool) is terminated from outside.
    page = multisite.render(SECOND_ARTICLE)
    assert page is not None
    multisite.override(SECOND_ARTICLE, delay=1.5, body=page, headers={"Content-Type": "text/html"})
    killed: list[int] = []

    def killer() -> None:
        deadline = time.monotonic() + 20
        while SECOND_ARTICLE not in multisite.paths_requested():
            if time.monotonic() > deadline:
                return
            time.sleep(0.02)
        killed.append(terminate_backends(postgres_url))

    thread = threading.Thread(target=killer)
    thread.start()
    try:
        report = check_source(pg_ctx, desk(multisite, "desk-b"))
        outcome: object = report
    except OperationalError as exc:  # failing the step cleanly is allowed too
        outcome = exc
    thread.join(timeout=30)
    assert killed and killed[0] >= 1, "no connection was terminated"

    # The next run completes, and nothing stored is lost or duplicated.
    again = check_source(pg_ctx, desk(multisite, "desk-b"))
    assert again.error_kind is None, again
    articles, urls, assessments = counts(pg_ctx.engine)
    assert (articles, urls, assessments) == (6, 6, 6), outcome
    after = snapshot(pg_ctx.engine)
    for table, rows in before.items():
        for key, row in rows.items():
            assert after[table][key] == row
    # pool_pre_ping (storage/db.py) should let the first pass reconnect on its own.
    assert getattr(outcome, "outcome", None) is SourceOutcome.NEW, outcome


_LOCKER = """
import sqlite3, sys
conn = sqlite3.connect(sys.argv[1], isolation_level=None)
conn.execute("BEGIN EXCLUSIVE")
conn.execute("INSERT INTO source_state (name, consecutive_failures, healthy, created_at) "
             "VALUES ('locker', 0, 1, '2025-01-01 00:00:00')")
print("locked", flush=True)
sys.stdin.readline()
conn.execute("ROLLBACK")
"""


def test_sqlite_locked_by_another_process(
    settings: Settings, ctx: PipelineContext, multisite: SampleSite
) -> None:
    check_source(ctx, desk_a(multisite))
    before = snapshot(ctx.engine)
    db_path = make_url(settings.resolved_database_url).database
    assert db_path
    locker = subprocess.Popen(
        [sys.executable, "-c", _LOCKER, db_path],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        # The production busy timeout is 30 s; one second is enough to meet the lock here.
        impatient = create_engine(settings.resolved_database_url, connect_args={"timeout": 1})
        locked_ctx = PipelineContext(
            settings=ctx.settings,
            engine=impatient,
            fetcher=ctx.fetcher,
            baseline=ctx.baseline,
            classifier=ctx.classifier,
        )
        with pytest.raises(OperationalError, match="database is locked"):
            check_source(locked_ctx, desk(multisite, "desk-b"))
        impatient.dispose()
    finally:
        assert locker.stdin is not None
        locker.stdin.write("\n")
        locker.stdin.flush()
        locker.wait(timeout=10)

    with ctx.engine.connect() as conn:
        assert conn.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    again = check_source(ctx, desk(multisite, "desk-b"))
    assert again.outcome is SourceOutcome.NEW and again.new == 3
    assert counts(ctx.engine) == (6, 6, 6)
    after = snapshot(ctx.engine)
    for table, rows in before.items():
        for key, row in rows.items():
            assert after[table][key] == row
