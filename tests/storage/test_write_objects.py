"""The objects the write path hands back, although its rows go in by plain statements: they
are the session's, loaded, clean, and follow the transaction as flushed objects would."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlmodel import Session, SQLModel, select

from storage.articles import UpsertResult, upsert_article
from storage.assessments import add_assessment, record_assessment
from storage.baselines import ensure_baseline_version
from storage.clusters import assign_cluster
from storage.models import Article, ArticleRevision, Assessment, PolicyChange
from tests.storage.helpers import at, baseline, departing_signal, parsed, verdict


def _store(session: Session, n: int, outlet: str = "Daily NK") -> UpsertResult:
    stored = upsert_article(
        session=session,
        parsed=parsed(
            url=f"https://example.org/{n}", text=" ".join(f"w{n}x{i}" for i in range(40))
        ),
        source=outlet.lower(),
        outlet=outlet,
        now=at(n),
    )
    assign_cluster(session=session, article=stored.article)
    return stored


def _columns(row: SQLModel) -> dict[str, Any]:
    return {attr.key: getattr(row, attr.key) for attr in inspect(type(row)).column_attrs}


def _assert_as_flushed(session: Session, row: SQLModel) -> None:
    """Persistent in ``session``, nothing pending, nothing left to load, and the same values
    as the stored row."""
    state = inspect(row)
    assert state.persistent and state.session is session
    assert not state.modified and not state.expired_attributes and not state.unloaded
    table = SQLModel.metadata.tables[type(row).__tablename__]  # type: ignore[index]
    stored = session.connection().execute(table.select().where(table.c.id == state.identity[0]))
    assert _columns(row) == dict(stored.one()._mapping)


def test_new_rows_come_back_as_flushed_objects(session: Session) -> None:
    ensure_baseline_version(session=session, baseline=baseline())
    session.commit()
    first = _store(session, 1)
    opened = add_assessment(
        session=session,
        article=first.article,
        revision=first.revision,
        assessment=verdict(departing_signal()),
        now=at(1),
    )
    session.commit()
    second = _store(session, 2, "NK News")
    corroborated = add_assessment(
        session=session,
        article=second.article,
        revision=second.revision,
        assessment=verdict(departing_signal()),
        now=at(2),
    )
    # Not committed: what the caller gets while the transaction is open.
    assert not session.dirty and not session.new
    for row in (second.article, second.revision, corroborated.assessment):
        _assert_as_flushed(session, row)
    # The change the first assessment opened is the session's object, counted again.
    (change,) = corroborated.policy_changes
    assert change is opened.policy_changes[0]
    assert (change.outlets, change.corroboration) == (["Daily NK", "NK News"], 2)
    _assert_as_flushed(session, change)


def test_a_change_on_an_object_handed_back_is_written(session: Session) -> None:
    stored = _store(session, 1)
    result = add_assessment(
        session=session,
        article=stored.article,
        revision=stored.revision,
        assessment=verdict(),
        now=at(1),
    )
    result.assessment.historical = True  # as reclassification marks its verdicts
    stored.article.title = "Retitled"
    session.commit()
    assert session.exec(select(Assessment.historical)).one() is True
    assert session.exec(select(Article.title)).one() == "Retitled"


def test_a_rollback_takes_back_the_objects_of_its_rows(session: Session) -> None:
    ensure_baseline_version(session=session, baseline=baseline())
    session.commit()
    kept = _store(session, 1)
    session.commit()
    gone = _store(session, 2)
    result = record_assessment(
        session=session,
        article=gone.article,
        revision=gone.revision,
        assessment=verdict(departing_signal()),
        now=at(2),
    )
    gone_id = gone.article.id
    session.rollback()

    # As for objects a flush inserted: out of the session, transient, their values kept.
    for row in (gone.article, gone.revision, result.assessment, *result.policy_changes):
        assert inspect(row).transient, row
        assert row not in session
    assert gone.article.id == gone_id
    # SQLite hands the same ids to the next rows: their objects take them without a clash.
    again = _store(session, 3)
    record_assessment(
        session=session,
        article=again.article,
        revision=again.revision,
        assessment=verdict(departing_signal()),
        now=at(3),
    )
    session.commit()
    assert kept.article in session
    urls = session.exec(select(Article.url).order_by(Article.id)).all()  # type: ignore[arg-type]
    assert urls == ["https://example.org/1", "https://example.org/3"]
    assert len(session.exec(select(ArticleRevision)).all()) == 2
    assert len(session.exec(select(PolicyChange)).all()) == 1
