"""The per-source pipeline against the loopback sample site, on SQLite and PostgreSQL.

No Prefect here: these are the plain functions the flow tasks call.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from storage.models import Article, ArticleRevision, Assessment, PolicyChange, SourceState
from tests.app.conftest import desk
from tradewatch.pipeline import (
    DateWindow,
    PipelineContext,
    SourceOutcome,
    check_source,
)
from tradewatch.sitehost import SampleSite
from tradewatch.sources_config import SourceConfig, SourceKind

DEPARTURE_PAGE = "2025/04/trading-companies-win-independent-trade-authority/index.html"
DEPARTURE_PATH = "/" + DEPARTURE_PAGE.removesuffix("index.html")


def article_requests(site: SampleSite) -> list[str]:
    return [p for p in site.paths_requested() if p.startswith(("/2023/", "/2025/"))]


def edit_elsewhere(feed: Path) -> None:
    """A change to the feed outside its entries: the next pass reads every entry again."""
    feed.write_text(feed.read_text().replace("</channel>", "<!-- edited --></channel>"))


def fetched_again_only_once_the_listing_changes(
    ctx: PipelineContext, site: SampleSite, feed: Path, change_listing: Callable[[], None]
) -> None:
    """After a first pass, a changed feed has no stored page fetched again, until
    ``change_listing`` changes the departure page's entry: then that page alone."""
    check_source(ctx, desk(site))
    fetched = article_requests(site)
    edit_elsewhere(feed)

    unchanged = check_source(ctx, desk(site))

    assert article_requests(site) == fetched
    assert unchanged.skipped == 3
    change_listing()
    again = check_source(ctx, desk(site))
    assert article_requests(site) == [*fetched, DEPARTURE_PATH]
    assert (again.unchanged, again.skipped) == (1, 2)


def test_first_pass_stores_classifies_and_opens_a_policy_change(
    ctx: PipelineContext, site: SampleSite
) -> None:
    report = check_source(ctx, desk(site))

    assert report.outcome is SourceOutcome.NEW
    assert (report.listed, report.new, report.failed) == (3, 3, 0)
    assert report.departures == 1
    with Session(ctx.engine) as session:
        articles = {a.url: a for a in session.exec(select(Article))}
        departure = articles[site.url("2025/04/trading-companies-win-independent-trade-authority")]
        assert departure.outlet == "Sample North Korea Desk"
        assert departure.published_at == datetime(2025, 4, 10, 0, 30, tzinfo=UTC)
        assert "Advertisement" not in departure.text and "Share on" not in departure.text
        assert len(list(session.exec(select(Assessment)))) == 3
        change = session.exec(
            select(PolicyChange).where(PolicyChange.dimension == "trade_authority")
        ).one()
        assert change.status == "open" and change.direction == "loosening"
        state = session.get(SourceState, "sample-desk")
        assert state is not None and state.etag and state.consecutive_failures == 0


def test_steady_state_downloads_no_article_bodies(ctx: PipelineContext, site: SampleSite) -> None:
    check_source(ctx, desk(site))
    fetched = len(article_requests(site))

    again = check_source(ctx, desk(site))

    assert again.outcome is SourceOutcome.NOT_MODIFIED
    assert len(article_requests(site)) == fetched
    feed_requests = [h for _m, p, h in site.requests if p == "/feed.xml"]
    assert "if-none-match" in feed_requests[-1]


def test_same_body_without_validators_counts_as_unchanged(
    ctx: PipelineContext, site: SampleSite, site_root: Path
) -> None:
    check_source(ctx, desk(site))
    body = (site_root / "feed.xml").read_bytes().replace(b"{{BASE_URL}}", site.base_url.encode())
    site.override("feed.xml", status=200, body=body, headers={"Content-Type": "application/xml"})

    again = check_source(ctx, desk(site))

    assert again.outcome is SourceOutcome.NOT_MODIFIED
    assert again.new == 0


def test_changed_headline_stores_a_revision_with_a_diff(
    ctx: PipelineContext, site: SampleSite, site_root: Path
) -> None:
    check_source(ctx, desk(site))
    page = site_root / DEPARTURE_PAGE
    old_title = "Major trading companies win independent trade authority"
    new_title = "Major trading companies granted independent trade authority"
    page.write_text(
        page.read_text()
        .replace(old_title, new_title)
        .replace("a marked relaxation", "a sharp relaxation")
    )
    feed = site_root / "feed.xml"
    feed.write_text(feed.read_text().replace(old_title, new_title))

    report = check_source(ctx, desk(site))

    assert report.outcome is SourceOutcome.CHANGED
    assert (report.new, report.changed) == (0, 1)
    with Session(ctx.engine) as session:
        revisions = session.exec(
            select(ArticleRevision).order_by(ArticleRevision.revision_no)  # type: ignore[arg-type]
        ).all()
        latest = revisions[-1]
        assert latest.revision_no == 2
        assert "-a marked relaxation" in latest.diff.replace("\n", " ") or "marked" in latest.diff
        assert "sharp relaxation" in latest.diff
        assert len(list(session.exec(select(Article)))) == 3


@pytest.mark.parametrize(
    ("path", "kind"),
    [("broken.xml", "malformed"), ("gone/feed.xml", "unavailable")],
)
def test_a_bad_source_is_recorded_not_raised(
    ctx: PipelineContext, site: SampleSite, path: str, kind: str
) -> None:
    source = SourceConfig(name="bad", kind=SourceKind.FEED, url=site.url(path), parser="generic")
    check_source(ctx, desk(site))

    report = check_source(ctx, source)

    assert report.outcome is SourceOutcome.ERROR
    assert report.error_kind == kind
    with Session(ctx.engine) as session:
        state = session.get(SourceState, "bad")
        assert state is not None and state.consecutive_failures == 1
        assert state.last_error_kind == kind
        # What the good source stored is untouched.
        assert len(list(session.exec(select(Article)))) == 3


def test_article_page_failure_skips_that_article_only(
    ctx: PipelineContext, site: SampleSite
) -> None:
    site.override("2023/03/cabinet-reins-in-trade-licences/", status=500, body=b"oops")

    report = check_source(ctx, desk(site))

    assert (report.new, report.failed) == (2, 1)
    assert "500" in report.article_errors[0]


def test_backfill_window_is_historical_and_leaves_monitor_state_alone(
    ctx: PipelineContext, site: SampleSite
) -> None:
    window = DateWindow(datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, tzinfo=UTC))

    report = check_source(ctx, desk(site), window=window, historical=True)
    again = check_source(ctx, desk(site), window=window, historical=True)

    assert (report.new, report.skipped) == (1, 2)
    assert again.new == 0  # idempotent
    with Session(ctx.engine) as session:
        (article,) = session.exec(select(Article)).all()
        assert article.historical
        assert article.published_at is not None and article.published_at.year == 2023
        state = session.get(SourceState, "sample-desk")
        assert state is None or state.etag is None
    # The next monitor pass still sees the two newer articles.
    assert check_source(ctx, desk(site)).new == 2


def test_cadence_skips_a_source_that_is_not_due(ctx: PipelineContext, site: SampleSite) -> None:
    check_source(ctx, desk(site))
    report = check_source(ctx, desk(site), force=False)
    assert report.outcome is SourceOutcome.NOT_DUE


def test_query_variants_of_one_page_make_one_article(
    ctx: PipelineContext, site: SampleSite, site_root: Path
) -> None:
    feed = site_root / "feed.xml"
    text = feed.read_text()
    # The same page listed a second time with a query the site ignores; its rel=canonical
    # names the plain URL, so both listings are one article.
    extra = (
        text.split("<item>")[2]
        .split("</item>")[0]
        .replace("authority/</link>", "authority/?ref=homepage</link>")
    )
    feed.write_text(text.replace("</channel>", f"<item>{extra}</item></channel>"))

    report = check_source(ctx, desk(site))

    assert report.listed == 4
    with Session(ctx.engine) as session:
        urls = sorted(a.url for a in session.exec(select(Article)))
    assert len(urls) == 3
    assert site.url("2025/04/trading-companies-win-independent-trade-authority") in urls


@pytest.mark.parametrize("window", [None, "backfill"])
def test_a_page_listed_with_a_query_its_canonical_drops_is_not_fetched_again(
    ctx: PipelineContext, site: SampleSite, site_root: Path, window: str | None
) -> None:
    # As Yonhap lists every article: "/view/AEN...?section=nk/index", while the page's
    # rel=canonical, under which it is stored, has no query.
    feed = site_root / "feed.xml"
    feed.write_text(feed.read_text().replace("authority/</link>", "authority/?section=nk</link>"))
    span = DateWindow(datetime(2020, 1, 1, tzinfo=UTC), datetime(2030, 1, 1, tzinfo=UTC))
    given = span if window else None
    first = check_source(ctx, desk(site), window=given, historical=bool(window))
    fetched = article_requests(site)
    edit_elsewhere(feed)

    again = check_source(ctx, desk(site), window=given, historical=bool(window))

    assert first.new == 3
    assert article_requests(site) == fetched
    assert (again.new, again.changed, again.unchanged, again.skipped) == (0, 0, 0, 3)
    with Session(ctx.engine) as session:
        urls = {a.url for a in session.exec(select(Article))}
    assert site.url("2025/04/trading-companies-win-independent-trade-authority") in urls
    assert len(urls) == 3


def test_a_listing_headline_the_page_spells_otherwise_is_not_taken_for_a_change(
    ctx: PipelineContext, site: SampleSite, site_root: Path
) -> None:
    # As Yonhap's feed titles carry wire markers ("(2nd LD) ...") that its parser strips from
    # the stored headline: what the listing said last time is the measure, not the page.
    feed = site_root / "feed.xml"
    listed = "<title>(LEAD) Major trading companies win independent trade authority"
    feed.write_text(
        feed.read_text().replace("<title>Major trading companies win independent", listed)
    )

    def new_take() -> None:  # a new take ("(2nd LD)") is a change of the listing
        feed.write_text(feed.read_text().replace("(LEAD)", "(2nd LD)"))

    fetched_again_only_once_the_listing_changes(ctx, site, feed, new_take)


def test_an_update_time_ahead_of_our_clock_is_not_taken_for_a_change_on_every_pass(
    ctx: PipelineContext, site: SampleSite, site_root: Path
) -> None:
    # A site that labels Seoul time as UTC lists its updates nine hours ahead of us: compared
    # with when we last saw the page, each pass in those hours would fetch it again.
    feed = site_root / "feed.xml"
    ahead = datetime.now(UTC) + timedelta(hours=9)
    pub = "<pubDate>Thu, 10 Apr 2025 00:30:00 +0000</pubDate>"

    def list_update(when: datetime) -> None:
        text = re.sub(r"<atom:updated>[^<]*</atom:updated>", "", feed.read_text())
        stamp = f"<atom:updated>{when.strftime('%Y-%m-%dT%H:%M:%SZ')}</atom:updated>"
        feed.write_text(text.replace(pub, pub + stamp))

    list_update(ahead)
    # Listed as updated again, later than the update it listed before: a change.
    later = ahead + timedelta(minutes=5)
    fetched_again_only_once_the_listing_changes(ctx, site, feed, lambda: list_update(later))


def test_a_paywalled_teaser_is_not_fetched_again_until_its_listing_changes(
    ctx: PipelineContext, site: SampleSite, site_root: Path
) -> None:
    # NK News lists NK Pro pieces beside public ones; a page that is only a teaser is dropped,
    # and remembered, so a changed feed does not have it fetched again on every pass.
    teaser = Path(__file__).parents[1] / "fixtures" / "nknews" / "pro-teaser.html"
    html = {"Content-Type": "text/html; charset=utf-8"}
    site.override(DEPARTURE_PATH, body=teaser.read_bytes(), headers=html)
    source = desk(site).model_copy(update={"parser": "nknews"})  # the others do not parse
    feed = site_root / "feed.xml"

    def teaser_fetches() -> int:
        return site.paths_requested().count(DEPARTURE_PATH)

    first = check_source(ctx, source)
    edit_elsewhere(feed)
    again = check_source(ctx, source)

    assert (first.new, first.skipped, again.skipped) == (0, 1, 1)
    assert teaser_fetches() == 1
    with Session(ctx.engine) as session:
        assert session.exec(select(Article)).all() == []
    # A new headline in the listing may mean the piece is public now: fetched again.
    feed.write_text(feed.read_text().replace("Major trading companies win", "Trading firms win"))
    check_source(ctx, source)
    assert teaser_fetches() == 2


@pytest.mark.parametrize(
    ("status", "body", "again"),
    [
        (404, b"not here", False),  # gone: not asked for again until the listing changes
        (410, b"gone", False),
        (200, b"<html><body>" + b"x" * 5_100_000 + b"</body></html>", False),  # over the cap
        (500, b"oops", True),  # the server's trouble, maybe over by the next pass
    ],
)
def test_a_listed_page_that_cannot_be_had_is_asked_for_again_only_if_that_may_help(
    ctx: PipelineContext,
    site: SampleSite,
    site_root: Path,
    status: int,
    body: bytes,
    again: bool,
) -> None:
    site.override(DEPARTURE_PATH, status=status, body=body, headers={"Content-Type": "text/html"})
    feed = site_root / "feed.xml"

    first = check_source(ctx, desk(site))
    edit_elsewhere(feed)
    second = check_source(ctx, desk(site))

    assert (first.new, first.failed) == (2, 1)  # reported once, as it happened
    assert site.paths_requested().count(DEPARTURE_PATH) == (2 if again else 1)
    assert (second.failed, second.skipped) == ((1, 2) if again else (0, 3))


def test_a_listed_page_not_live_yet_is_stored_once_it_is(
    ctx: PipelineContext, site: SampleSite, site_root: Path
) -> None:
    # Sites list an article before its page is live, and a CDN may answer 404 for a while:
    # the page is remembered as gone for an hour, not a week, or the article would be lost.
    site.override(
        DEPARTURE_PATH, status=404, body=b"not here", headers={"Content-Type": "text/html"}
    )
    feed = site_root / "feed.xml"
    start = datetime.now(UTC)

    first = check_source(ctx, desk(site), now=start)
    site.clear_overrides()  # live now
    edit_elsewhere(feed)
    soon = check_source(ctx, desk(site), now=start + timedelta(minutes=30))
    edit_elsewhere(feed)
    later = check_source(ctx, desk(site), now=start + timedelta(minutes=61))

    assert (first.new, first.failed) == (2, 1)
    assert (soon.new, soon.failed) == (0, 0)
    assert (later.new, later.failed) == (1, 0)
    assert site.paths_requested().count(DEPARTURE_PATH) == 2
    with Session(ctx.engine) as session:
        assert len(session.exec(select(Article)).all()) == 3


def test_a_canonical_naming_another_page_is_not_trusted(
    ctx: PipelineContext, site: SampleSite, site_root: Path
) -> None:
    # A broken template: every article's canonical tag names the home page.
    for page in site_root.glob("20*/*/*/index.html"):
        html = page.read_text()
        start = html.index('<link rel="canonical" href="') + len('<link rel="canonical" href="')
        end = html.index('"', start)
        page.write_text(html[:start] + "{{BASE_URL}}/" + html[end:])

    report = check_source(ctx, desk(site))

    assert report.new == 3
    with Session(ctx.engine) as session:
        assert len(list(session.exec(select(Article)))) == 3
