"""Story clusters and the corroboration rule built on them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, delete, select

from storage.articles import ArticleOutcome, UpsertResult, upsert_article
from storage.assessments import record_assessment
from storage.baselines import ensure_baseline_version
from storage.clusters import assign_cluster, drop_indexes, same_story
from storage.models import Article, ArticleRevision, PolicyChange
from storage.shingling import Shingled, shingles
from tests.storage.helpers import at, baseline, departing_signal, parsed, verdict

WIRE = (
    "North Korea has allowed provincial trading companies to sign export contracts with "
    "Chinese buyers directly, without approval from the central ministry, according to a "
    "notice seen by traders in Sinuiju. The measure covers seafood, textiles and mineral "
    "products, and firms that meet their annual plan may keep part of the foreign currency "
    "they earn. Traders in Dandong said the first contracts under the new rules were signed "
    "last week, and customs officials on both sides of the river expect more cargo to cross "
    "the bridge before the end of the month."
)
REPRINT = (
    "North Korea has allowed provincial trading companies to sign export contracts with "
    "Chinese buyers directly, without approval from the central ministry, according to a "
    "notice seen by traders in Sinuiju. The measure covers seafood, textiles and mineral "
    "products, and firms that meet their annual plan may keep part of the foreign currency "
    "they earn."
)
OWN_REPORT = (
    "Sources inside the country tell us that regional trade bureaus no longer need Pyongyang's "
    "sign-off before dealing with partners across the Yalu. A manager at a fisheries company "
    "in South Pyongan said his firm concluded two deals on its own this month, something "
    "that had been impossible since the pandemic, and was told it could retain a share of "
    "the hard currency."
)
UNRELATED = (
    "Heavy rain flooded rice paddies in South Hwanghae Province over the weekend, and state "
    "media said soldiers had been mobilised to repair embankments and pump water from the "
    "fields before the harvest."
)


def _store(
    session: Session,
    n: int,
    outlet: str,
    text: str,
    hours: float = 0.0,
    title: str = "",
    *,
    published: datetime | None = None,
    historical: bool = False,
) -> UpsertResult:
    stored = upsert_article(
        session=session,
        parsed=parsed(
            url=f"https://example.org/{outlet.replace(' ', '').lower()}/{n}",
            title=title or "Provinces may trade directly",
            text=text,
            published=published or at(hours),
        ),
        source=outlet.lower(),
        outlet=outlet,
        historical=historical,
        now=at(hours),
    )
    assign_cluster(session=session, article=stored.article)
    session.commit()
    return stored


def test_shingle_overlap_tells_a_reprint_from_an_independent_report() -> None:
    wire = shingles("Provinces may trade directly", WIRE)
    assert same_story(wire, shingles("N. Korea lets provinces trade", REPRINT))
    assert not same_story(wire, shingles("Provinces may trade directly", OWN_REPORT))
    assert not same_story(wire, frozenset())


def test_shingles_given_for_another_text_are_not_used(session: Session) -> None:
    first = _store(session, 1, "Yonhap", WIRE)
    # Shingles a worker computed for the wire story, handed over with an unrelated article
    # (its page changed in between, say): the article is judged by its own text.
    stale = Shingled.of("Provinces may trade directly", REPRINT)
    assert stale.of_text("Floods", UNRELATED) is None
    flood = upsert_article(
        session=session,
        parsed=parsed(
            url="https://example.org/kcna/2", title="Floods", text=UNRELATED, published=at(1)
        ),
        source="kcna",
        outlet="KCNA Watch",
        now=at(1),
    )
    key = assign_cluster(session=session, article=flood.article, shingled=stale)
    assert key == f"a{flood.article.id}" != first.article.cluster_key
    # The same shingles with the text they came from are used as given.
    reprint = upsert_article(
        session=session,
        parsed=parsed(
            url="https://example.org/kh/3",
            title="Provinces may trade directly",
            text=REPRINT,
            published=at(2),
        ),
        source="kh",
        outlet="Korea Herald",
        now=at(2),
    )
    fresh = Shingled.of("Provinces may trade directly", REPRINT)
    assert assign_cluster(session=session, article=reprint.article, shingled=fresh) == (
        first.article.cluster_key
    )


def test_reprint_joins_the_original_cluster(session: Session) -> None:
    first = _store(session, 1, "Yonhap", WIRE)
    reprint = _store(session, 2, "Korea Herald", REPRINT, hours=3)
    other = _store(session, 3, "Daily NK", OWN_REPORT, hours=4)
    flood = _store(session, 4, "KCNA Watch", UNRELATED, hours=5, title="Floods")

    key = first.article.cluster_key
    assert key == f"a{first.article.id}"
    assert reprint.article.cluster_key == key
    assert other.article.cluster_key == f"a{other.article.id}"
    assert flood.article.cluster_key not in {key, other.article.cluster_key}


def test_cluster_key_is_kept_and_window_is_bounded(session: Session) -> None:
    first = _store(session, 1, "Yonhap", WIRE)
    assert assign_cluster(session=session, article=first.article) == first.article.cluster_key
    # A reprint first seen more than 14 days later is not compared with the original.
    late = _store(session, 2, "Korea Herald", REPRINT, hours=24 * 15)
    assert late.article.cluster_key == f"a{late.article.id}"
    soon = _store(session, 3, "Korea Times", REPRINT, hours=24 * 13)
    assert soon.article.cluster_key == first.article.cluster_key


def _depart(session: Session, stored: UpsertResult, hours: float) -> PolicyChange:
    result = record_assessment(
        session=session,
        article=stored.article,
        revision=stored.revision,
        assessment=verdict(departing_signal()),
        now=at(hours),
    )
    session.commit()
    return result.policy_changes[0]


def test_corroboration_counts_independent_outlets_not_reprints(session: Session) -> None:
    ensure_baseline_version(session=session, baseline=baseline())
    first = _store(session, 1, "Yonhap", WIRE)
    reprint = _store(session, 2, "Korea Herald", REPRINT, hours=1)
    own = _store(session, 3, "Daily NK", OWN_REPORT, hours=2)
    again = _store(session, 4, "Yonhap", OWN_REPORT + " More detail followed.", hours=3)

    change = _depart(session, first, 1)
    assert change.corroboration == 1
    change = _depart(session, reprint, 2)
    # Two outlets, one story: listed twice, counted once.
    assert change.outlets == ["Yonhap", "Korea Herald"] and change.corroboration == 1
    change = _depart(session, own, 3)
    assert change.corroboration == 2
    # A second Yonhap article (a reprint of Daily NK's story) adds no independent outlet.
    _depart(session, again, 4)
    session.expire_all()
    stored = session.exec(select(PolicyChange)).one()
    assert stored.outlets == ["Yonhap", "Korea Herald", "Daily NK"]
    assert stored.corroboration == 2


# -- the decisions, case by case ---------------------------------------------------------------

SHORT = "Customs at Sinuiju reopened on Monday for trucks."


def test_short_texts_cluster_only_when_nearly_identical(session: Session) -> None:
    first = _store(session, 1, "Yonhap", SHORT, title="Border post reopens")
    copy = _store(session, 2, "Korea Herald", SHORT, hours=1, title="Border post reopens")
    # One word changed in nine shingles: too far from identity for a text this short.
    edited = SHORT.replace("trucks", "buses")
    other = _store(session, 3, "Korea Times", edited, hours=2, title="Border post reopens")
    # Wholly contained in a longer story, but a short text must match nearly all of it.
    longer = _store(session, 4, "NK News", SHORT + " " + UNRELATED, hours=3)

    assert copy.article.cluster_key == first.article.cluster_key
    assert other.article.cluster_key == f"a{other.article.id}"
    assert longer.article.cluster_key == f"a{longer.article.id}"


def test_an_article_telling_two_stories_joins_the_earliest_first_seen(session: Session) -> None:
    wire = _store(session, 1, "Yonhap", WIRE, hours=5)
    own = _store(session, 2, "Daily NK", OWN_REPORT, hours=1)  # stored later, seen earlier
    both = _store(session, 3, "NK News", WIRE + " " + OWN_REPORT, hours=6)

    assert wire.article.cluster_key != own.article.cluster_key
    assert both.article.cluster_key == own.article.cluster_key


@pytest.mark.parametrize("reload", [False, True], ids=["in_process", "from_database"])
def test_a_revised_article_keeps_its_key_and_is_compared_by_its_new_text(
    session: Session, reload: bool
) -> None:
    first = _store(session, 1, "Yonhap", UNRELATED, title="Floods")
    revised = _store(session, 1, "Yonhap", WIRE, hours=1)
    assert revised.outcome is ArticleOutcome.CHANGED
    assert revised.article.cluster_key == first.article.cluster_key == f"a{first.article.id}"
    if reload:
        drop_indexes()  # as a process started after the revision would see it
    reprint = _store(session, 2, "Korea Herald", REPRINT, hours=2)
    flood = _store(session, 3, "KCNA Watch", UNRELATED, hours=3, title="Floods")

    assert reprint.article.cluster_key == first.article.cluster_key
    assert flood.article.cluster_key == f"a{flood.article.id}"  # the old text counts no more


def test_backfilled_articles_are_windowed_by_publication_date(session: Session) -> None:
    # A backfill stores every article "now": only their publication dates tell stories apart.
    now = 24 * 400

    def backfilled(n: int, outlet: str, text: str, published_hours: float) -> UpsertResult:
        published = at(published_hours)
        return _store(session, n, outlet, text, hours=now, published=published, historical=True)

    first = backfilled(1, "Yonhap", WIRE, 0)
    month_later = backfilled(2, "Korea Herald", REPRINT, 24 * 30)
    days_later = backfilled(3, "Korea Times", REPRINT, 24 * 3)
    assert month_later.article.cluster_key == f"a{month_later.article.id}"
    assert days_later.article.cluster_key == first.article.cluster_key

    # A monitored article is compared by when it was seen: with a backfilled story published
    # in the days before, not with one from a year ago that the backfill happened to store.
    last_week = backfilled(4, "Daily NK", OWN_REPORT, now - 24 * 5)
    live_old = _store(session, 5, "NK News", REPRINT, hours=now + 1)
    live_new = _store(session, 6, "NK News", OWN_REPORT + " More detail followed.", hours=now + 2)
    assert live_old.article.cluster_key == f"a{live_old.article.id}"
    assert live_new.article.cluster_key == last_week.article.cluster_key


def test_the_same_keys_whether_candidates_were_indexed_here_or_read_back(session: Session) -> None:
    texts = [WIRE, OWN_REPORT, UNRELATED, REPRINT, OWN_REPORT + " More detail followed."]

    def run(offset: int, reload: bool) -> list[str]:
        keys: list[str] = []
        for n, text in enumerate(texts):
            if reload:
                drop_indexes()
            stored = _store(session, offset + n, f"Outlet {n}", text, hours=offset + n)
            keys.append(stored.article.cluster_key or "")
        return keys

    def shape(keys: list[str]) -> list[int]:
        return [keys.index(k) for k in keys]  # which earlier article each one joined

    assert shape(run(0, reload=False)) == shape(run(24 * 30, reload=True)) == [0, 1, 2, 0, 1]


def test_articles_clustered_by_another_process_are_candidates(
    session: Session, engine: Engine
) -> None:
    _store(session, 1, "KCNA Watch", UNRELATED, title="Floods")  # this process's index is live
    with Session(engine) as other:  # what another worker's assign_cluster leaves behind
        wire = upsert_article(
            session=other,
            parsed=parsed(url="https://example.org/yonhap/9", title="Trade", text=WIRE),
            source="yonhap",
            outlet="Yonhap",
            now=at(1),
        ).article
        wire.cluster_key = f"a{wire.id}"
        other.add(wire)
        other.commit()
        key = wire.cluster_key
    reprint = _store(session, 2, "Korea Herald", REPRINT, hours=2)
    assert reprint.article.cluster_key == key


def test_an_article_rolled_back_is_not_joined(session: Session) -> None:
    _store(session, 1, "KCNA Watch", UNRELATED, title="Floods")
    wire = upsert_article(
        session=session,
        parsed=parsed(url="https://example.org/yonhap/1", text=WIRE),
        source="yonhap",
        outlet="Yonhap",
        now=at(0),
    )
    assign_cluster(session=session, article=wire.article)
    session.rollback()
    # SQLite hands the rolled-back id to the next article, PostgreSQL never does: both cases.
    flood = upsert_article(
        session=session,
        parsed=parsed(url="https://example.org/kcna/2", text=UNRELATED),
        source="kcna",
        outlet="KCNA Watch",
        now=at(1),
    )
    session.commit()
    reprint = _store(session, 2, "Korea Herald", REPRINT, hours=2)

    assert flood.article.cluster_key is None
    assert reprint.article.cluster_key == f"a{reprint.article.id}"


def test_an_emptied_database_is_not_remembered(session: Session) -> None:
    _store(session, 1, "KCNA Watch", UNRELATED, title="Floods")
    _store(session, 2, "Yonhap", WIRE, hours=1)
    # Emptied under the same URL, as the PostgreSQL test fixture does between tests.
    session.exec(delete(ArticleRevision))
    session.exec(delete(Article))
    session.commit()
    reprint = _store(session, 3, "Korea Herald", REPRINT, hours=2)
    assert reprint.article.cluster_key == f"a{reprint.article.id}"
