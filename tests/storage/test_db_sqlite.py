"""SQLite's connection settings: write-ahead log, synchronous=NORMAL, and what they promise."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlmodel import SQLModel

from storage import db as db_module
from storage.db import current_revision, get_engine, upgrade

# synchronous levels as PRAGMA synchronous reports them
FULL, NORMAL = 2, 1


def _pragmas(url: str) -> tuple[str, int, int]:
    engine = get_engine(url)
    try:
        with engine.connect() as conn:
            mode = conn.execute(text("PRAGMA journal_mode")).scalar_one()
            sync = conn.execute(text("PRAGMA synchronous")).scalar_one()
            keys = conn.execute(text("PRAGMA foreign_keys")).scalar_one()
    finally:
        engine.dispose()
    return str(mode), int(sync), int(keys)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    path = tmp_path / "tw.db"
    upgrade(f"sqlite:///{path.as_posix()}")
    return path


def test_a_file_database_gets_a_write_ahead_log_and_normal_sync(db_path: Path) -> None:
    assert _pragmas(f"sqlite:///{db_path.as_posix()}") == ("wal", NORMAL, 1)
    # The mode is the file's: any connection, ours or not, now writes through the log.
    with sqlite3.connect(db_path) as plain:
        assert plain.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_an_in_memory_database_keeps_its_journal_and_sync(tmp_path: Path) -> None:
    assert _pragmas("sqlite://") == ("memory", FULL, 1)


def test_a_database_that_cannot_switch_stays_as_it_is(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as plain:
        plain.execute("CREATE TABLE t (x INTEGER)")
        plain.execute("INSERT INTO t VALUES (1)")
    read_only = f"sqlite:///file:{path.as_posix()}?mode=ro&uri=true"

    # Still readable; and without the log, synchronous stays FULL (NORMAL is only safe with it).
    assert _pragmas(read_only) == ("delete", FULL, 1)
    assert "stays in delete journal mode" in caplog.text
    engine = get_engine(read_only)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT x FROM t")).scalar_one() == 1
    finally:
        engine.dispose()


def test_a_reader_does_not_block_the_writer(db_path: Path) -> None:
    with sqlite3.connect(db_path, isolation_level=None) as reader:
        reader.execute("BEGIN")
        before = reader.execute("SELECT count(*) FROM source_event").fetchone()
        # With a rollback journal this commit would wait for the reader, then time out.
        with sqlite3.connect(db_path, timeout=0.2) as writer:
            writer.execute(
                "INSERT INTO source_event (source, kind, at, detail) "
                "VALUES ('s', 'silent', '2025-01-01 00:00:00.000000', '')"
            )
        # The reader goes on reading the snapshot it started with.
        assert reader.execute("SELECT count(*) FROM source_event").fetchone() == before
        reader.execute("COMMIT")
        assert reader.execute("SELECT count(*) FROM source_event").fetchone() == (1,)


_WRITER = """
import sys, time
from sqlalchemy import text
from storage.db import get_engine
engine = get_engine(sys.argv[1])
with engine.begin() as conn:
    conn.execute(text(
        "INSERT INTO source_event (source, kind, at, detail) "
        "VALUES ('killed', 'silent', '2025-01-01 00:00:00.000000', '')"
    ))
print("committed", flush=True)
time.sleep(60)
"""


def test_a_commit_survives_the_writer_being_killed(db_path: Path) -> None:
    url = f"sqlite:///{db_path.as_posix()}"
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, url], stdout=subprocess.PIPE, text=True
    )
    try:
        assert writer.stdout is not None and writer.stdout.readline().strip() == "committed"
        writer.kill()  # SIGKILL: no clean shutdown, no checkpoint
        writer.wait(timeout=10)
    finally:
        if writer.poll() is None:
            writer.kill()
    # The commit is in the log, not yet in the database file: the next open recovers it.
    assert Path(f"{db_path}-wal").stat().st_size > 0
    engine = get_engine(url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
            rows = conn.execute(text("SELECT source FROM source_event")).scalars().all()
    finally:
        engine.dispose()
    assert rows == ["killed"]


# Runs an upgrade and dies (no cleanup, as under SIGKILL) just before the first statement
# that contains argv[2].
_MIGRATOR = """
import os, sys
from sqlalchemy import event
import storage.db as db

url, fatal = sys.argv[1], sys.argv[2]
plain = db.get_engine

def dying(url):
    engine = plain(url)
    def before(conn, cursor, statement, *rest):
        if fatal in statement:
            os._exit(137)
    event.listen(engine, "before_cursor_execute", before)
    return engine

db.get_engine = dying
db.upgrade(url)
"""


@pytest.mark.parametrize(
    ("start", "fatal"),
    [
        (None, "CREATE TABLE policy_change_evidence"),  # halfway through the first migration
        ("0001", "ALTER TABLE article ADD COLUMN cluster_key"),  # after 0002's new tables
        ("0002", "ALTER TABLE alert ADD COLUMN claimed_by"),  # after 0003's first column
    ],
)
def test_a_migration_killed_halfway_leaves_a_database_the_next_start_upgrades(
    tmp_path: Path, start: str | None, fatal: str
) -> None:
    url = f"sqlite:///{(tmp_path / 'tw.db').as_posix()}"
    if start is not None:
        upgrade(url, revision=start)
    died = subprocess.run([sys.executable, "-c", _MIGRATOR, url, fatal], check=False)
    assert died.returncode == 137  # it did die at that statement

    # Nothing of the killed migration is left: the schema is the recorded revision's.
    assert current_revision(url) == start
    upgrade(url)
    assert current_revision(url) == db_module._head_from_files()
    engine = get_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()
