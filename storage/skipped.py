"""Listed pages fetched and dropped rather than stored (a paywalled teaser, a page gone or
over the size cap), remembered so that a changed listing does not have them fetched again on
every pass.

A remembered page counts as listed before (``KnownPage``) until its listing gives another
headline or a later update time, or until ``recheck_after(reason)`` has passed since it was
last fetched: a teaser may be opened to everyone later, a page put back.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlmodel import Session, col

from storage.articles import KnownPage
from storage.db import in_lists, insert_on_conflict, table_of
from storage.models import SkippedPage
from storage.types import as_utc

RECHECK_AFTER = timedelta(days=7)
# A page that is gone may not have been there yet: sites list an article before its page is
# live, and a CDN may answer 404 for a while. Remembered for a week, such an article would
# be lost (a feed drops its entry within days). Under an hour, so that the next hourly pass
# asks again even when it reaches the source a little earlier in its run than this one did.
RECHECK_GONE_AFTER = timedelta(minutes=50)


def recheck_after(reason: str) -> timedelta:
    """How long a page dropped for ``reason`` counts as listed before."""
    return RECHECK_GONE_AFTER if reason == "gone" else RECHECK_AFTER


_TABLE = table_of(SkippedPage)
_REFRESHED = ("source", "reason", "listed_title", "listed_updated_at", "skipped_at")


def remember_skipped(
    session: Session,
    *,
    url: str,
    source: str,
    reason: str,
    listed_title: str | None,
    listed_updated: datetime | None,
    now: datetime,
) -> None:
    """Record that the page listed at ``url`` was fetched and dropped for ``reason``, with
    what its listing said. Idempotent (a page skipped again is updated); never commits."""
    stmt = insert_on_conflict(_TABLE, session.get_bind().dialect.name, key="url", update=_REFRESHED)
    values = {
        "url": url,
        "source": source,
        "reason": reason,
        "listed_title": listed_title,
        "listed_updated_at": as_utc(listed_updated, what="listed_updated")
        if listed_updated
        else None,
        "skipped_at": as_utc(now, what="now"),
    }
    session.connection().execute(stmt, values)


def skipped_pages(*, session: Session, urls: Iterable[str], now: datetime) -> dict[str, KnownPage]:
    """The pages among ``urls`` skipped less than ``recheck_after`` their reason before
    ``now``, by URL."""
    now = as_utc(now, what="now")
    since = now - max(RECHECK_AFTER, RECHECK_GONE_AFTER)
    found: dict[str, KnownPage] = {}
    conn = session.connection()
    for chunk in in_lists(urls):
        stmt = select(
            _TABLE.c.url,
            _TABLE.c.reason,
            _TABLE.c.listed_title,
            _TABLE.c.listed_updated_at,
            _TABLE.c.skipped_at,
        ).where(col(SkippedPage.url).in_(chunk), col(SkippedPage.skipped_at) >= since)
        for url, reason, title, updated, skipped_at in conn.execute(stmt):
            if now - skipped_at < recheck_after(reason):
                found[url] = KnownPage(title or "", skipped_at, title, updated)
    return found
