"""The ``robots_cache`` table: robots.txt answers shared by runs and workers.

Only answers worth keeping are written (a 200 with its rules, or a 4xx meaning "no rules");
whoever reads decides how old is too old.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from storage.models import RobotsCache
from storage.types import as_utc


def load_robots(*, session: Session, host: str) -> RobotsCache | None:
    """The cached answer for ``host`` (``scheme://host[:port]``), or None."""
    return session.get(RobotsCache, host)


def save_robots(
    *, session: Session, host: str, status: int, body: str, fetched_at: datetime
) -> RobotsCache:
    """Insert or replace the cached answer for ``host``."""
    at = as_utc(fetched_at, what="fetched_at")
    row = session.get(RobotsCache, host)
    if row is None:
        row = RobotsCache(host=host, status=status, body=body, fetched_at=at)
    else:
        row.status, row.body, row.fetched_at = status, body, at
    session.add(row)
    session.flush()
    return row


class DatabaseRobotsStore:
    """A ``sources.robots.RobotsStore`` on the database; each call is its own transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def load(self, host: str) -> RobotsCache | None:
        with Session(self.engine, expire_on_commit=False) as session:
            row = load_robots(session=session, host=host)
            if row is not None:
                session.expunge(row)
            return row

    def save(self, host: str, *, status: int, body: str, fetched_at: datetime) -> None:
        try:
            with Session(self.engine) as session:
                save_robots(
                    session=session, host=host, status=status, body=body, fetched_at=fetched_at
                )
                session.commit()
        except IntegrityError:
            # Another worker cached the same host a moment ago; its answer is as good.
            return
