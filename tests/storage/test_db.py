"""Engines, migrations and the UTC datetime column on both backends."""

from __future__ import annotations

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
