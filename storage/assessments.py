"""Classifier verdicts, their per-dimension signals, and the policy changes departures open.

A departure on a dimension opens a ``PolicyChange`` for (dimension, direction, baseline
version), or corroborates the open one. ``outlets`` lists every distinct outlet that reported
it; ``corroboration`` counts independent reports (see ``independent_outlet_count``).

A change is read, tallied in memory and written back (see ``add_assessment``), so two
transactions corroborating it at once must not both read it before either writes. On SQLite
they cannot (one writer at a time, its lock held from the first write). On PostgreSQL the open
changes an assessment may corroborate are locked (``FOR UPDATE``, in id order) before they
are read, and held until its transaction ends: a second writer waits, then reads what the
first committed. A transaction recording a departure should record nothing else that locks
changes (``locks_open_changes``), or two could lock the same changes in opposite orders. Two
transactions opening the same change at once collide on ``uq_policy_change_open``: the
second fails (``lost_opening_race``), and written again it corroborates the first's change.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Exists,
    Integer,
    Label,
    Select,
    String,
    Update,
    and_,
    bindparam,
    cast,
    distinct,
    exists,
    func,
    literal,
    literal_column,
    or_,
)
from sqlalchemy import select as sa_select
from sqlalchemy.engine import Connection, Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from classify.types import Assessment as Verdict
from classify.types import DimensionSignal, Direction, Relation
from storage.db import insert_object, object_for_row, table_of
from storage.enums import PolicyChangeStatus
from storage.models import (
    Article,
    ArticleRevision,
    Assessment,
    BaselineVersion,
    PolicyChange,
    PolicyChangeEvidence,
    Signal,
)
from storage.types import as_utc


@dataclass
class RecordResult:
    """What ``record_assessment`` did.

    ``policy_changes`` are the changes this call opened or corroborated; empty when the
    assessment already existed (``created`` False), so re-runs raise no alerts.
    """

    assessment: Assessment
    created: bool
    policy_changes: list[PolicyChange] = field(default_factory=list)


def assessment_exists(
    *,
    session: Session,
    article_id: int,
    content_hash: str,
    baseline_version: str,
    classifier_version: str,
) -> bool:
    """Whether this revision was already assessed under these baseline and classifier versions."""
    params = _same_assessment(article_id, content_hash, baseline_version, classifier_version)
    # A plain query: no object to build, and it does not autoflush (so flush first).
    session.flush()
    return session.connection().execute(_EXISTS, params).first() is not None


def record_assessment(
    *,
    session: Session,
    article: Article,
    revision: ArticleRevision,
    assessment: Verdict,
    now: datetime | None = None,
) -> RecordResult:
    """Store ``assessment`` of ``revision`` with its signals; open or corroborate changes.

    Idempotent by (article, revision content hash, baseline version, classifier version).
    Flushes, never commits.
    """
    assert article.id is not None and revision.id is not None, "store the article first"
    existing = _find(
        session,
        article.id,
        revision.content_hash,
        assessment.baseline_version,
        assessment.classifier_version,
    )
    if existing is not None:
        return RecordResult(existing, created=False)
    return add_assessment(
        session=session, article=article, revision=revision, assessment=assessment, now=now
    )


def add_assessment(
    *,
    session: Session,
    article: Article,
    revision: ArticleRevision,
    assessment: Verdict,
    now: datetime | None = None,
) -> RecordResult:
    """``record_assessment`` for a caller that already knows the assessment is not stored:
    it asked ``assessment_exists`` in this transaction, or stored the revision in it.

    Saves the lookup, not the guarantee: the assessment's unique key still refuses a
    duplicate (``IntegrityError``). Flushes, never commits.
    """
    at = as_utc(now, what="now")
    assert article.id is not None and revision.id is not None, "store the article first"
    # The rows below are written with Core statements, which do not autoflush: whatever the
    # caller left pending goes first, as it did when these rows were flushed with it.
    session.flush()
    values: dict[str, Any] = {
        "article_id": article.id,
        "revision_id": revision.id,
        "content_hash": revision.content_hash,
        "baseline_version": assessment.baseline_version,
        "classifier_version": assessment.classifier_version,
        "relevant": assessment.relevant,
        "direction": assessment.direction,
        "relation": assessment.relation,
        "confidence": assessment.confidence,
        "dimensions": assessment.dimensions,
        "evidence": assessment.evidence,
        "historical": article.historical,
        "created_at": at,
    }
    row = insert_object(session, Assessment, values)
    assert row.id is not None

    # Nothing reads the signals back as objects; the departing ones' ids come back in order.
    rows = [
        {
            "assessment_id": row.id,
            "dimension": sig.dimension,
            "direction": sig.direction,
            "relation": sig.relation,
            "score": sig.score,
            "evidence": [{"sentence": ev.sentence, "cues": list(ev.cues)} for ev in sig.evidence],
            "baseline_stance": sig.baseline_stance,
            "reported_stance": sig.reported_stance,
        }
        for sig in assessment.signals
    ]
    conn = session.connection()
    if not records_departure(assessment):
        if rows:
            conn.execute(_INSERT_SIGNAL, rows)
        return RecordResult(row, created=True, policy_changes=[])

    ids = _insert_signals(conn, rows)
    departing: list[tuple[DimensionSignal, int]] = []
    for sig, signal_id in zip(assessment.signals, ids, strict=True):
        assert signal_id is not None
        if sig.relation is Relation.DEPARTS:
            departing.append((sig, signal_id))

    found = _open_changes(session, assessment.baseline_version, departing, article)
    # Each change is tallied in memory and written once, complete: a change opened here is
    # inserted with its final counts (in the order opened, so the ids are those one flush per
    # change gave), and a stored one is updated in the columns that moved.
    tallies: dict[tuple[str, Direction], _Tally] = {}
    links: list[tuple[_Tally, int]] = []
    order: list[_Tally] = []
    for sig, signal_id in departing:
        tally = tallies.get(_key(sig))
        if tally is None:
            stored = found.get(_key(sig))
            if stored is None:
                tally = _Tally.opening(
                    session, sig, assessment.baseline_version, assessment.confidence, at
                )
            else:
                values, state = stored
                tally = _Tally.of(object_for_row(session, PolicyChange, values), state)
            tallies[_key(sig)] = tally
        linked = _open_or_corroborate(
            session,
            tally,
            article=article,
            signal_id=signal_id,
            sig=sig,
            confidence=assessment.confidence,
            at=at,
        )
        if linked:
            links.append((tally, signal_id))
        order.append(tally)

    for tally in tallies.values():
        if tally.stored is None:
            tally.insert(session, assessment.baseline_version)
    if links:
        evidence = [
            {"policy_change_id": tally.id, "article_id": article.id, "signal_id": signal_id}
            for tally, signal_id in links
        ]
        conn.execute(_INSERT_EVIDENCE, evidence)
    _update_changes(session, tallies.values())
    changes = [tally.change for tally in order]
    return RecordResult(row, created=True, policy_changes=changes)


def locks_open_changes(dialect_name: str) -> bool:
    """Whether recording a departing assessment on this database locks the open changes it
    may corroborate until the transaction ends: everywhere but on SQLite (see the module)."""
    return dialect_name != "sqlite"


def records_departure(assessment: Verdict) -> bool:
    """Whether recording ``assessment`` opens or corroborates changes (and so, where
    ``locks_open_changes``, locks them)."""
    return any(sig.relation is Relation.DEPARTS for sig in assessment.signals)


_OPEN_INDEX = "uq_policy_change_open"


def lost_opening_race(exc: BaseException) -> bool:
    """Whether ``exc`` is another transaction having opened the change this one was opening
    (on PostgreSQL the INSERT waits for it, then breaks ``uq_policy_change_open``): written
    again, in a fresh transaction, the assessment corroborates that change instead."""
    if not isinstance(exc, IntegrityError):
        return False
    name = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    if name is not None:  # psycopg
        return bool(name == _OPEN_INDEX)
    return _OPEN_INDEX in str(exc.orig)


def _key(sig: DimensionSignal) -> tuple[str, Direction]:
    return (sig.dimension, sig.direction)


# Statements run for every article are built once: building one costs more than running it.
_SAME_ASSESSMENT = (
    col(Assessment.article_id) == bindparam("article_id"),
    col(Assessment.content_hash) == bindparam("content_hash"),
    col(Assessment.baseline_version) == bindparam("baseline_version"),
    col(Assessment.classifier_version) == bindparam("classifier_version"),
)
_FIND = select(Assessment).where(*_SAME_ASSESSMENT)
_EXISTS = sa_select(col(Assessment.id)).where(*_SAME_ASSESSMENT)


def _find(
    session: Session,
    article_id: int,
    content_hash: str,
    baseline_version: str,
    classifier_version: str,
) -> Assessment | None:
    params = _same_assessment(article_id, content_hash, baseline_version, classifier_version)
    return session.exec(_FIND, params=params).first()


def _same_assessment(
    article_id: int, content_hash: str, baseline_version: str, classifier_version: str
) -> dict[str, Any]:
    """The parameters of ``_SAME_ASSESSMENT``: an assessment's unique key."""
    return {
        "article_id": article_id,
        "content_hash": content_hash,
        "baseline_version": baseline_version,
        "classifier_version": classifier_version,
    }


_INSERT_SIGNAL = table_of(Signal).insert()
_INSERT_SIGNAL_RETURNING = _INSERT_SIGNAL.returning(table_of(Signal).c.id)
_INSERT_SIGNAL_RETURNING_IN_ORDER = _INSERT_SIGNAL.returning(
    table_of(Signal).c.id, sort_by_parameter_order=True
)


def _insert_signals(conn: Connection, rows: list[dict[str, Any]]) -> list[int]:
    """Insert the signal ``rows``; their ids, in the order of ``rows``."""
    if conn.dialect.name != "sqlite":
        # One INSERT ... SELECT ... ORDER BY, whose ids SQLAlchemy sorts back into order.
        return list(conn.execute(_INSERT_SIGNAL_RETURNING_IN_ORDER, rows).scalars())
    # SQLAlchemy would send SQLite one INSERT per row to be sure of the order. One INSERT
    # of many rows gives each the next rowid in turn (the largest so far plus one; nobody
    # else writes during our write transaction), so the ids sorted are in the rows' order.
    ids = sorted(conn.execute(_INSERT_SIGNAL_RETURNING, rows).scalars())
    assert len(ids) == len(rows) and ids[-1] - ids[0] == len(ids) - 1, ids
    return ids


_INSERT_EVIDENCE = table_of(PolicyChangeEvidence).insert()


_CHANGE = table_of(PolicyChange)
_CHANGE_COLUMNS = tuple(column.name for column in _CHANGE.columns)


@functools.lru_cache(maxsize=32)
def _open_changes_statement(count: int) -> Select[Any]:
    """The open changes on ``count`` dimensions (``dimension0``...), each with its evidence
    state as regards one article. A statement per count: an expanding IN list costs more to
    render at every run than the query takes."""
    return sa_select(*_CHANGE.columns, *_state_columns(_CHANGE.c.id)).where(*_open_on(count))


@functools.lru_cache(maxsize=32)
def _lock_open_changes_statement(count: int) -> Select[Any]:
    """The ids of the changes ``_open_changes_statement`` reads, locked in id order: every
    writer takes the changes it needs in one order, so none holds one another waits for while
    waiting for one that other holds."""
    return (
        sa_select(_CHANGE.c.id)
        .where(*_open_on(count))
        .order_by(_CHANGE.c.id)
        .with_for_update(of=_CHANGE)
    )


def _open_on(count: int) -> list[ColumnElement[bool]]:
    return [
        _CHANGE.c.baseline_version == bindparam("baseline_version"),
        # A literal, not a parameter: compared with a parameter, a column a partial index is
        # conditioned on (uq_policy_change_open) makes SQLite plan the statement anew at every
        # run, which cost more than the query.
        _CHANGE.c.status == literal_column(f"'{PolicyChangeStatus.OPEN.value}'"),
        _CHANGE.c.dimension.in_([bindparam(f"dimension{i}") for i in range(count)]),
    ]


def _open_changes(
    session: Session,
    baseline_version: str,
    departing: list[tuple[DimensionSignal, int]],
    article: Article,
) -> dict[tuple[str, Direction], tuple[dict[str, Any], _EvidenceState]]:
    """The open changes the departing signals may corroborate (their columns, by name), with
    their evidence state as regards ``article``, in one round trip.

    Read before any is touched: nothing an assessment writes (evidence of one change, a change
    it opens) alters the evidence of another. A plain query, not an ORM one: only the changes
    corroborated become objects (``_Tally.of``), and building them costs less than the ORM's
    loading. It does not autoflush; ``add_assessment`` has flushed.

    Where ``locks_open_changes``, the changes are locked first (see ``_read_locked``).
    """
    dimensions = sorted({sig.dimension for sig, _ in departing})
    params = {f"dimension{i}": dimension for i, dimension in enumerate(dimensions)}
    params["baseline_version"] = baseline_version
    conn = session.connection()
    if locks_open_changes(conn.dialect.name):
        result: Iterable[Row[Any]] = _read_locked(conn, len(dimensions), params, article)
    else:
        result = conn.execute(
            _open_changes_statement(len(dimensions)), {**params, **_state_params(article)}
        )
    found: dict[tuple[str, Direction], tuple[dict[str, Any], _EvidenceState]] = {}
    for row in result:
        values = dict(zip(_CHANGE_COLUMNS, row, strict=False))  # the row ends with the state
        linked, newer, later, same_story = row[len(_CHANGE_COLUMNS) :]
        state = _EvidenceState(bool(linked), bool(newer), bool(later), bool(same_story))
        found[(values["dimension"], values["direction"])] = (values, state)
    return found


def _read_locked(
    conn: Connection, count: int, params: dict[str, Any], article: Article
) -> list[Row[Any]]:
    """``_open_changes_statement``'s rows, every one of them locked by this transaction.

    The lock is taken by a statement of its own, and the rows read by the next: a locking
    statement that waited for another writer's commit returns that writer's version of the
    row it waited for, but its subqueries (the evidence state) still see the evidence as it
    was when the statement began, without what that writer linked. A change opened and
    committed by another writer between the two statements shows up unlocked: lock again.
    """
    lock = _lock_open_changes_statement(count)
    locked = set(conn.execute(lock, params).scalars())
    while True:
        rows = list(
            conn.execute(_open_changes_statement(count), {**params, **_state_params(article)})
        )
        if {row.id for row in rows} <= locked:
            return rows
        locked.update(conn.execute(lock, params).scalars())


@dataclass
class _Tally:
    """A policy change as this assessment leaves it, written once it is complete.

    ``stored`` is the session's object of a change already stored (updated in place once
    written); a change this assessment opens has none until it is inserted (``created``).
    """

    stored: PolicyChange | None
    id: int | None
    dimension: str
    direction: Direction
    from_stance: str | None
    to_stance: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    outlets: list[str]
    corroboration: int
    confidence: float
    state: _EvidenceState | None = None  # of a stored change, as regards the article
    handled: bool = False  # this assessment has linked its article to the change already
    created: PolicyChange | None = None

    @classmethod
    def of(cls, change: PolicyChange, state: _EvidenceState) -> _Tally:
        return cls(
            state=state,
            stored=change,
            id=change.id,
            dimension=change.dimension,
            direction=change.direction,
            from_stance=change.from_stance,
            to_stance=change.to_stance,
            first_seen_at=change.first_seen_at,
            last_seen_at=change.last_seen_at,
            outlets=list(change.outlets),
            corroboration=change.corroboration,
            confidence=change.confidence,
        )

    @classmethod
    def opening(
        cls,
        session: Session,
        sig: DimensionSignal,
        baseline_version: str,
        confidence: float,
        at: datetime,
    ) -> _Tally:
        return cls(
            stored=None,
            id=None,
            dimension=sig.dimension,
            direction=sig.direction,
            from_stance=sig.baseline_stance,
            to_stance=sig.reported_stance
            or _stance_after(session, baseline_version, sig.dimension, sig.direction),
            first_seen_at=at,
            last_seen_at=at,
            outlets=[],
            corroboration=0,
            confidence=confidence,
        )

    @property
    def change(self) -> PolicyChange:
        change = self.stored or self.created
        assert change is not None, "insert an opened change first"
        return change

    def insert(self, session: Session, baseline_version: str) -> None:
        """Store a change this assessment opened."""
        assert self.stored is None and self.created is None
        values: dict[str, Any] = {
            "dimension": self.dimension,
            "direction": self.direction,
            "baseline_version": baseline_version,
            "from_stance": self.from_stance,
            "to_stance": self.to_stance,
            "status": PolicyChangeStatus.OPEN,
            "first_seen_at": self.first_seen_at,
            "last_seen_at": self.last_seen_at,
            "outlets": self.outlets,
            "corroboration": self.corroboration,
            "confidence": self.confidence,
            "review_note": None,
            "reviewed_at": None,
        }
        self.created = insert_object(session, PolicyChange, values)
        self.id = self.created.id

    def changed(self) -> dict[str, Any]:
        """The columns of a stored change this assessment moved, with their new values."""
        assert self.stored is not None
        return {
            name: value
            for name, value in (
                ("to_stance", self.to_stance),
                ("last_seen_at", self.last_seen_at),
                ("outlets", self.outlets),
                ("corroboration", self.corroboration),
                ("confidence", self.confidence),
            )
            if getattr(self.stored, name) != value
        }


def _update_changes(session: Session, tallies: Iterable[_Tally]) -> None:
    """Write what this assessment moved in stored changes: only the columns that moved, as a
    flush would (others may be writing the rest), one statement per set of columns."""
    by_columns: dict[tuple[str, ...], list[tuple[_Tally, dict[str, Any]]]] = {}
    for tally in tallies:
        if tally.stored is not None and (moved := tally.changed()):
            by_columns.setdefault(tuple(moved), []).append((tally, moved))
    conn = session.connection()
    for columns, moves in by_columns.items():
        params = [
            {"change_id": tally.id, **{f"new_{name}": value for name, value in moved.items()}}
            for tally, moved in moves
        ]
        conn.execute(_update_change(columns), params)
        for tally, moved in moves:
            for name, value in moved.items():
                # Written above: the session need not write it again.
                set_committed_value(tally.stored, name, value)


@functools.lru_cache(maxsize=64)
def _update_change(columns: tuple[str, ...]) -> Update:
    return (
        _CHANGE.update()
        .where(_CHANGE.c.id == bindparam("change_id"))
        .values({name: bindparam(f"new_{name}") for name in columns})
    )


def _open_or_corroborate(
    session: Session,
    tally: _Tally,
    *,
    article: Article,
    signal_id: int,
    sig: DimensionSignal,
    confidence: float,
    at: datetime,
) -> bool:
    """Credit the change ``sig`` departs towards (``tally``: opened by this assessment, or
    the open one) with ``article``; whether the evidence row linking them is still to insert
    (False when the article is evidence of it already, or the row was inserted to count).
    """
    assert article.id is not None
    link = False
    if tally.handled:  # a second signal of this assessment towards the same change
        credited: int | None = tally.corroboration
    else:
        tally.handled = True
        state = tally.state
        link = state is None or not state.linked
        credited = _credited_after_link(tally.corroboration, article, list(tally.outlets), state)
    if credited is None:
        # Not decidable from what is stored: count from all the evidence, this link included.
        change_id = _stored_id(tally)
        if link:
            row = {"policy_change_id": change_id, "article_id": article.id, "signal_id": signal_id}
            session.connection().execute(_INSERT_EVIDENCE, [row])
            link = False
        credited = independent_outlet_count(session=session, change_id=change_id)

    if article.outlet not in tally.outlets:
        tally.outlets = [*tally.outlets, article.outlet]
    tally.last_seen_at = max(tally.last_seen_at, at)
    tally.confidence = max(tally.confidence, confidence)
    if tally.to_stance is None and sig.reported_stance:
        tally.to_stance = sig.reported_stance
    tally.corroboration = credited
    return link


def _stored_id(tally: _Tally) -> int:
    assert tally.stored is not None and tally.id is not None
    return tally.id


@dataclass(frozen=True)
class _EvidenceState:
    """What decides whether one more evidence article can change a policy change's count."""

    linked: bool  # the article is already evidence of the change
    newer: bool  # some evidence article has a higher id than this one
    later: bool  # some evidence article was first seen after this one
    same_story: bool  # some evidence article tells this article's story


def _is_evidence(
    article_id: ColumnElement[int] | Mapped[int | None] | BindParameter[int],
    change_id: ColumnElement[int] | Mapped[int | None] | BindParameter[int],
) -> Exists:
    """Whether ``article_id`` is evidence of the change ``change_id`` (columns of enclosing
    queries, however deep, are theirs: not new FROM entries)."""
    return (
        exists()
        .where(
            col(PolicyChangeEvidence.policy_change_id) == change_id,
            col(PolicyChangeEvidence.article_id) == article_id,
        )
        .correlate_except(PolicyChangeEvidence)
    )


def _state_columns(
    change_id: ColumnElement[int] | Mapped[int | None] | BindParameter[int],
) -> list[Label[bool]]:
    """The four parts of ``_EvidenceState`` for the change ``change_id`` (a parameter, or the
    id column of an enclosing query of changes), as regards the article the parameters of
    ``_state_params`` describe.

    Each can be answered from an index, so its cost does not grow with the change's evidence:
    the (change, article) unique index for the first two (or, for the second, the article_id
    index: only articles newer than this one); for the others the scan starts from the
    article table (``first_seen_at`` index, ``cluster_key`` index or primary key: a handful of
    rows) and probes that unique index per row. Written the other way round, SQLite would
    walk all the evidence.
    """
    return [
        _is_evidence(bindparam("article_id"), change_id).label("linked"),
        exists()
        .where(
            col(PolicyChangeEvidence.policy_change_id) == change_id,
            col(PolicyChangeEvidence.article_id) > bindparam("article_id"),
        )
        .label("newer"),
        exists()
        .where(
            col(Article.first_seen_at) > bindparam("first_seen"),
            _is_evidence(col(Article.id), change_id),
        )
        .label("later"),
        exists()
        .where(
            or_(
                col(Article.cluster_key) == bindparam("story"),
                and_(
                    col(Article.id) == bindparam("story_id"),
                    or_(col(Article.cluster_key).is_(None), col(Article.cluster_key) == ""),
                ),
            ),
            _is_evidence(col(Article.id), change_id),
        )
        .label("same_story"),
    ]


def _state_params(article: Article) -> dict[str, Any]:
    """The parameters of ``_state_columns`` for ``article``."""
    assert article.id is not None
    story = _story(article.id, article.cluster_key)
    # An article without a key is the story "a<id>": match that one too (-1 matches nothing).
    story_id = int(story[1:]) if story[:1] == "a" and story[1:].isdigit() else -1
    return {
        "article_id": article.id,
        "first_seen": article.first_seen_at,
        "story": story,
        "story_id": story_id,
    }


def _credited_after_link(
    corroboration: int,
    article: Article,
    outlets_before: list[str],
    state: _EvidenceState | None,
) -> int | None:
    """How many outlets ``independent_outlet_count`` credits a change counting
    ``corroboration`` once ``article`` is evidence of it, when that follows from the stored
    count; None when it takes the full count.

    Under the rule, an article first seen after every evidence article of the change (ties:
    a higher id) cannot be the earliest of a story already there. So, given the count before:
    if its story is there, nothing changes; if its outlet was not there, the outlet is new and
    credited (+1); if every outlet there is credited (count == outlets), its outlet already is.
    Otherwise (an article older than the evidence: a late revision, a re-assessment, a ``now``
    behind the stored times; or an outlet seen so far only in others' stories) it takes the
    full count. A linked article adds no evidence; its story is unchanged unless it joined a
    cluster after it was linked (an article keyed before clustering existed), so only one in
    its own story is decided here. Assumes a cluster key, once set, never changes (the rule of
    ``assign_cluster``); anything re-keying stored articles must recount the changes.
    """
    assert article.id is not None
    if state is None:  # the change was opened by this article
        return 1
    if state.linked:
        own = _story(article.id, article.cluster_key) == _story(article.id, None)
        return corroboration if own else None
    if state.later or state.newer:
        return None
    if state.same_story:
        return corroboration
    if article.outlet not in outlets_before:
        return corroboration + 1
    if corroboration == len(outlets_before):
        return corroboration
    return None


def _story(article_id: int, cluster_key: str | None) -> str:
    """The story an article belongs to under ``independent_outlet_count``'s rule."""
    return cluster_key or f"a{article_id}"


def independent_outlet_count(*, session: Session, change_id: int) -> int:
    """How many outlets reported a policy change independently.

    The rule: the change's evidence articles are grouped by story cluster (``cluster_key``;
    an article without one is its own story). Each story is credited to the outlet of its
    earliest article (first seen, then lowest id), and each outlet counts once. So an outlet
    reprinting another's story adds nothing; an outlet reporting the change in its own story
    counts; an outlet with several stories still counts once.

    ``PolicyChange.corroboration`` is this count, kept up to date as evidence is added (see
    ``_credited_after_link``) without reading all the evidence each time; where it cannot be,
    this counts it in the database: one row comes back, not every evidence article (a change
    reported for months has hundreds). The tests hold it against the rule written in plain
    Python (``tests/storage/helpers.py``)."""
    found = session.connection().execute(_INDEPENDENT_OUTLET_COUNT, {"change_id": change_id})
    return int(found.scalar_one())


def _independent_outlet_count() -> Select[Any]:
    """The statement of ``independent_outlet_count``: its rule in SQL. Each story
    (``_story``: the cluster key, or "a<id>" for an article without one) ranks its articles
    by first seen, then id; the outlets of the first ones are counted once each."""
    story = func.coalesce(
        func.nullif(col(Article.cluster_key), ""),
        literal("a").concat(cast(col(Article.id), String)),
    )
    rank = func.row_number().over(
        partition_by=story, order_by=(col(Article.first_seen_at), col(Article.id))
    )
    ranked = (
        sa_select(col(Article.outlet).label("outlet"), rank.label("rank"))
        .join(PolicyChangeEvidence, col(PolicyChangeEvidence.article_id) == col(Article.id))
        .where(col(PolicyChangeEvidence.policy_change_id) == bindparam("change_id", type_=Integer))
        .subquery()
    )
    return sa_select(func.count(distinct(ranked.c.outlet))).where(ranked.c.rank == 1)


_INDEPENDENT_OUTLET_COUNT = _independent_outlet_count()


def _stance_after(
    session: Session, baseline_version: str, dimension: str, direction: Direction
) -> str | None:
    """The baseline's own wording for where a departure would leave the dimension, if any."""
    key = {Direction.LOOSENING: "loosened_stance", Direction.TIGHTENING: "tightened_stance"}
    if direction not in key:
        return None
    document = session.exec(
        select(BaselineVersion.document).where(BaselineVersion.version == baseline_version)
    ).first()
    if not document:
        return None
    for dim in document.get("dimensions", []):
        if isinstance(dim, dict) and dim.get("id") == dimension:
            stance = dim.get(key[direction])
            return stance if isinstance(stance, str) else None
    return None
