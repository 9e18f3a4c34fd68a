"""Story clusters and the corroboration rule built on them, on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.articles import UpsertResult, upsert_article
from storage.assessments import record_assessment
from storage.baselines import ensure_baseline_version
from storage.clusters import assign_cluster, same_story, shingles
from storage.models import PolicyChange
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
    session: Session, n: int, outlet: str, text: str, hours: float = 0.0, title: str = ""
) -> UpsertResult:
    stored = upsert_article(
        session=session,
        parsed=parsed(
            url=f"https://example.org/{outlet.replace(' ', '').lower()}/{n}",
            title=title or "Provinces may trade directly",
            text=text,
        ),
        source=outlet.lower(),
        outlet=outlet,
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
