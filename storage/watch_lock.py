"""One resident watcher per database.

Two watchers on one database would check the same sources at the same moments: each would
fetch, store and alert on the same change, and their writes to a source's state would race.
The lock is the operating system's or the server's, never a row: a watcher that is killed,
or whose machine restarts, leaves nothing behind to clean up.

- SQLite: an exclusive ``flock`` on ``<database>.watch.lock`` beside the database file,
  released by the kernel when the process ends.
- PostgreSQL: a session-level advisory lock held on a connection of its own, released by the
  server when that connection closes. A connection can also be lost (a server restart), and
  the lock with it: ``HeldLock.verify``, called before each pass, takes it again, or raises
  ``WatcherAlreadyRunning`` if another watcher took it meanwhile.
- An in-memory database is the process's own: there is nothing to share.

``watcher_holding`` tells a run that should not check what a watcher checks (the monitor
flow) whether one is running.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import URL, Connection, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from storage.db import sqlite_file

log = logging.getLogger(__name__)


class WatcherAlreadyRunning(RuntimeError):
    """Another process holds this database's watcher lock."""


@dataclass(frozen=True)
class LockHolder:
    """The process holding a database's watcher lock: a local one (SQLite's lock file holds
    its pid) or a PostgreSQL server process (the watcher's connection)."""

    pid: int | None
    server: bool = False

    def __str__(self) -> str:
        kind = "server process" if self.server else "process"
        return f"{kind} {self.pid if self.pid is not None else 'unknown'}"


class HeldLock:
    """The lock as held; ``verify()`` before relying on it again."""

    def verify(self) -> None:
        """Raise ``WatcherAlreadyRunning`` if the lock was lost to another process."""


@contextmanager
def watch_lock(database_url: str) -> Iterator[HeldLock]:
    """Hold the watcher lock of the database at ``database_url`` for the block;
    ``WatcherAlreadyRunning`` if another process holds it."""
    url = make_url(database_url)
    where = url.render_as_string(hide_password=True)
    backend = url.get_backend_name()
    if backend == "sqlite":
        path = sqlite_file(database_url)
        if path is None:
            yield HeldLock()
            return
        with _file_lock(_lock_file(path), where):
            yield HeldLock()  # a flock cannot be lost while the file is open
    elif backend == "postgresql":
        with _advisory_lock(url, where) as held:
            yield held
    else:  # pragma: no cover - the project supports SQLite and PostgreSQL only
        raise ValueError(f"no watcher lock for {backend} databases")


def watcher_holding(database_url: str) -> LockHolder | None:
    """The process holding the watcher lock of the database at ``database_url``, or None
    when no watcher runs on it.

    On PostgreSQL it reads the server's lock table. On SQLite it takes a shared lock on the
    lock file and releases it at once: a watcher starting in that same instant is refused.
    """
    url = make_url(database_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        engine = create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as connection:
                return _server_holder(connection)
        finally:
            engine.dispose()
    path = sqlite_file(database_url) if backend == "sqlite" else None
    if path is None:
        return None
    try:
        fd = os.open(_lock_file(path), os.O_RDONLY)
    except FileNotFoundError:  # no watcher ever ran on it
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _file_holder(fd)
        return None
    finally:
        os.close(fd)  # releases the shared lock


def _lock_file(database: Path) -> Path:
    """The lock file beside a SQLite database file."""
    return Path(f"{database}.watch.lock")


def _server_holder(connection: Connection) -> LockHolder | None:
    """The server process holding the PostgreSQL advisory lock, if one does."""
    pid = connection.execute(_HOLDER, _KEYS).scalar()
    return None if pid is None else LockHolder(int(pid), server=True)


def _file_holder(fd: int) -> LockHolder:
    written = os.pread(fd, 64, 0).decode("ascii", "replace").strip()
    return LockHolder(int(written) if written.isdigit() else None)


def _already_running(where: str, holder: LockHolder) -> WatcherAlreadyRunning:
    return WatcherAlreadyRunning(
        f"another `tradewatch watch` is already running on {where} ({holder}). One watcher "
        "checks every source side by side: stop the other one, or give this one a database "
        "of its own (TRADEWATCH_DATABASE_URL)."
    )


@contextmanager
def _file_lock(path: Path, where: str) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _already_running(where, _file_holder(fd)) from None
        # Who holds it, for the message above; the lock itself is the flock, not this.
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        yield
    finally:
        os.close(fd)  # releases the flock


class _AdvisoryLock(HeldLock):
    def __init__(self, url: URL, where: str) -> None:
        # Connections outside the pool: closing one ends its server session, and the lock
        # with it, whatever state the session was left in.
        self._engine = create_engine(url, poolclass=NullPool)
        self._where = where
        self._connection: Connection | None = None

    def take(self) -> None:
        connection = self._engine.connect()
        try:
            taken = connection.execute(_TRY_LOCK, _KEYS).scalar()
            if not taken:
                holder = _server_holder(connection) or LockHolder(None, server=True)
                raise _already_running(self._where, holder)
            connection.commit()  # the lock is the session's; no transaction stays open
        except BaseException:
            connection.close()
            raise
        self._connection = connection

    def verify(self) -> None:
        if self._connection is not None:
            try:
                self._connection.execute(text("SELECT 1"))
                self._connection.commit()
                return
            except DBAPIError:  # the session is gone, and the lock with it
                self._drop_connection()
        # Raises as any query would while the server is down (the pass fails and the next
        # one tries again), or WatcherAlreadyRunning if another watcher took the lock.
        self.take()
        log.warning("watch lock on %s was lost with its connection; taken again", self._where)

    def _drop_connection(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with suppress(DBAPIError):
                connection.close()

    def release(self) -> None:
        self._drop_connection()
        self._engine.dispose()


@contextmanager
def _advisory_lock(url: URL, where: str) -> Iterator[_AdvisoryLock]:
    held = _AdvisoryLock(url, where)
    try:
        held.take()
        yield held
    finally:
        held.release()


# Advisory lock keys are per database; the pair keeps clear of any other application's.
_KEYS = {"a": 0x7457, "b": 0x7761}  # "tW", "wa"
_TRY_LOCK = text("SELECT pg_try_advisory_lock(:a, :b)")
_HOLDER = text(
    "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = :a AND objid = :b "
    "AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)
