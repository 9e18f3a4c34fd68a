"""Writing a source's articles in groups: one transaction per group, one per article on failure.

A backfill writes thousands of articles in a row, and a transaction per article cost its
writing process about an eighth of its time (a session, a pool checkout with its ping, a
COMMIT). A group commits every ``GROUP_SIZE`` articles, and also whenever the writer is about
to wait (for the network, or for a worker): where pages arrive slowly (a real site, with its
per-host spacing) each article is still committed as soon as it is written, and a SQLite write
lock is never held while waiting for a fetch, which may itself need to write (robots.txt
answers are stored), so waiting never deadlocks.

What a crash costs: the articles of the open group, at most ``GROUP_SIZE``, which were fetched
but are not stored, so the next run fetches them again; nothing committed is lost. What a
failure costs: a write that fails rolls its group back; the group's earlier articles are
written again one per transaction, and the one that failed gets what it got before there were
groups: one more attempt after a lost connection, else its error is raised. A failed COMMIT
writes the whole group again one article at a time. Counts (``on_commit``) are taken only for
committed articles, so none is counted twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future
from types import TracebackType
from typing import Any, Generic, TypeVar

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

log = logging.getLogger(__name__)

# Past ~50 articles a group saves little more (the commit is already 1/50 of the cost) while
# a SQLite writer elsewhere would wait longer for the lock.
GROUP_SIZE = 50

Item = TypeVar("Item")
Result = TypeVar("Result")


class GroupedWrites(Generic[Item, Result]):
    """``write(session, item)`` for each item added, committed in groups (see the module).

    ``write`` must be idempotent (writing an item again after a rollback stores it once) and
    must not commit. ``on_commit`` gets each item's result once its transaction committed;
    ``describe`` names an item in log lines.
    """

    def __init__(
        self,
        engine: Engine,
        write: Callable[[Session, Item], Result],
        on_commit: Callable[[Result], None],
        *,
        describe: Callable[[Item], str] = str,
        size: int = GROUP_SIZE,
    ) -> None:
        if size < 1:
            raise ValueError(f"group size must be at least 1, not {size}")
        self._engine = engine
        self._write = write
        self._on_commit = on_commit
        self._describe = describe
        self._size = size
        self._session: Session | None = None
        self._group: list[tuple[Item, Result]] = []

    def add(self, item: Item) -> None:
        """Write ``item`` in the open group; the group commits when it is full."""
        if self._session is None:
            self._session = Session(self._engine)
        try:
            result = self._write(self._session, item)
        except Exception as exc:
            earlier = self._discard()
            for done, _ in earlier:
                self._alone(done)
            if not _lost_connection(exc):
                raise
            self._on_commit(self._again(item))
            return
        except BaseException:
            self._discard()  # interrupted: no more database work
            raise
        self._group.append((item, result))
        if len(self._group) >= self._size:
            self.commit()

    def commit_before_waiting(self, future: Future[Any]) -> None:
        """Commit the open group unless ``future`` is done, so that no write lock is held
        while waiting for it (see the module)."""
        if not future.done():
            self.commit()

    def commit(self) -> None:
        """Commit the open group, if any (call before waiting on anything)."""
        session, group = self._session, self._group
        if session is None:
            return
        self._session, self._group = None, []
        try:
            session.commit()
        except Exception as exc:
            session.close()
            log.warning(
                "committing %d articles failed (%s); writing them one at a time",
                len(group),
                getattr(exc, "orig", exc),
            )
            for item, _ in group:
                self._alone(item)
            return
        except BaseException:
            session.close()
            raise
        session.close()
        for _, result in group:
            self._on_commit(result)

    def __enter__(self) -> GroupedWrites[Item, Result]:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if exc is None:
            self.commit()
        elif isinstance(exc, Exception):
            # Whatever failed elsewhere, the articles written so far are sound: keep them.
            try:
                self.commit()
            except Exception:
                log.exception("could not store the last articles written before an error")
        else:
            self._discard()

    def _discard(self) -> list[tuple[Item, Result]]:
        session, group = self._session, self._group
        self._session, self._group = None, []
        if session is not None:
            session.close()  # rolls back
        return group

    def _alone(self, item: Item) -> None:
        """``item`` in a transaction of its own, once more after a lost connection."""
        try:
            result = self._once(item)
        except DBAPIError as exc:
            if not _lost_connection(exc):
                raise
            result = self._again(item)
        self._on_commit(result)

    def _again(self, item: Item) -> Result:
        # The lost connection took the whole write with it; the write is idempotent, so
        # doing it again, once, on a fresh connection is safe.
        log.warning("database connection lost writing %s; again", self._describe(item))
        return self._once(item)

    def _once(self, item: Item) -> Result:
        with Session(self._engine) as session:
            result = self._write(session, item)
            session.commit()
        return result


def _lost_connection(exc: BaseException) -> bool:
    """A connection lost mid-transaction (a server restart, a killed backend); anything else
    (a locked database, a constraint...) is not retried."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated
