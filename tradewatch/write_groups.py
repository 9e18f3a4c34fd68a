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
groups: one more attempt after a lost connection or a lost race, else its error is raised.
A failed COMMIT writes the whole group again one article at a time. Counts (``on_commit``) are
taken only for committed articles, so none is counted twice.

A lost race is a write another transaction got in the way of, which done again in a fresh
transaction succeeds: a deadlock or a serialization failure (PostgreSQL's SQLSTATE 40P01,
40001), or whatever the caller's ``lost_race`` says (a unique key another writer took first).

Some articles are written apart (the caller's ``alone``): the open group commits before one
and it commits as soon as it is written, so its transaction holds nothing else. On PostgreSQL
an article recording a departure locks the policy changes it corroborates: alone, it takes
them all at once, in one order, and holds them for its own write only, so two writers do not
lock the same changes in opposite orders across a group, nor wait for each other's whole
group. (The deadlock left, two articles each opening the same new changes in another order,
is a lost race: done again.)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Generic, TypeVar

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
    ``describe`` names an item in log lines. ``alone`` tells the items to write in a
    transaction of their own; ``lost_race`` the failures of a write, besides deadlocks and
    serialization failures, that another transaction caused and one more attempt may clear.
    """

    def __init__(
        self,
        engine: Engine,
        write: Callable[[Session, Item], Result],
        on_commit: Callable[[Result], None],
        *,
        describe: Callable[[Item], str] = str,
        size: int = GROUP_SIZE,
        alone: Callable[[Item], bool] | None = None,
        lost_race: Callable[[BaseException], bool] | None = None,
    ) -> None:
        if size < 1:
            raise ValueError(f"group size must be at least 1, not {size}")
        self._engine = engine
        self._write = write
        self._on_commit = on_commit
        self._describe = describe
        self._size = size
        self._keep_apart = alone
        self._lost_race = lost_race
        self._session: Session | None = None
        self._group: list[tuple[Item, Result]] = []

    def add(self, item: Item) -> None:
        """Write ``item`` in the open group; the group commits when it is full, and before and
        after an item written ``alone``."""
        apart = self._keep_apart is not None and self._keep_apart(item)
        if apart:
            self.commit()
        if self._session is None:
            self._session = Session(self._engine)
        try:
            result = self._write(self._session, item)
        except Exception as exc:
            earlier = self._discard()
            for done, _ in earlier:
                self._alone(done)
            if not self._worth_again(exc):
                raise
            self._on_commit(self._again(item, exc))
            return
        except BaseException:
            self._discard()  # interrupted: no more database work
            raise
        self._group.append((item, result))
        if apart or len(self._group) >= self._size:
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
        """``item`` in a transaction of its own, once more after a lost connection or race."""
        try:
            result = self._once(item)
        except Exception as exc:
            if not self._worth_again(exc):
                raise
            result = self._again(item, exc)
        self._on_commit(result)

    def _worth_again(self, exc: BaseException) -> bool:
        return (
            _lost_connection(exc)
            or _conflict(exc)
            or (self._lost_race is not None and self._lost_race(exc))
        )

    def _again(self, item: Item, exc: BaseException) -> Result:
        # The failure rolled the whole write back; the write is idempotent, so doing it
        # again, once, in a fresh transaction is safe.
        if _lost_connection(exc):
            log.warning("database connection lost writing %s; again", self._describe(item))
        else:
            log.warning(
                "writing %s lost a race with another writer (%s); again",
                self._describe(item),
                getattr(exc, "orig", exc),
            )
        return self._once(item)

    def _once(self, item: Item) -> Result:
        with Session(self._engine) as session:
            result = self._write(session, item)
            session.commit()
        return result


def _lost_connection(exc: BaseException) -> bool:
    """A connection lost mid-transaction (a server restart, a killed backend). A failure
    that is neither this nor a lost race (a locked SQLite database, a bad row...) is not
    retried."""
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


# PostgreSQL's deadlock_detected and serialization_failure: the server rolled back one of
# two transactions that got in each other's way; the other one goes on.
_CONFLICTS = frozenset({"40P01", "40001"})


def _conflict(exc: BaseException) -> bool:
    """A transaction the database gave up on for another's sake (see ``_CONFLICTS``)."""
    return isinstance(exc, DBAPIError) and getattr(exc.orig, "sqlstate", None) in _CONFLICTS
