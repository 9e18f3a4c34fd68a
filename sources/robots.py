"""robots.txt: fetched once per host, remembered, obeyed for our User-Agent.

Rules follow RFC 9309: a robots.txt answered with 200 is obeyed; any 4xx (404 included) means
there are no rules; a 5xx or an unreachable host means "not now", so the host is treated as
disallowed for this run and asked again next run. Good answers are kept in memory for the run
and, when a :class:`RobotsStore` is given, shared with other runs and workers for
``max_age`` (24 h by default).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Protocol
from urllib.robotparser import RobotFileParser

MAX_AGE = timedelta(hours=24)
# RFC 9309 asks crawlers to read at least 500 KiB; the rest may be ignored.
MAX_ROBOTS_BYTES = 512 * 1024


class RobotsVerdict(StrEnum):
    RULES = "rules"  # a robots.txt was read and is obeyed
    ALLOW_ALL = "allow_all"  # none published (4xx)
    UNAVAILABLE = "unavailable"  # 5xx or unreachable: treated as disallowed for now


class StoredRobots(Protocol):
    """A robots.txt answer as a store keeps it (``storage.models.RobotsCache`` is one)."""

    status: int
    body: str
    fetched_at: datetime


class RobotsStore(Protocol):
    """Where robots.txt answers outlive the run (``storage.robots.DatabaseRobotsStore``)."""

    def load(self, host: str) -> StoredRobots | None: ...

    def save(self, host: str, *, status: int, body: str, fetched_at: datetime) -> None: ...


@dataclass(frozen=True)
class RobotsRules:
    """One host's rules as read at ``fetched_at``."""

    verdict: RobotsVerdict
    fetched_at: datetime
    parser: RobotFileParser | None = None

    def allows(self, url: str, agent: str) -> bool:
        if self.verdict is RobotsVerdict.ALLOW_ALL:
            return True
        if self.verdict is RobotsVerdict.UNAVAILABLE or self.parser is None:
            return False
        return self.parser.can_fetch(agent, url)

    @classmethod
    def from_answer(cls, status: int | None, body: str, fetched_at: datetime) -> RobotsRules:
        """Rules from a robots.txt answer (``status`` None: the host could not be reached)."""
        if status is not None and 200 <= status < 300:
            parser = RobotFileParser()
            parser.parse(body.splitlines())
            return cls(RobotsVerdict.RULES, fetched_at, parser)
        if status is not None and 400 <= status < 500:
            return cls(RobotsVerdict.ALLOW_ALL, fetched_at)
        return cls(RobotsVerdict.UNAVAILABLE, fetched_at)


def product_token(user_agent: str) -> str:
    """The name robots.txt groups match against: ``tradewatch`` in ``tradewatch/1.0 (+...)``."""
    return user_agent.split("/", 1)[0].split()[0].lower() if user_agent.strip() else "*"


# (origin, allow_local) -> (status, or None when unreachable; body text)
RobotsFetch = Callable[[str, bool], tuple[int | None, str]]


class RobotsPolicy:
    """Answers "may we fetch this URL?" per origin (``scheme://host[:port]``); thread-safe.

    Each origin's robots.txt is fetched at most once per run, even when several threads ask
    at once: the first asks, the others wait for its answer.
    """

    def __init__(
        self,
        *,
        user_agent: str,
        fetch_robots: RobotsFetch,
        store: RobotsStore | None = None,
        max_age: timedelta = MAX_AGE,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.agent = product_token(user_agent)
        self._fetch = fetch_robots
        self._store = store
        self._max_age = max_age
        self._now = now
        self._rules: dict[str, RobotsRules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def rules_for(self, origin: str, *, allow_local: bool = False) -> RobotsRules:
        """The origin's rules: from memory, else the store (when fresh), else the site."""
        with self._guard:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:
            rules = self._rules.get(origin)
            if rules is None or self._now() - rules.fetched_at >= self._max_age:
                rules = self._load(origin, allow_local)
                self._rules[origin] = rules
            return rules

    def allows(self, origin: str, url: str, *, allow_local: bool = False) -> bool:
        """Whether our User-Agent may fetch ``url`` (on ``origin``) now."""
        return self.rules_for(origin, allow_local=allow_local).allows(url, self.agent)

    def _load(self, origin: str, allow_local: bool) -> RobotsRules:
        now = self._now()
        if self._store is not None:
            stored = self._store.load(origin)
            if stored is not None and now - stored.fetched_at < self._max_age:
                return RobotsRules.from_answer(stored.status, stored.body, stored.fetched_at)
        status, body = self._fetch(origin, allow_local)
        rules = RobotsRules.from_answer(status, body, now)
        # An unavailable robots.txt is a passing state: never remember it beyond this run.
        if (
            self._store is not None
            and status is not None
            and rules.verdict is not (RobotsVerdict.UNAVAILABLE)
        ):
            self._store.save(origin, status=status, body=body, fetched_at=now)
        return rules
