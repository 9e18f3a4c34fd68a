"""Engines and schema migrations. Nothing is connected or created at import time.

``get_engine(url)`` makes an engine tuned for the backend; ``upgrade(url)`` brings the schema to
the newest Alembic revision (safe to run on every start); ``current_revision(url)`` says where
a database stands. New revisions: ``alembic -c storage/alembic.ini -x url=sqlite:///x.db
revision --autogenerate -m "..."``, then read and tidy the generated file.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Seconds a SQLite writer waits for another writer's lock before failing.
SQLITE_BUSY_TIMEOUT = 30


def get_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite gets its directory, foreign keys, a busy timeout and
    write-ahead logging (see ``_sqlite_on_connect``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})
        event.listen(engine, "connect", _sqlite_on_connect)
        return engine
    # Connections die quietly behind NATs and server restarts; check before use.
    return create_engine(url, pool_pre_ping=True)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # SQLite ignores foreign keys unless asked, per connection.
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT * 1000}")
        if _use_wal(cursor):
            # With a write-ahead log, a commit appends to the log and, at NORMAL, skips the
            # fsync FULL makes on every commit (the log is synced at checkpoints). A commit
            # is still durable against a crash or kill of the application: only a power loss
            # or an OS crash can undo the last transactions, and never corrupts the database.
            # (At NORMAL without WAL that last promise would not hold; hence only here.)
            cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


def _use_wal(cursor: Any) -> bool:
    """Switch the database to write-ahead logging (stored in the file, so once per database);
    whether it is in that mode. Readers then never block the writer nor the writer them.

    In-memory databases have no log to switch. A database that cannot switch now (read-only,
    or locked past the busy timeout) keeps its rollback journal: slower commits, same
    guarantees. The log's index lives in shared memory, so the database must be on a local
    disk, not a network share (true of SQLite's locking anyway).
    """
    mode = str(cursor.execute("PRAGMA journal_mode").fetchone()[0]).lower()
    if mode == "memory":
        return False
    if mode != "wal":
        try:
            mode = str(cursor.execute("PRAGMA journal_mode=WAL").fetchone()[0]).lower()
        except sqlite3.OperationalError as exc:
            log.warning("SQLite stays in %s journal mode: %s", mode, exc)
            return False
    return mode == "wal"


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` pointing at the package's migrations (no ini file needed)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser treats % as interpolation; URLs may carry %-escapes.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (default: newest). Idempotent."""
    engine = get_engine(url)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def current_revision(url: str) -> str | None:
    """The Alembic revision the database at ``url`` is at; None if never migrated."""
    engine = get_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()
