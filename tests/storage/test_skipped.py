"""Pages dropped as teasers: remembered with what their listing said, for a while."""

from __future__ import annotations

from sqlmodel import Session, select

from storage.models import SkippedPage
from storage.skipped import RECHECK_AFTER, RECHECK_GONE_AFTER, remember_skipped, skipped_pages
from tests.storage.helpers import T0, at

URL = "https://www.nknews.org/pro/a-teaser/"


def test_a_skipped_page_is_known_by_what_its_listing_said_until_it_is_due_again(
    session: Session,
) -> None:
    remember_skipped(
        session,
        url=URL,
        source="nknews",
        reason="paywall",
        listed_title="A first headline",
        listed_updated=None,
        now=T0,
    )
    # Skipped again later, under a new headline: one row, the newer listing's words.
    remember_skipped(
        session,
        url=URL,
        source="nknews",
        reason="paywall",
        listed_title="A second headline",
        listed_updated=at(1),
        now=at(2),
    )
    session.commit()

    known = skipped_pages(session=session, urls=[URL, "https://www.nknews.org/x/"], now=at(3))

    assert list(known) == [URL]
    page = known[URL]
    assert (page.title, page.listed_title) == ("A second headline", "A second headline")
    assert (page.listed_updated_at, page.last_seen_at) == (at(1), at(2))
    (row,) = session.exec(select(SkippedPage)).all()
    assert (row.source, row.reason) == ("nknews", "paywall")
    due = at(3) + RECHECK_AFTER  # a teaser may have been opened since
    assert skipped_pages(session=session, urls=[URL], now=due) == {}


def test_a_page_that_was_gone_is_due_again_sooner_than_a_teaser(session: Session) -> None:
    # A 404 may be a page not live yet: waiting a week for it would lose the article.
    gone = "https://www.nknews.org/2024/05/not-live-yet/"
    for url, reason in ((URL, "paywall"), (gone, "gone")):
        remember_skipped(
            session,
            url=url,
            source="nknews",
            reason=reason,
            listed_title="A headline",
            listed_updated=None,
            now=T0,
        )
    session.commit()

    assert set(skipped_pages(session=session, urls=[URL, gone], now=T0)) == {URL, gone}
    later = T0 + RECHECK_GONE_AFTER
    assert set(skipped_pages(session=session, urls=[URL, gone], now=later)) == {URL}
    assert RECHECK_GONE_AFTER < RECHECK_AFTER
