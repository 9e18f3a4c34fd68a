"""Fetch faults and politeness through the pipeline, against the loopback sample site.

Each test asserts what was stored (SourceState, FetchLog, articles, events) and what was
counted (the SourceReport, the fetcher's counts). Waits go through an injected sleep.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session, select

from sources.fetcher import Fetcher
from sources.politeness import Politeness
from storage.models import Article, FetchLog, RobotsCache, SourceEvent, SourceState
from storage.robots import DatabaseRobotsStore
from tradewatch.digest import build_content
from tradewatch.pipeline import PipelineContext, SourceOutcome, check_source, open_pipeline
from tradewatch.settings import Settings
from tradewatch.sitehost import SampleSite
from tradewatch.sources_config import SourceConfig, SourceKind

T0 = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


class Sleeps:
    """An injected sleep and clock: a sleep records the wait, moves the clock on and runs
    ``action`` (e.g. a fault clearing)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []
        self.action: Callable[[], None] | None = None

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds
        if self.action is not None:
            self.action()

    def clock(self) -> float:
        return self.now


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def ctx(db_url: str, tmp_path: Path, sleeps: Sleeps) -> Iterator[PipelineContext]:
    settings = Settings(database_url=db_url, data_dir=tmp_path, http_timeout=5)
    with open_pipeline(settings) as context:
        context.fetcher.close()
        context.fetcher = polite_fetcher(context, sleeps)
        yield context
        context.fetcher.close()


def polite_fetcher(
    ctx: PipelineContext,
    sleep: Sleeps,
    *,
    timeout: float = 5,
    max_bytes: int = 1_000_000,
    **kw: object,
) -> Fetcher:
    return Fetcher(
        user_agent="tradewatch/0 (+https://example.org/contact)",
        timeout=timeout,
        max_bytes=max_bytes,
        robots_store=DatabaseRobotsStore(ctx.engine),
        sleep=sleep,
        clock=sleep.clock,
        rand=lambda: 0.0,
        politeness=Politeness(host_interval=1.0, max_attempts=2),
        **kw,  # type: ignore[arg-type]
    )


def desk(site: SampleSite, path: str = "feed.xml", **extra: object) -> SourceConfig:
    return SourceConfig(
        name="desk", kind=SourceKind.FEED, url=site.url(path), parser="dailynk", **extra
    )


def state(ctx: PipelineContext, name: str = "desk") -> SourceState:
    with Session(ctx.engine) as session:
        found = session.get(SourceState, name)
        assert found is not None
        return found


def logs(ctx: PipelineContext, name: str = "desk") -> list[FetchLog]:
    with Session(ctx.engine) as session:
        return list(session.exec(select(FetchLog).where(FetchLog.source == name)))


def article_count(ctx: PipelineContext) -> int:
    with Session(ctx.engine) as session:
        return len(list(session.exec(select(Article))))


def test_304_path_stores_nothing_new_and_logs_not_modified(
    ctx: PipelineContext, site: SampleSite
) -> None:
    first = check_source(ctx, desk(site), now=T0)
    again = check_source(ctx, desk(site), now=T0 + timedelta(hours=1))

    assert first.new == 3 and again.outcome is SourceOutcome.NOT_MODIFIED
    assert article_count(ctx) == 3
    assert [log.status for log in logs(ctx)] == [200, 304]
    feed_requests = [h for _m, p, h in site.requests if p == "/feed.xml"]
    assert feed_requests[-1]["if-none-match"] == state(ctx).etag


def test_changed_body_under_the_same_etag_is_detected(
    ctx: PipelineContext, site: SampleSite, site_root: Path
) -> None:
    feed = (site_root / "feed.xml").read_text().replace("{{BASE_URL}}", site.base_url)
    one_item = feed[: feed.index("<item>")] + feed[feed.rindex("</item>") + 7 :]
    headers = {"Content-Type": "application/xml", "ETag": '"stale"'}
    site.override("feed.xml", status=200, body=one_item.encode(), headers=headers)
    check_source(ctx, desk(site), now=T0)
    first_hash = state(ctx).last_body_sha256

    site.override("feed.xml", status=200, body=feed.encode(), headers=headers)
    report = check_source(ctx, desk(site), now=T0 + timedelta(hours=1))

    assert report.outcome is SourceOutcome.NEW and report.new >= 1
    after = state(ctx)
    assert after.etag == '"stale"' and after.last_body_sha256 != first_hash


def test_429_with_retry_after_waits_then_succeeds(
    ctx: PipelineContext, site: SampleSite, sleeps: Sleeps
) -> None:
    site.override("feed.xml", status=429, headers={"Retry-After": "9"})
    sleeps.action = site.clear_overrides  # the server recovers while we wait

    report = check_source(ctx, desk(site), now=T0)

    assert report.outcome is SourceOutcome.NEW and report.new == 3
    assert sleeps.waits == [9.0]
    assert ctx.fetcher.counts["retry_after_waits"] == 1
    assert site.paths_requested().count("/feed.xml") == 2
    assert state(ctx).consecutive_failures == 0


def test_robots_disallow_skips_and_counts(
    ctx: PipelineContext, site: SampleSite, site_root: Path
) -> None:
    (site_root / "robots.txt").write_text("User-agent: tradewatch\nDisallow: /2025/\n")

    report = check_source(ctx, desk(site), now=T0)

    assert report.new == 1  # only the 2023 article is allowed
    assert not any(p.startswith("/2025/") for p in site.paths_requested())
    assert ctx.fetcher.counts["robots_blocked"] == 2
    with Session(ctx.engine) as session:
        cached = session.get(RobotsCache, site.base_url)
        assert cached is not None and cached.status == 200 and "/2025/" in cached.body


def test_robots_disallowing_the_listing_is_recorded_as_skipped(
    ctx: PipelineContext, site: SampleSite, site_root: Path
) -> None:
    (site_root / "robots.txt").write_text("User-agent: *\nDisallow: /\n")

    report = check_source(ctx, desk(site), now=T0)

    assert report.outcome is SourceOutcome.ERROR and report.error_kind == "robots"
    assert report.skipped == 1
    assert "/feed.xml" not in site.paths_requested()
    assert [log.error_kind for log in logs(ctx)] == ["robots"]
    assert state(ctx).last_error_kind == "robots"


def test_slow_server_hits_the_read_timeout(
    ctx: PipelineContext, site: SampleSite, sleeps: Sleeps
) -> None:
    ctx.fetcher = polite_fetcher(ctx, sleeps, timeout=0.3)
    site.override("feed.xml", status=200, body=b"<rss/>", delay=1.5)

    report = check_source(ctx, desk(site), now=T0)

    assert report.error_kind == "timeout"
    assert ctx.fetcher.counts["retries"] == 1  # two attempts, one backoff pause
    assert sleeps.waits == [0.5]
    assert state(ctx).consecutive_failures == 1
    assert [log.error_kind for log in logs(ctx)] == ["timeout"]


def test_oversized_body_is_cut_and_recorded(
    ctx: PipelineContext, site: SampleSite, sleeps: Sleeps
) -> None:
    ctx.fetcher = polite_fetcher(ctx, sleeps, max_bytes=4096)
    site.override("feed.xml", status=200, body=b"<rss>" + b" " * 50_000 + b"</rss>")

    report = check_source(ctx, desk(site), now=T0)

    assert report.error_kind == "too_large"
    assert state(ctx).last_error_kind == "too_large"
    assert sleeps.waits == []  # not a transient error: no retry


def test_euc_kr_page_is_decoded(ctx: PipelineContext, site: SampleSite) -> None:
    title = "무역회사 수출입 허가 제도 변경"  # invented headline
    para = "가상의 기사: 무역회사들이 새로운 수출입 허가를 받았다고 이 시험용 문서는 전한다."
    page = (
        f"<html><head><meta charset='euc-kr'><title>{title}</title></head><body><article>"
        f"<h1 class='entry-title'>{title}</h1><div class='td-post-content'><p>{para}</p></div>"
        "</article></body></html>"
    )
    feed = (
        "<?xml version='1.0'?><rss version='2.0'><channel><title>k</title><item>"
        f"<title>{title}</title><link>{site.url('ko/1.html')}</link></item></channel></rss>"
    )
    site.override(
        "ko/feed.xml", body=feed.encode("utf-8"), headers={"Content-Type": "application/xml"}
    )
    site.override("ko/1.html", body=page.encode("euc-kr"), headers={"Content-Type": "text/html"})

    report = check_source(ctx, desk(site, "ko/feed.xml"), now=T0)

    assert report.new == 1
    with Session(ctx.engine) as session:
        (article,) = session.exec(select(Article)).all()
        assert article.title == title and para in article.text


def test_redirect_loop_is_a_recorded_error(ctx: PipelineContext, site: SampleSite) -> None:
    site.override("a.xml", status=302, headers={"Location": site.url("b.xml")})
    site.override("b.xml", status=302, headers={"Location": site.url("a.xml")})

    report = check_source(ctx, desk(site, "a.xml"), now=T0)

    assert report.error_kind == "unavailable" and "redirect loop" in (report.error or "")
    assert [log.error_kind for log in logs(ctx)] == ["unavailable"]
    assert article_count(ctx) == 0


def test_malformed_feed_is_a_recorded_error(ctx: PipelineContext, site: SampleSite) -> None:
    report = check_source(ctx, desk(site, "broken.xml"), now=T0)

    assert report.error_kind == "malformed"
    assert state(ctx).consecutive_failures == 1
    assert [log.error_kind for log in logs(ctx)] == ["malformed"]


class _Route(httpx.BaseTransport):
    """Sends requests for ``public.example`` to the loopback site (a "public" source)."""

    def __init__(self, site: SampleSite) -> None:
        self._site = site
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "public.example":
            local = httpx.URL(self._site.base_url)
            request.url = request.url.copy_with(host=local.host, port=local.port)
        return self._inner.handle_request(request)


def test_public_source_redirected_to_loopback_is_refused(
    ctx: PipelineContext, site: SampleSite, sleeps: Sleeps
) -> None:
    ctx.fetcher = polite_fetcher(
        ctx,
        sleeps,
        transport=_Route(site),
        resolver=lambda host, port: ["93.184.216.34"] if host == "public.example" else [],
    )
    site.override("public-feed.xml", status=302, headers={"Location": site.url("feed.xml")})
    source = SourceConfig(
        name="desk",
        kind=SourceKind.FEED,
        url="http://public.example/public-feed.xml",
        parser="dailynk",
    )

    report = check_source(ctx, source, now=T0)

    assert report.error_kind == "blocked_address"
    assert "/public-feed.xml" in site.paths_requested()
    assert "/feed.xml" not in site.paths_requested()
    assert state(ctx).last_error_kind == "blocked_address"


def test_silence_is_flagged_once_per_spell_and_shown_once(
    ctx: PipelineContext, site: SampleSite
) -> None:
    source = desk(site, expected_interval="1d")
    check_source(ctx, source, now=T0)
    check_source(ctx, source, now=T0 + timedelta(hours=12))  # not silent yet
    check_source(ctx, source, now=T0 + timedelta(days=2))  # silent: flagged
    check_source(ctx, source, now=T0 + timedelta(days=3))  # same spell: not again

    with Session(ctx.engine) as session:
        events = session.exec(select(SourceEvent).where(SourceEvent.kind == "silent")).all()
        assert [e.at for e in events] == [T0 + timedelta(days=2)]
        first = build_content(
            session,
            baseline=ctx.baseline,
            start=T0 + timedelta(days=1),
            end=T0 + timedelta(days=2, hours=1),
        )
        later = build_content(
            session,
            baseline=ctx.baseline,
            start=T0 + timedelta(days=2, hours=1),
            end=T0 + timedelta(days=4),
        )
    assert [(h.source, h.kind) for h in first.source_health] == [("desk", "silent")]
    assert later.source_health == ()


def test_a_failing_source_is_shown_once_when_it_turns_unhealthy(
    ctx: PipelineContext, site: SampleSite
) -> None:
    dead = desk(site, "gone.xml")
    for hours in range(5):
        check_source(ctx, dead, now=T0 + timedelta(hours=hours))

    with Session(ctx.engine) as session:
        turned = build_content(
            session, baseline=ctx.baseline, start=T0, end=T0 + timedelta(hours=3)
        )
        stays = build_content(
            session,
            baseline=ctx.baseline,
            start=T0 + timedelta(hours=3),
            end=T0 + timedelta(hours=5),
        )
    assert [(h.source, h.kind) for h in turned.source_health] == [("desk", "unhealthy")]
    assert stays.source_health == ()  # still failing, but nothing changed
    assert stays.summary.sources_unhealthy == 1
