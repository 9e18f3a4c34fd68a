"""Database fixtures: every storage test runs against SQLite and PostgreSQL.

``db_url`` is parametrised over both backends. SQLite is a fresh file per test; PostgreSQL is
one throwaway database per pytest session (``tradewatch_test_<random>``, dropped at the end)
whose tables are truncated after each test. Without a server on 127.0.0.1:5432 the PostgreSQL
half is skipped, unless ``TRADEWATCH_REQUIRE_POSTGRES=1`` (CI), which makes it fail instead.
``TRADEWATCH_TEST_PG_URL`` names the admin connection (default: user postgres, trust auth).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from psycopg import sql
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

import storage.models  # noqa: F401  # registers the tables to truncate
from storage.db import get_engine, upgrade

DEFAULT_PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_UNREACHABLE = (
    "PostgreSQL not reachable at 127.0.0.1:5432 (start it with "
    "pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start)"
)


def _libpq_conninfo(sqlalchemy_url: str) -> str:
    """psycopg wants a plain libpq URL, without SQLAlchemy's ``+driver``."""
    url = make_url(sqlalchemy_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


@contextmanager
def throwaway_postgres_database(prefix: str) -> Iterator[str]:
    """SQLAlchemy URL of a PostgreSQL database ``<prefix>_<random>`` made here and dropped
    (with its connections) on exit. Skips the test when the server is unreachable, or fails
    it under ``TRADEWATCH_REQUIRE_POSTGRES=1``."""
    admin_url = os.environ.get("TRADEWATCH_TEST_PG_URL", DEFAULT_PG_ADMIN_URL)
    admin = _libpq_conninfo(admin_url)
    try:
        conn = psycopg.connect(admin, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        message = f"{PG_UNREACHABLE}: {exc}".strip()
        if os.environ.get("TRADEWATCH_REQUIRE_POSTGRES") == "1":
            pytest.fail(message)
        pytest.skip(message)
    name = f"{prefix}_{secrets.token_hex(4)}"
    with conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=3) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """SQLAlchemy URL of a PostgreSQL database created for this pytest session."""
    with throwaway_postgres_database("tradewatch_test") as url:
        yield url


def _truncate_all(url: str) -> None:
    engine = get_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text("SET LOCAL lock_timeout = '10s'"))
            names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL with nothing in it (the schema may or may not be there yet)."""
    if request.param == "sqlite":
        yield f"sqlite:///{(tmp_path / 'db' / 'tradewatch.db').as_posix()}"
        return
    url: str = request.getfixturevalue("postgres_url")
    try:
        yield url
    finally:
        _truncate_all(url)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a database migrated to the newest revision."""
    upgrade(db_url)
    eng = get_engine(db_url)
    try:
        yield eng
    finally:
        eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    """A session on the migrated database; tests commit as callers would."""
    with Session(engine) as sess:
        yield sess
