"""Articles: new, unchanged, changed with a revision and a diff; known URLs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import inspect, text
from sqlmodel import Session, col, select

from storage.articles import (
    content_hash,
    known_articles,
    known_urls,
    remember_listed_url,
    upsert_article,
)
from storage.db import current_revision, get_engine, upgrade
from storage.enums import ArticleOutcome
from storage.models import Article, ArticleAlias, ArticleRevision
from tests.storage.helpers import T0, at, downgrade, parsed


def test_new_article_gets_revision_one(session: Session) -> None:
    result = upsert_article(
        session=session, parsed=parsed(), source="dailynk", outlet="Daily NK", now=T0
    )
    session.commit()

    assert result.outcome is ArticleOutcome.NEW
    article = session.exec(select(Article)).one()
    assert article.id == result.article.id
    assert article.source == "dailynk" and article.outlet == "Daily NK"
    assert article.authors == ["Staff reporter"]
    assert article.first_seen_at == T0 == article.last_seen_at
    assert article.published_at == T0 - timedelta(days=1)
    assert article.revision_count == 1
    assert article.content_hash == content_hash(parsed().title, parsed().text)
    assert result.revision.revision_no == 1
    assert result.revision.diff == ""
    assert result.revision.article_id == article.id


def test_same_content_is_unchanged_and_bumps_last_seen(session: Session) -> None:
    upsert_article(session=session, parsed=parsed(), source="s", outlet="o", now=T0)
    session.commit()
    again = upsert_article(session=session, parsed=parsed(), source="s", outlet="o", now=at(6))
    session.commit()

    assert again.outcome is ArticleOutcome.UNCHANGED
    assert again.article.last_seen_at == at(6)
    assert again.article.first_seen_at == T0
    assert again.revision.revision_no == 1
    assert len(session.exec(select(ArticleRevision)).all()) == 1


def test_changed_content_adds_a_revision_with_a_diff(session: Session) -> None:
    first = parsed()
    upsert_article(session=session, parsed=first, source="s", outlet="o", now=T0)
    session.commit()
    edited = parsed(
        title="Customs post at Sinuiju reopens for all state traders",
        text=first.text.replace("longer inspection queues", "shorter inspection queues"),
    )
    result = upsert_article(session=session, parsed=edited, source="s", outlet="o", now=at(2))
    session.commit()

    assert result.outcome is ArticleOutcome.CHANGED
    assert result.revision.revision_no == 2
    assert result.article.revision_count == 2
    assert result.article.title == edited.title
    assert result.article.text == edited.text
    diff = result.revision.diff
    assert "--- revision 1" in diff and "+++ revision 2" in diff
    assert "-Title: Customs post at Sinuiju reopens for licensed traders" in diff
    assert "+Title: Customs post at Sinuiju reopens for all state traders" in diff
    assert "-Traders in the border city described longer inspection queues" in diff
    assert "+Traders in the border city described shorter inspection queues" in diff
    revs = session.exec(select(ArticleRevision).order_by(col(ArticleRevision.revision_no))).all()
    assert [r.revision_no for r in revs] == [1, 2]
    assert revs[0].text == first.text  # the old content is kept


def test_a_revision_updates_the_object_the_session_holds_and_keeps_what_it_should(
    session: Session,
) -> None:
    # upsert_article writes a stored article with a Core statement, not a flush: the object
    # the session already holds must show the new values, and no later flush may write the
    # old ones back.
    first = parsed(published=None)
    upsert_article(session=session, parsed=first, source="s", outlet="o", now=T0)
    session.commit()
    held = session.exec(select(Article)).one()
    held.authors = []  # stored without authors: a revision that names them fills them in
    session.commit()
    edited = parsed(text=first.text + "\n\nA third paragraph.")
    result = upsert_article(
        session=session,
        parsed=edited,
        source="s",
        outlet="o",
        listed_title="Listed headline",
        now=at(3),
    )
    assert result.article is held
    assert (held.text, held.revision_count, held.last_seen_at) == (edited.text, 2, at(3))
    assert held.published_at == edited.published and held.authors == ["Staff reporter"]
    assert held.listed_title == "Listed headline"
    assert not session.dirty  # written already: nothing for a flush to write again
    session.commit()
    # Seen again, unchanged, through a listing that gives no headline and no date: the
    # headline, the publication time and the authors stay.
    again = upsert_article(
        session=session,
        parsed=parsed(text=edited.text, published=None),
        source="s",
        outlet="o",
        now=at(4),
    )
    assert again.outcome is ArticleOutcome.UNCHANGED and again.revision.revision_no == 2
    session.commit()
    session.expire_all()
    stored = session.exec(select(Article)).one()
    assert (stored.text, stored.revision_count, stored.last_seen_at) == (edited.text, 2, at(4))
    assert stored.listed_title == "Listed headline" and stored.published_at == edited.published
    assert stored.authors == ["Staff reporter"]


def test_historical_is_fixed_at_first_sight(session: Session) -> None:
    upsert_article(
        session=session, parsed=parsed(), source="s", outlet="o", historical=True, now=T0
    )
    result = upsert_article(session=session, parsed=parsed(), source="s", outlet="o", now=at(1))
    assert result.article.historical is True


def test_published_time_is_stored_in_utc(session: Session) -> None:
    kst = timezone(timedelta(hours=9))
    item = parsed(published=datetime(2025, 3, 9, 9, 0, tzinfo=kst))
    upsert_article(session=session, parsed=item, source="s", outlet="o", now=T0)
    session.commit()
    session.expire_all()
    article = session.exec(select(Article)).one()
    assert article.published_at == datetime(2025, 3, 9, 0, 0, tzinfo=UTC)
    assert article.published_at is not None and article.published_at.tzinfo is not None


def test_naive_published_time_is_refused(session: Session) -> None:
    item = parsed(published=datetime(2025, 3, 9, 9, 0))
    with pytest.raises(ValueError, match="published"):
        upsert_article(session=session, parsed=item, source="s", outlet="o", now=T0)


def test_known_urls_returns_only_stored_ones(session: Session) -> None:
    stored = [f"https://example.org/a/{i}" for i in range(3)]
    for url in stored:
        upsert_article(session=session, parsed=parsed(url=url), source="s", outlet="o", now=T0)
    session.commit()
    asked = [*stored[:2], "https://example.org/unknown", stored[0]]
    assert known_urls(session=session, urls=asked) == set(stored[:2])
    assert known_urls(session=session, urls=[]) == set()


def test_known_urls_handles_long_lists(session: Session) -> None:
    upsert_article(session=session, parsed=parsed(), source="s", outlet="o", now=T0)
    asked = [f"https://example.org/x/{i}" for i in range(1200)] + [parsed().url]
    assert known_urls(session=session, urls=iter(asked)) == {parsed().url}


def test_a_listed_url_remembered_for_an_article_is_known_by_it(session: Session) -> None:
    stored = upsert_article(
        session=session,
        parsed=parsed(),
        source="s",
        outlet="o",
        listed_title="(LEAD) x",
        listed_updated=at(9),  # a site's clock ahead of ours
        now=T0,
    )
    listed = f"{parsed().url}?section=nk"
    for _ in range(2):  # idempotent: a group written again after a rollback
        remember_listed_url(session, url=listed, article=stored.article, now=T0)
    remember_listed_url(session, url=parsed().url, article=stored.article, now=T0)  # no alias
    session.commit()

    known = known_articles(session=session, urls=[listed, "https://example.org/other"])

    assert list(known) == [listed]
    assert known[listed].title == parsed().title and known[listed].last_seen_at == T0
    assert (known[listed].listed_title, known[listed].listed_updated_at) == ("(LEAD) x", at(9))
    # Seen again through a listing that gives neither: the last ones given stay.
    upsert_article(session=session, parsed=parsed(), source="s", outlet="o", now=at(1))
    again = known_articles(session=session, urls=[listed])[listed]
    assert (again.listed_title, again.listed_updated_at) == ("(LEAD) x", at(9))
    aliases = session.exec(select(ArticleAlias)).all()
    assert [(a.url, a.article_id) for a in aliases] == [(listed, stored.article.id)]


def test_an_article_stored_under_a_url_wins_over_one_listed_under_it(session: Session) -> None:
    first = upsert_article(session=session, parsed=parsed(), source="s", outlet="o", now=T0)
    shared = f"{parsed().url}-live"
    remember_listed_url(session, url=shared, article=first.article, now=T0)
    # Later an article of its own is stored under that very URL.
    own = parsed(url=shared, title="Live: the border reopens")
    upsert_article(session=session, parsed=own, source="s", outlet="o", now=at(1))
    session.commit()

    for asked in ([shared], [shared, parsed().url], [parsed().url, shared]):
        known = known_articles(session=session, urls=asked)
        assert known[shared].title == "Live: the border reopens", asked
        assert known[shared].last_seen_at == at(1)
        assert set(known) == set(asked)


def test_migration_0004_keeps_stored_articles(db_url: str) -> None:
    upgrade(db_url, "0003")  # a fresh SQLite file
    engine = get_engine(db_url)
    url = "https://example.org/a/1"
    try:
        downgrade(engine, db_url, "0003")  # the session's PostgreSQL database is at head
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO article (url, source, outlet, title, authors, text, historical, "
                    "content_hash, first_seen_at, last_seen_at, revision_count) VALUES (:url, "
                    "'s', 'o', 'Stored', '[]', 'Text.', false, 'h', :t, :t, 1)"
                ),
                {"url": url, "t": T0},
            )
        upgrade(db_url)
        assert current_revision(db_url) == "0004"
        with Session(engine) as session:
            known = known_articles(session=session, urls=[url])
        assert (known[url].title, known[url].listed_title, known[url].listed_updated_at) == (
            "Stored",
            None,
            None,
        )
        # and back: the downgrade drops what 0004 added, keeping the row
        downgrade(engine, db_url, "0003")
        assert not {"article_alias", "skipped_page"} & set(inspect(engine).get_table_names())
        columns = {c["name"] for c in inspect(engine).get_columns("article")}
        assert not columns & {"listed_title", "listed_updated_at"}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT title FROM article")).scalar_one() == "Stored"
    finally:
        engine.dispose()
        upgrade(db_url)  # leave the schema at head for the tests after this one
