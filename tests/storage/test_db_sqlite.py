"""SQLite's connection settings: write-ahead log, synchronous=NORMAL, and what they promise."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import text

from storage.db import get_engine, upgrade

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
