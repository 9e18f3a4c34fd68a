"""Corroboration kept up to date as evidence arrives, without reading all the evidence.

``record_assessment`` updates ``PolicyChange.corroboration`` from the stored count when the
rule of ``independent_outlet_count`` allows it, and counts from all the evidence otherwise. These
tests hold the stored count against the full count after every step, and check which path
each case takes (the full count is spied on), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import pytest
from sqlalchemy import Engine, Executable, event, insert
from sqlmodel import Session, col, func, select

import storage.assessments as assessments
from classify.types import Direction
from storage.articles import UpsertResult, upsert_article
from storage.assessments import record_assessment
from storage.baselines import ensure_baseline_version
from storage.models import Article, PolicyChange, PolicyChangeEvidence
from tests.storage.helpers import (
    CLASSIFIER,
    at,
    baseline,
    departing_signal,
    independent_outlets,
    parsed,
    verdict,
)

FULL_COUNT = assessments.independent_outlet_count
OUTLETS = independent_outlets  # the rule, in Python: the reference


@dataclass
class Spy:
    """Counts the full counts ``record_assessment`` falls back to."""

    calls: int = 0

    def __call__(self, *, session: Session, change_id: int) -> int:
        self.calls += 1
        return FULL_COUNT(session=session, change_id=change_id)


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> Spy:
    counter = Spy()
    monkeypatch.setattr(assessments, "independent_outlet_count", counter)
    return counter


@pytest.fixture(autouse=True)
def _baseline(session: Session) -> None:
    ensure_baseline_version(session=session, baseline=baseline())
    session.commit()


def store(
    session: Session,
    n: int,
    outlet: str,
    hours: float,
    *,
    story: str | None = None,
) -> UpsertResult:
    """Article ``n`` of ``outlet``, first seen at ``hours``; ``story`` sets its cluster key
    ("own" for the key of a story it starts, None for no key at all)."""
    stored = upsert_article(
        session=session,
        parsed=parsed(url=f"https://example.org/{outlet}/{n}"),
        source=outlet,
        outlet=outlet,
        now=at(hours),
    )
    article = stored.article
    if story is not None and not article.cluster_key:
        article.cluster_key = f"a{article.id}" if story == "own" else story
        session.add(article)
    session.commit()
    return stored


def depart(
    session: Session,
    stored: UpsertResult,
    hours: float,
    *,
    classifier: str = CLASSIFIER,
    extra: int = 0,
    other: bool = False,
) -> PolicyChange:
    """Record a departure on trade_authority (plus ``extra`` more signals towards the same
    change, and with ``other`` one towards another change) and return the trade_authority
    change, as committed."""
    signals = [departing_signal()] * (1 + extra)
    if other:
        signals.append(departing_signal("fx_earning", Direction.TIGHTENING))
    result = record_assessment(
        session=session,
        article=stored.article,
        revision=stored.revision,
        assessment=verdict(*signals, classifier_version=classifier),
        now=at(hours),
    )
    session.commit()
    assert result.created
    return result.policy_changes[0]


def assert_count_is_exact(session: Session) -> None:
    session.expire_all()
    for change in session.exec(select(PolicyChange)).all():
        assert change.id is not None
        full = OUTLETS(session=session, change_id=change.id)
        assert change.corroboration == len(full), (change.outlets, full)
        assert FULL_COUNT(session=session, change_id=change.id) == len(full)


# -- the fast path: no evidence read ------------------------------------------------------------


def test_articles_of_one_outlet_never_read_the_evidence(session: Session, spy: Spy) -> None:
    for n in range(12):
        change = depart(session, store(session, n, "dailynk", n, story="own"), n)
        assert change.corroboration == 1
    assert spy.calls == 0
    assert session.exec(select(func.count()).select_from(PolicyChangeEvidence)).one() == 12
    assert_count_is_exact(session)


def test_new_outlets_count_in_their_own_stories_not_in_reprints(session: Session, spy: Spy) -> None:
    wire = store(session, 1, "yonhap", 0, story="own")
    assert depart(session, wire, 0).corroboration == 1
    key = wire.article.cluster_key
    # Another outlet reprinting the story: listed, not counted.
    change = depart(session, store(session, 2, "herald", 1, story=key), 1)
    assert change.outlets == ["yonhap", "herald"] and change.corroboration == 1
    # An outlet with its own story counts, whether the story has a key or not.
    assert depart(session, store(session, 3, "dailynk", 2, story="own"), 2).corroboration == 2
    assert depart(session, store(session, 4, "nknews", 3), 3).corroboration == 3
    # Articles first stored in one pass share their first-seen time: the id breaks the tie.
    assert depart(session, store(session, 5, "kcna", 3, story="own"), 3).corroboration == 4
    assert depart(session, store(session, 6, "chosun", 3, story=key), 3).corroboration == 4
    assert spy.calls == 0
    assert_count_is_exact(session)


def test_reassessed_evidence_changes_nothing(session: Session, spy: Spy) -> None:
    first = store(session, 1, "yonhap", 0, story="own")
    depart(session, first, 0)
    depart(session, store(session, 2, "dailynk", 1), 1)
    # A revision of the first article, then a new classifier version: still one link each.
    revised = upsert_article(
        session=session,
        parsed=parsed(url="https://example.org/yonhap/1", text="Contracts signed directly."),
        source="yonhap",
        outlet="yonhap",
        now=at(2),
    )
    session.commit()
    assert depart(session, revised, 2).corroboration == 2
    assert depart(session, revised, 3, classifier="rules-2").corroboration == 2
    assert spy.calls == 0
    assert session.exec(select(func.count()).select_from(PolicyChangeEvidence)).one() == 2
    assert_count_is_exact(session)


def test_two_signals_towards_one_change_link_the_article_once(session: Session) -> None:
    depart(session, store(session, 1, "yonhap", 0), 0)
    change = depart(session, store(session, 2, "dailynk", 1), 1, extra=1)
    assert change.corroboration == 2
    assert session.exec(select(func.count()).select_from(PolicyChangeEvidence)).one() == 2


# -- the cases that need the full count ---------------------------------------------------------


def test_an_outlet_seen_only_in_reprints_is_counted_by_its_first_own_story(
    session: Session, spy: Spy
) -> None:
    wire = store(session, 1, "yonhap", 0, story="own")
    depart(session, wire, 0)
    depart(session, store(session, 2, "herald", 1, story=wire.article.cluster_key), 1)
    assert spy.calls == 0
    # Yonhap again: credited already, but the stored count cannot tell (herald is not).
    assert depart(session, store(session, 3, "yonhap", 2, story="own"), 2).corroboration == 1
    assert spy.calls == 1
    # Herald's own story: now it counts.
    assert depart(session, store(session, 4, "herald", 3, story="own"), 3).corroboration == 2
    assert spy.calls == 2
    # Every outlet credited again: back to the stored count.
    assert depart(session, store(session, 5, "yonhap", 4, story="own"), 4).corroboration == 2
    assert spy.calls == 2
    assert_count_is_exact(session)


def test_an_article_seen_before_the_evidence_may_take_a_story_over(
    session: Session, spy: Spy
) -> None:
    # Yonhap's story seen at hour 5, Daily NK's own at hour 6: two outlets.
    wire = store(session, 1, "yonhap", 5, story="own")
    depart(session, wire, 5)
    depart(session, store(session, 2, "dailynk", 6, story="own"), 6)
    # Daily NK's copy of Yonhap's story, first seen (a ``now`` behind the stored times) at
    # hour 1: the story is Daily NK's now, and Yonhap has none left.
    late = store(session, 3, "dailynk", 1, story=wire.article.cluster_key)
    change = depart(session, late, 7)
    assert change.corroboration == 1 and change.id is not None
    assert spy.calls == 1
    assert OUTLETS(session=session, change_id=change.id) == {"dailynk"}
    assert_count_is_exact(session)


def test_an_old_article_departing_in_a_new_revision_is_counted_in_full(
    session: Session, spy: Spy
) -> None:
    wire = store(session, 1, "yonhap", 0, story="own")
    reprint = store(session, 2, "herald", 1, story=wire.article.cluster_key)
    # Only the reprint departs at first: the story is Herald's.
    assert depart(session, reprint, 1).corroboration == 1
    # Yonhap's original departs in a revision: an older article of the same story, which
    # takes the story (and the credit) over.
    revised = upsert_article(
        session=session,
        parsed=parsed(url="https://example.org/yonhap/1", text="Contracts signed directly."),
        source="yonhap",
        outlet="yonhap",
        now=at(2),
    )
    session.commit()
    change = depart(session, revised, 2)
    assert change.corroboration == 1 and change.outlets == ["herald", "yonhap"]
    assert spy.calls == 1
    assert change.id is not None
    assert OUTLETS(session=session, change_id=change.id) == {"yonhap"}
    assert_count_is_exact(session)


def test_an_article_stored_in_the_same_pass_before_the_evidence_is_counted_in_full(
    session: Session, spy: Spy
) -> None:
    # One pass stores Yonhap's story, Herald's copy of it and a story of Herald's own.
    wire = store(session, 1, "yonhap", 0, story="own")
    copy = store(session, 2, "herald", 0, story=wire.article.cluster_key)
    depart(session, copy, 0)
    assert depart(session, store(session, 3, "herald", 0, story="own"), 0).corroboration == 1
    # Yonhap's original departs later (say, under a new classifier): same first-seen time as
    # Herald's copy but a lower id, so the story is Yonhap's.
    change = depart(session, wire, 2)
    assert change.corroboration == 2 and change.id is not None
    assert spy.calls == 1
    assert OUTLETS(session=session, change_id=change.id) == {"yonhap", "herald"}


def test_a_story_named_after_an_article_without_a_key_is_that_article_s(
    session: Session, spy: Spy
) -> None:
    legacy = store(session, 1, "herald", 0)  # no key: its story is "a<id>"
    depart(session, legacy, 0)
    joined = store(session, 2, "yonhap", 1, story=f"a{legacy.article.id}")
    change = depart(session, joined, 1)
    assert change.corroboration == 1 and change.outlets == ["herald", "yonhap"]
    assert spy.calls == 0
    assert_count_is_exact(session)


def test_the_database_count_follows_the_rule_for_empty_keys_and_ties(session: Session) -> None:
    # An empty key is no key: each such article is its own story. Two articles of one story
    # first seen at the same time: the lower id takes it.
    first = store(session, 1, "yonhap", 0, story="own")
    depart(session, first, 0)
    tied = store(session, 2, "dailynk", 0, story=first.article.cluster_key)
    for n, outlet in ((3, "dailynk"), (4, "dailynk"), (5, "nknews")):
        blank = store(session, n, outlet, 1)
        blank.article.cluster_key = ""
        session.add(blank.article)
        session.commit()
        depart(session, blank, 1)
    change = depart(session, tied, 1)
    assert change.id is not None
    assert OUTLETS(session=session, change_id=change.id) == {"yonhap", "dailynk", "nknews"}
    assert FULL_COUNT(session=session, change_id=change.id) == 3
    assert_count_is_exact(session)


def test_a_linked_article_keyed_later_is_counted_in_full(session: Session, spy: Spy) -> None:
    wire = store(session, 1, "yonhap", 0, story="own")
    depart(session, wire, 0)
    legacy = store(session, 2, "herald", 1)  # stored without a key, as before clustering
    assert depart(session, legacy, 1).corroboration == 2
    # Re-read, it joins Yonhap's cluster (assign_cluster keys an article that has none).
    legacy.article.cluster_key = wire.article.cluster_key
    session.add(legacy.article)
    session.commit()
    assert depart(session, legacy, 2, classifier="rules-2").corroboration == 1
    assert spy.calls == 1
    assert_count_is_exact(session)


# -- any order of events -----------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_stored_count_equals_the_full_count_after_every_step(session: Session, seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311  # a reproducible order of events, not a secret
    outlets = ["yonhap", "herald", "dailynk", "nknews"]
    stored: list[UpsertResult] = []
    hours = 0.0
    for step in range(40):
        roll = rng.random()
        if roll < 0.6 or not stored:
            hours += rng.choice([0.0, 0.0, 1.0, 2.0])  # a pass stores several at one time
            seen = hours - rng.choice([3.0, 10.0]) if rng.random() < 0.12 else hours
            keys = [s.article.cluster_key or f"a{s.article.id}" for s in stored]
            story = rng.choice(["own", "own", None, *keys[-4:]])
            item = store(session, step, rng.choice(outlets), seen, story=story)
            stored.append(item)
            if rng.random() < 0.85:
                extra = int(rng.random() < 0.1)
                depart(session, item, hours, extra=extra, other=rng.random() < 0.5)
        elif roll < 0.8:  # a revision of a stored article, assessed again
            old = rng.choice(stored)
            hours += 1.0
            revised = upsert_article(
                session=session,
                parsed=parsed(url=old.article.url, text=f"Revised at step {step}."),
                source=old.article.source,
                outlet=old.article.outlet,
                now=at(hours),
            )
            session.commit()
            depart(session, revised, hours, other=rng.random() < 0.5)
        else:  # a replay under another classifier
            old = rng.choice(stored)
            session.refresh(old.article)
            latest = upsert_article(
                session=session,
                parsed=parsed(url=old.article.url, text=old.article.text),
                source=old.article.source,
                outlet=old.article.outlet,
                now=at(hours),
            )
            depart(session, latest, hours, classifier=f"replay-{step}")
        assert_count_is_exact(session)


# -- the cost of one more article does not grow with the evidence --------------------------------


@pytest.fixture
def statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def record(*args: object) -> None:
        seen.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", record)
    yield seen
    event.remove(engine, "before_cursor_execute", record)


def test_one_more_article_runs_the_same_statements_at_any_size(
    session: Session, statements: list[str]
) -> None:
    costs: list[int] = []
    for n in range(30):
        item = store(session, n, f"outlet{n % 3}", n, story="own")
        statements.clear()
        depart(session, item, n)
        costs.append(len(statements))
    # The first opens the change and the next two bring new outlets; from then on each
    # article runs the same statements, however much evidence the change has, and none
    # of them is the full count (a join of the evidence with its articles).
    assert len(set(costs[3:])) == 1, costs
    assert not [s for s in statements if "JOIN policy_change_evidence" in s]


def _vm_steps(engine: Engine, statement: Executable, params: Mapping[str, object]) -> int:
    """SQLite virtual-machine instructions run by ``statement``: work done, not time taken."""
    steps = 0

    def count() -> int:
        nonlocal steps
        steps += 1
        return 0  # go on

    with engine.connect() as conn:
        raw = conn.connection.driver_connection
        assert isinstance(raw, sqlite3.Connection)
        raw.set_progress_handler(count, 1)
        try:
            conn.execute(statement, params).all()
        finally:
            raw.set_progress_handler(None, 1)
    return steps


def _add_evidence(session: Session, change: PolicyChange, signal_id: int, count: int) -> None:
    """``count`` more evidence articles for ``change``, written in bulk, first seen earlier."""
    first = session.exec(select(func.max(Article.id))).one() or 0
    rows = [
        {
            "url": f"https://example.org/bulk/{i}",
            "source": "bulk",
            "outlet": f"bulk{i % 5}",
            "title": "t",
            "text": "x",
            "authors": [],
            "historical": False,
            "content_hash": "h",
            "first_seen_at": at(-1),
            "last_seen_at": at(-1),
            "revision_count": 1,
            "cluster_key": f"k{i % 50}",
        }
        for i in range(first + 1, first + 1 + count)
    ]
    session.execute(insert(Article), rows)
    ids = session.exec(select(Article.id).where(col(Article.id) > first)).all()
    links = [{"policy_change_id": change.id, "article_id": i, "signal_id": signal_id} for i in ids]
    session.execute(insert(PolicyChangeEvidence), links)
    session.commit()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_the_evidence_state_query_does_the_same_work_at_any_size(
    engine: Engine, session: Session
) -> None:
    assert engine.dialect.name == "sqlite"  # counts SQLite's virtual-machine instructions
    change = depart(session, store(session, 0, "yonhap", 0, story="own"), 0)
    signal_id = session.exec(select(PolicyChangeEvidence.signal_id)).one()
    probe = store(session, 1, "dailynk", 1, story="own").article
    assert change.id is not None and probe.id is not None

    def state_work() -> int:  # the open change, with its evidence state as regards the probe
        params = {
            "baseline_version": change.baseline_version,
            "dimension0": change.dimension,
            "article_id": probe.id,
            "first_seen": probe.first_seen_at,
            "story": probe.cluster_key,
            "story_id": probe.id,
        }
        return _vm_steps(engine, assessments._open_changes_statement(1), params)

    def naive_work() -> int:  # what the full count does: every evidence row, joined
        stmt = (
            select(Article.id, Article.outlet, Article.cluster_key, Article.first_seen_at)
            .join(PolicyChangeEvidence, col(PolicyChangeEvidence.article_id) == col(Article.id))
            .where(col(PolicyChangeEvidence.policy_change_id) == change.id)
        )
        return _vm_steps(engine, stmt, {})

    small = (state_work(), naive_work())
    _add_evidence(session, change, signal_id, 2000)
    large = (state_work(), naive_work())
    _add_evidence(session, change, signal_id, 2000)
    larger = (state_work(), naive_work())

    # The measure sees a walk over the evidence ...
    assert larger[1] > 1.9 * large[1] > 100 * small[1]
    # ... and the state query does not: a seek may take a few more steps in a bigger index,
    # never more for more evidence.
    assert larger[0] == large[0] <= small[0] + 10, (small, large, larger)
