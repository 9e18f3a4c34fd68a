"""Engines, migrations and the UTC datetime column on both backends."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import Session, SQLModel, select

from storage import db as db_module
from storage.db import alembic_config, current_revision, get_engine, upgrade
from storage.enums import SourceEventKind
from storage.models import Article, ArticleRevision, SourceEvent
from tests.db_fixtures import throwaway_postgres_database

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def test_upgrade_is_idempotent_and_reaches_head(db_url: str) -> None:
    upgrade(db_url)
    upgrade(db_url)
    assert current_revision(db_url) == HEAD
    engine = get_engine(db_url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert set(SQLModel.metadata.tables) <= tables


def test_head_read_from_the_migration_files_is_alembics_head() -> None:
    assert db_module._head_from_files() == HEAD


def test_a_database_behind_head_is_still_upgraded(tmp_path: Path) -> None:
    # The quick "already at head" check must not stop a real upgrade.
    db_url = f"sqlite:///{(tmp_path / 'behind.db').as_posix()}"
    upgrade(db_url, revision="0002")
    assert current_revision(db_url) == "0002"
    upgrade(db_url)
    assert current_revision(db_url) == HEAD


def test_fresh_sqlite_has_no_revision_and_gets_its_directory(tmp_path: Path) -> None:
    url = f"sqlite:///{(tmp_path / 'a' / 'b' / 'x.db').as_posix()}"
    assert current_revision(url) is None
    assert (tmp_path / "a" / "b").is_dir()
    upgrade(url)
    assert current_revision(url) == HEAD


def test_migrations_match_the_models(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


@pytest.mark.parametrize(
    "written",
    [
        datetime(2025, 3, 10, 6, 30, tzinfo=UTC),
        datetime(2025, 3, 10, 15, 30, tzinfo=timezone(timedelta(hours=9))),  # Pyongyang/Seoul
    ],
)
def test_datetimes_come_back_aware_utc(engine: Engine, written: datetime) -> None:
    with Session(engine) as session:
        session.add(SourceEvent(source="s", kind=SourceEventKind.SILENT, at=written))
        session.commit()
    with Session(engine) as session:
        event = session.exec(select(SourceEvent)).one()
    assert event.at.tzinfo is not None
    assert event.at.utcoffset() == timedelta(0)
    assert event.at == datetime(2025, 3, 10, 6, 30, tzinfo=UTC)
    assert event.kind is SourceEventKind.SILENT


def test_naive_datetimes_are_refused(session: Session) -> None:
    session.add(SourceEvent(source="s", kind=SourceEventKind.SILENT, at=datetime(2025, 1, 1)))
    with pytest.raises(StatementError, match="naive datetime"):
        session.flush()


def test_foreign_keys_are_enforced(session: Session) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    session.add(
        ArticleRevision(
            article_id=4242, revision_no=1, content_hash="x", title="t", text="", created_at=now
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()


def test_article_url_is_unique(session: Session) -> None:
    now = datetime(2025, 1, 1, tzinfo=UTC)
    for _ in range(2):
        session.add(
            Article(
                url="https://example.org/a",
                source="s",
                outlet="o",
                title="t",
                text="x",
                content_hash="h",
                first_seen_at=now,
                last_seen_at=now,
            )
        )
    with pytest.raises(IntegrityError):
        session.flush()


# Several processes starting at once on a database a release has not migrated yet (flow
# runs, the review site, an alert run): each calls upgrade(), released together.
_UPGRADER = """
import sys, time
from storage.db import upgrade
start = float(sys.argv[2])
time.sleep(max(0.0, start - time.time()))
upgrade(sys.argv[1])
"""


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database never migrated (db_url's PostgreSQL one is shared, hence migrated)."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'new.db').as_posix()}"
        return
    with throwaway_postgres_database("tradewatch_migrate") as url:
        yield url


def test_processes_upgrading_at_once_all_succeed(unmigrated_url: str) -> None:
    db_url = unmigrated_url
    assert current_revision(db_url) is None
    start = time.time() + 3.0  # past every process's imports
    command = [sys.executable, "-c", _UPGRADER, db_url, str(start)]
    procs = [subprocess.Popen(command, stderr=subprocess.PIPE, text=True) for _ in range(3)]
    errors = [p.communicate(timeout=120)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0, 0], "\n".join(errors)
    assert current_revision(db_url) == HEAD
