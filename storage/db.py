"""Engines and schema migrations. Nothing is connected or created at import time.

``get_engine(url)`` makes an engine tuned for the backend; ``upgrade(url)`` brings the schema to
the newest Alembic revision (safe to run on every start); ``current_revision(url)`` says where
a database stands. New revisions: ``alembic -c storage/alembic.ini -x url=sqlite:///x.db
revision --autogenerate -m "..."``, then read and tidy the generated file.

``table_of``, ``insert_object``, ``insert_on_conflict`` and ``object_for_row`` serve the write
path, which reads and writes rows with Core statements (a fraction of the cost of a unit of
work or of ORM loading) and still hands its callers the session's ORM objects.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import Engine, Insert, Table, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlmodel import Session, SQLModel

log = logging.getLogger(__name__)

_Row = TypeVar("_Row", bound="SQLModel")

# Keeps IN (...) lists well under every backend's bound-parameter limit.
_IN_LIST = 500


def in_lists(values: Iterable[str]) -> Iterator[list[str]]:
    """``values`` without repeats, in lists short enough for one ``IN (...)`` each."""
    wanted = list(dict.fromkeys(values))
    for start in range(0, len(wanted), _IN_LIST):
        yield wanted[start : start + _IN_LIST]


MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"

# Seconds a SQLite writer waits for another writer's lock before failing.
SQLITE_BUSY_TIMEOUT = 30


def get_engine(url: str) -> Engine:
    """An engine for ``url``: SQLite gets its directory, foreign keys, a busy timeout and
    write-ahead logging (see ``_sqlite_on_connect``)."""
    if make_url(url).get_backend_name() == "sqlite":
        path = sqlite_file(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
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


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite ``url`` names; None for other backends, in-memory databases and
    URI filenames (``file:...?mode=ro`` and the like, which SQLite itself resolves)."""
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return None
    return None if database.startswith("file:") else Path(database)


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite database at ``url`` if it does not exist (else None): commands
    that only read must say so rather than create an empty database and report nothing."""
    path = sqlite_file(url)
    return None if path is None or path.exists() else path


def alembic_config(url: str | None = None) -> Config:
    """An Alembic ``Config`` pointing at the package's migrations (no ini file needed)."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        # ConfigParser treats % as interpolation; URLs may carry %-escapes.
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


_REVISION_LINE = re.compile(
    r"^(down_revision|revision)\s*(?::[^=]*)?=\s*['\"]?(\w+|None)['\"]?\s*$"
)


@cache
def _head_from_files() -> str | None:
    """The newest revision, read from the migration files' ``revision``/``down_revision``
    lines; None unless there is exactly one head (then Alembic decides)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        found: dict[str, str] = {}
        for line in path.read_text(encoding="utf-8").splitlines():
            if match := _REVISION_LINE.match(line):
                found[match.group(1)] = match.group(2)
        if "revision" not in found:
            return None
        revisions.add(found["revision"])
        if found.get("down_revision", "None") != "None":
            parents.add(found["down_revision"])
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def _stored_revision(engine: Engine) -> str | None:
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    except SQLAlchemyError:  # no table yet: a new database
        return None
    return str(rows[0][0]) if len(rows) == 1 else None


# pg_advisory_xact_lock key taken while migrating ("tradewat" in ASCII, as a bigint).
_LOCK_KEY = int.from_bytes(b"tradewat", "big") >> 1


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database at ``url`` to ``revision`` (default: newest). Idempotent.

    A database already at the newest revision is recognised without Alembic, whose import
    alone costs ~120 ms at every start of a short run (BENCHMARKS.md, change check).
    Processes that start at once on a database behind the newest revision migrate one after
    another, and a migration is all or nothing (see ``migration_engine``).
    """
    head = _head_from_files() if revision == "head" else None
    if head is not None:
        engine = get_engine(url)
        try:
            if _stored_revision(engine) == head:
                return
        finally:
            engine.dispose()
    from alembic import command

    engine = migration_engine(url)
    try:
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                # One migrating process at a time (SQLite's BEGIN IMMEDIATE does the same):
                # the next one finds the revision moved on and has nothing left to do.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def migration_engine(url: str) -> Engine:
    """An engine for schema changes: on SQLite, each transaction is one real transaction,
    DDL included, and takes the write lock at its start (``BEGIN IMMEDIATE``).

    Python's sqlite3 module opens a transaction only before INSERT, UPDATE and DELETE, so
    each CREATE and ALTER of a migration would commit on its own: a run killed halfway
    through one left tables the recorded revision did not have, and every later start
    failed on them. Taking the lock at BEGIN also makes a second process that migrates at
    the same moment wait, then find the work done, instead of racing to create tables.
    The ordinary engine keeps the driver's deferred transactions, which let readers start
    without waiting for a writer. (``PRAGMA foreign_keys`` cannot change inside a
    transaction: a future migration that rebuilds a table other tables reference should
    run ``PRAGMA defer_foreign_keys=ON`` first, which can.)
    """
    engine = get_engine(url)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _driver_leaves_transactions_to_us)
        event.listen(engine, "begin", _begin_immediate)
    return engine


def _driver_leaves_transactions_to_us(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None


def _begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def current_revision(url: str) -> str | None:
    """The Alembic revision the database at ``url`` is at; None if never migrated."""
    from alembic.runtime.migration import MigrationContext

    engine = get_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def table_of(model: type[SQLModel]) -> Table:
    """The table a model is mapped to (typed, unlike ``model.__table__``)."""
    table = inspect(model).local_table
    assert isinstance(table, Table), model
    return table


def insert_on_conflict(
    table: Table, dialect: str, *, key: str, update: tuple[str, ...] = ()
) -> Insert:
    """An INSERT into ``table`` that, where a row with the same ``key`` exists, sets its
    ``update`` columns to the values given, or leaves it as it is (no ``update``): one
    statement, race-free, on both backends."""
    from sqlalchemy.dialects import postgresql, sqlite

    stmt: postgresql.Insert | sqlite.Insert
    if dialect == "postgresql":
        stmt = postgresql.insert(table)
    elif dialect == "sqlite":
        stmt = sqlite.insert(table)
    else:
        raise NotImplementedError(f"no upsert for {dialect}")
    if not update:
        return stmt.on_conflict_do_nothing(index_elements=[key])
    return stmt.on_conflict_do_update(
        index_elements=[key], set_={column: stmt.excluded[column] for column in update}
    )


@cache
def _insert(model: type[SQLModel]) -> tuple[Insert, int]:
    table = table_of(model)
    return table.insert(), len(table.columns)


def insert_object(session: Session, model: type[_Row], values: Mapping[str, Any]) -> _Row:
    """Insert a ``model`` row of ``values`` (every column but the id) in ``session``'s
    transaction with a Core statement, and return it as an object of the session, as if a
    flush had inserted it: persistent and clean, and, if the transaction rolls back, gone from
    the session and transient again.

    A flush costs several times the INSERT it sends: a unit of work, and an object built
    through ``__init__`` (SQLModel sets every field through both pydantic and SQLAlchemy).
    The object is built as the ORM builds one it loads, from the values just stored.
    """
    statement, columns = _insert(model)
    assert len(values) == columns - 1, "every column but the id"  # none left to load later
    key = session.connection().execute(statement, values).inserted_primary_key
    assert key is not None and isinstance(key[0], int), key
    row = _as_loaded(session, model, {**values, "id": key[0]})
    # What ``__init__`` would have recorded: every field was given.
    object.__setattr__(row, "__pydantic_fields_set__", {*values, "id"})
    # What the session does for each object its flush inserts (``_register_altered``): the
    # transaction lists it, so a rollback expunges it. No public API does this; without it a
    # stale object would keep the identity SQLite hands to the next row, and adding that
    # row's object would fail.
    transaction = session._transaction
    if transaction is not None:
        transaction._new[inspect(row)] = True
    return row


def object_for_row(session: Session, model: type[_Row], values: Mapping[str, Any]) -> _Row:
    """The object of ``session`` for the ``model`` row of ``values`` (every column) just read
    with a Core query, as an ORM query would give it: the one the session holds if any (its
    expired attributes, if any, are read again when used), or else one built as the ORM
    builds the rows it loads."""
    held = held_object(session, model, values["id"])
    if held is not None:
        return held
    assert len(values) == _insert(model)[1], "every column"  # none left to load later
    return _as_loaded(session, model, values)


def held_object(session: Session, model: type[_Row], key: object) -> _Row | None:
    """The object of ``session`` for the ``model`` row whose primary key is ``key``, if the
    session holds one (without loading it)."""
    from sqlalchemy.orm import class_mapper

    held = session.identity_map.get(class_mapper(model).identity_key_from_primary_key((key,)))
    if held is None:
        return None
    assert isinstance(held, model)
    return held


def _as_loaded(session: Session, model: type[_Row], values: Mapping[str, Any]) -> _Row:
    """A ``model`` object of ``values`` (every column), built as the ORM builds a row it
    loads (no ``__init__``), persistent-to-be in ``session``: history reset, identity set."""
    # Here, not at the top: commands that only migrate need not import the ORM (~0.1 s).
    from sqlalchemy.orm import class_mapper, make_transient_to_detached

    row = class_mapper(model).class_manager.new_instance()
    row.__dict__.update(values)
    make_transient_to_detached(row)
    session.add(row)
    return row
