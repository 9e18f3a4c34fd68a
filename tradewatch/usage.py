"""Errors in how tradewatch was called, the checks that find them before any work, and the
database session of the commands that work on what runs stored.

Kept out of ``tradewatch.cli``: run as ``python -m tradewatch.cli`` that module is
``__main__``, and a command module importing ``tradewatch.cli`` would get a second copy whose
``UsageError`` the entry point does not catch.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session

    from tradewatch.settings import Settings


class UsageError(Exception):
    """Bad input from the user: reported in one line, exit code 2."""


def stored_database_url(settings: Settings) -> str:
    """The database URL for a command that reads what runs stored; raises UsageError when it
    names a SQLite file that does not exist (a first run has not happened, or the setting
    points elsewhere than meant), rather than creating an empty one and reporting nothing."""
    from storage.db import missing_sqlite_file

    url = settings.resolved_database_url
    missing = missing_sqlite_file(url)
    if missing is not None:
        raise UsageError(
            f"no database at {missing}: nothing has been stored there yet. Run `tradewatch "
            "run` first, or set TRADEWATCH_DATABASE_URL (or TRADEWATCH_DATA_DIR) to the "
            "database you mean"
        )
    return url


@contextmanager
def stored_session(settings: Settings) -> Iterator[Session]:
    """A session on the configured database, which must exist (``stored_database_url``),
    migrated first (every command does); the engine is disposed of on leaving."""
    from sqlmodel import Session

    from storage.db import get_engine, upgrade

    url = stored_database_url(settings)
    upgrade(url)
    engine = get_engine(url)
    try:
        with Session(engine) as session:
            yield session
    finally:
        engine.dispose()
