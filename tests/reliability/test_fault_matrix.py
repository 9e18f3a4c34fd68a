"""The fault matrix: one faulty source in a multi-source run on the loopback site.

Every case asserts (in ``run_with_fault``) that the two healthy sources were processed in
full and that nothing stored before the run changed or disappeared; the case itself asserts
how the faulty source was recorded (report, ``SourceState`` and ``FetchLog``).
"""

from __future__ import annotations

import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sources.fetcher import Fetcher
from tests.reliability import rawserver
from tests.reliability.conftest import HTTP_TIMEOUT, MAX_BODY_BYTES
from tests.reliability.multisite import MatrixRun, desk, run_with_fault, source
from tradewatch.pipeline import PipelineContext, SourceOutcome
from tradewatch.sitehost import SampleSite
from tradewatch.sources_config import SourceKind

XML = {"Content-Type": "application/xml; charset=utf-8"}
DEPARTURE = "2025/04/trading-companies-win-independent-trade-authority"


def assert_recorded_error(run: MatrixRun, kind: str | set[str], *words: str) -> None:
    """The faulty source failed with ``kind``; report, state and fetch log all say so."""
    kinds = {kind} if isinstance(kind, str) else kind
    report = run.faulty
    assert report.outcome is SourceOutcome.ERROR
    assert report.error_kind in kinds, report
    assert report.error and all(w.lower() in report.error.lower() for w in words), report.error
    assert run.state.last_error_kind == report.error_kind
    assert run.state.last_error == report.error
    assert run.state.consecutive_failures == 1
    last = run.logs[-1]
    assert (last.outcome, last.error_kind) == ("error", report.error_kind)
    # Nothing of the faulty source was stored.
    assert not [u for r in run.after["Article"].values() if "/faulty/" in (u := r["url"])]


def faulty_feed(site: SampleSite) -> str:
    return site.url("faulty/feed.xml")


# --- network faults ------------------------------------------------------------------------


def test_dns_failure(ctx: PipelineContext, multisite: SampleSite) -> None:
    run = run_with_fault(ctx, multisite, source("faulty", "http://no-such-host.invalid/feed.xml"))
    # Today the robots.txt lookup is the first request to fail, so the kind may be "robots".
    assert_recorded_error(run, {"unavailable", "robots"}, "no-such-host.invalid")


def test_connect_timeout(ctx: PipelineContext, multisite: SampleSite) -> None:
    with rawserver.unaccepting_port() as port:
        run = run_with_fault(ctx, multisite, source("faulty", f"http://127.0.0.1:{port}/feed.xml"))
    # robots.txt is the first request to the host, so its failure may be what is recorded.
    assert_recorded_error(run, {"timeout", "robots"}, "127.0.0.1")


def test_read_timeout_mid_body(ctx: PipelineContext, multisite: SampleSite) -> None:
    with rawserver.raw_server(rawserver.stall_mid_body) as server:
        run = run_with_fault(ctx, multisite, source("faulty", server.url()))
    assert_recorded_error(run, "timeout", "ReadTimeout")


def test_truncated_body(ctx: PipelineContext, multisite: SampleSite) -> None:
    with rawserver.raw_server(rawserver.truncated_body) as server:
        run = run_with_fault(ctx, multisite, source("faulty", server.url()))
    assert_recorded_error(run, "unavailable", "without sending complete message body")


def test_http_500(ctx: PipelineContext, multisite: SampleSite) -> None:
    run = run_with_fault(
        ctx,
        multisite,
        source("faulty", faulty_feed(multisite)),
        inject=[("faulty/feed.xml", {"status": 500, "body": b"<h1>oops</h1>"})],
    )
    assert_recorded_error(run, "unavailable", "HTTP 500")


def test_429_with_retry_after(ctx: PipelineContext, multisite: SampleSite) -> None:
    run = run_with_fault(
        ctx,
        multisite,
        source("faulty", faulty_feed(multisite)),
        inject=[("faulty/feed.xml", {"status": 429, "headers": {"Retry-After": "120"}})],
    )
    # "rate_limited" once politeness (issue 4) gives 429 its own kind.
    assert_recorded_error(run, {"unavailable", "rate_limited"}, "429")


def test_304_keeps_what_was_stored(ctx: PipelineContext, multisite: SampleSite) -> None:
    faulty = source("faulty", faulty_feed(multisite))
    run = run_with_fault(ctx, multisite, faulty, seed_faulty=True)

    assert run.faulty.outcome is SourceOutcome.NOT_MODIFIED
    assert run.logs[-1].status == 304 and run.logs[-1].outcome == "not_modified"
    assert run.state.etag and run.state.consecutive_failures == 0
    stored = [r for r in run.after["Article"].values() if "/faulty/" in r["url"]]
    assert len(stored) == 3


def test_304_to_an_unconditional_request_is_an_error(
    ctx: PipelineContext, multisite: SampleSite
) -> None:
    run = run_with_fault(
        ctx,
        multisite,
        source("faulty", faulty_feed(multisite)),
        inject=[("faulty/feed.xml", {"status": 304})],
    )
    assert_recorded_error(run, {"unavailable", "malformed"}, "304")


def test_stale_etag_with_changed_body(
    ctx: PipelineContext, multisite: SampleSite, site_root: Path
) -> None:
    faulty = source("faulty", faulty_feed(multisite))
    # A fourth article appears, but the server keeps sending the old ETag and ignores
    # If-None-Match: the body hash, not the ETag, must decide.
    new_dir = site_root / "faulty" / "2025" / "05" / "late-item"
    new_dir.mkdir(parents=True)
    page = (site_root / "faulty" / DEPARTURE / "index.html").read_text(encoding="utf-8")
    (new_dir / "index.html").write_text(
        page.replace("Major trading companies", "Late item: major trading companies"),
        encoding="utf-8",
    )
    feed = (site_root / "faulty" / "feed.xml").read_text(encoding="utf-8")
    item = (
        "<item><title>Late item</title><link>{{BASE_URL}}/faulty/2025/05/late-item/</link>"
        "<pubDate>Thu, 01 May 2025 00:00:00 +0000</pubDate></item>"
    )
    changed = feed.replace("<item>", item + "<item>", 1).replace("{{BASE_URL}}", multisite.base_url)

    def inject_after_seed() -> list[tuple[str, dict[str, object]]]:
        return [("faulty/feed.xml", {"body": changed.encode(), "headers": {**XML}})]

    # The ETag the seeding pass stores is the one the server keeps sending.
    class StaleEtag:
        def __iter__(self) -> Iterator[tuple[str, dict[str, object]]]:
            from sqlmodel import Session

            from storage.models import SourceState

            with Session(ctx.engine) as session:
                state = session.get(SourceState, "faulty")
                assert state is not None and state.etag
                etag = state.etag
            for path, override in inject_after_seed():
                headers = dict(override["headers"])  # type: ignore[call-overload]
                yield path, {**override, "headers": {**headers, "ETag": etag}}

    run = run_with_fault(ctx, multisite, faulty, seed_faulty=True, inject=StaleEtag())

    assert run.faulty.outcome is SourceOutcome.NEW
    assert (run.faulty.new, run.faulty.failed) == (1, 0)
    urls = {r["url"] for r in run.after["Article"].values()}
    assert multisite.url("faulty/2025/05/late-item") in urls


@pytest.mark.parametrize(
    "declared",
    [
        "us-ascii",
        "iso-8859-1",
        "euc-kr",
    ],
)
def test_wrong_declared_charset(
    ctx: PipelineContext, multisite: SampleSite, site_root: Path, declared: str
) -> None:
    path = f"faulty/{DEPARTURE}/index.html"
    page = (site_root / path).read_text(encoding="utf-8")
    page = page.replace("{{BASE_URL}}", multisite.base_url).replace(
        "<p>", "<p>무역 회사들 — “independent” trade. ", 1
    )
    run = run_with_fault(
        ctx,
        multisite,
        source("faulty", faulty_feed(multisite)),
        inject=[
            (
                f"faulty/{DEPARTURE}/",
                {
                    "body": page.encode("utf-8"),
                    "headers": {"Content-Type": f"text/html; charset={declared}"},
                },
            )
        ],
    )
    assert run.faulty.outcome is SourceOutcome.NEW and run.faulty.new == 3
    texts = [r["text"] for r in run.after["Article"].values() if DEPARTURE in r["url"]]
    faulty_text = next(t for t, r in zip(texts, texts, strict=True) if "무역" in t or "ë" in t)
    assert "무역 회사들 — “independent” trade." in faulty_text
    assert "ë¬´" not in faulty_text and "â€" not in faulty_text


# --- hostile or broken documents -----------------------------------------------------------


def test_malformed_xml(ctx: PipelineContext, multisite: SampleSite) -> None:
    run = run_with_fault(ctx, multisite, source("faulty", multisite.url("broken.xml")))
    assert_recorded_error(run, "malformed", "broken.xml")


LAUGHS = "".join(f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10))
BILLION_LAUGHS_FEED = (
    '<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY lol0 "lol">' + LAUGHS + "]>"
    '<rss version="2.0"><channel><title>&lol9;</title>'
    "<item><title>&lol9;</title><link>http://127.0.0.1:1/never</link></item>"
    "</channel></rss>"
)
BILLION_LAUGHS_SITEMAP = (
    '<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY lol0 "lol">' + LAUGHS + "]>"
    '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
    "<url><loc>http://127.0.0.1:1/&lol9;</loc></url></urlset>"
)


@pytest.mark.parametrize(
    ("kind", "body"),
    [(SourceKind.FEED, BILLION_LAUGHS_FEED), (SourceKind.SITEMAP, BILLION_LAUGHS_SITEMAP)],
)
def test_billion_laughs_is_not_expanded(
    ctx: PipelineContext, multisite: SampleSite, kind: SourceKind, body: str
) -> None:
    faulty = source("faulty", multisite.url("faulty/bomb.xml")).model_copy(update={"kind": kind})
    tracemalloc.start()
    try:
        run = run_with_fault(
            ctx,
            multisite,
            faulty,
            inject=[("faulty/bomb.xml", {"body": body.encode(), "headers": XML})],
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Expanded, &lol9; is 3 GB; the whole run, three healthy sources included, stays small.
    assert peak < 60_000_000, f"peak {peak} bytes"
    dump = repr(run.after) + repr(run.faulty) + (run.state.last_error or "")
    assert "lollollol" not in dump
    # Either refused as malformed, or read with the entity left unexpanded (nothing fetched).
    assert run.faulty.error_kind in {"malformed", None}
    assert not [p for p in multisite.paths_requested() if "lol" in p]


def _xxe_doc(kind: SourceKind, secret_file: Path, probe_url: str, page_url: str) -> str:
    dtd = (
        f'<!ENTITY secret SYSTEM "file://{secret_file}">'
        f'<!ENTITY probe SYSTEM "{probe_url}">'
        f'<!ENTITY % remote SYSTEM "{probe_url}-param"> %remote;'
    )
    if kind is SourceKind.FEED:
        return (
            f'<?xml version="1.0"?><!DOCTYPE rss [{dtd}]><rss version="2.0"><channel>'
            "<title>&secret;&probe;</title>"
            f"<item><title>&secret;</title><link>{page_url}?leak=&secret;</link>"
            "<description>&probe;</description></item></channel></rss>"
        )
    return (
        f'<?xml version="1.0"?><!DOCTYPE urlset [{dtd}]>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"<url><loc>{page_url}?leak=&secret;</loc></url>"
        "<url><loc>&probe;</loc></url></urlset>"
    )


@pytest.mark.parametrize("kind", [SourceKind.FEED, SourceKind.SITEMAP])
def test_external_entities_read_no_file_and_fetch_nothing(
    ctx: PipelineContext, multisite: SampleSite, tmp_path: Path, kind: SourceKind
) -> None:
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text("XXE-SECRET-7f3a9c", encoding="utf-8")
    body = _xxe_doc(
        kind, secret_file, multisite.url("xxe-probe"), multisite.url(f"faulty/{DEPARTURE}/")
    )
    faulty = source("faulty", multisite.url("faulty/xxe.xml")).model_copy(update={"kind": kind})
    run = run_with_fault(
        ctx,
        multisite,
        faulty,
        inject=[("faulty/xxe.xml", {"body": body.encode(), "headers": XML})],
    )
    dump = repr(run.after) + repr(run.faulty) + (run.state.last_error or "")
    assert "XXE-SECRET" not in dump
    requested = multisite.paths_requested()
    assert not [p for p in requested if "xxe-probe" in p], requested
    assert all("XXE-SECRET" not in p for p in requested)


def test_oversized_body(ctx: PipelineContext, multisite: SampleSite) -> None:
    huge = b"<?xml version='1.0'?><rss version='2.0'><channel>" + b" " * (2 * MAX_BODY_BYTES)
    run = run_with_fault(
        ctx,
        multisite,
        source("faulty", faulty_feed(multisite)),
        inject=[("faulty/feed.xml", {"body": huge, "headers": XML})],
    )
    assert_recorded_error(run, "too_large", str(MAX_BODY_BYTES))


# --- redirects ------------------------------------------------------------------------------


def test_redirect_loop(ctx: PipelineContext, multisite: SampleSite) -> None:
    run = run_with_fault(
        ctx,
        multisite,
        source("faulty", multisite.url("faulty/loop-a")),
        inject=[
            ("faulty/loop-a", {"status": 302, "headers": {"Location": "/faulty/loop-b"}}),
            ("faulty/loop-b", {"status": 302, "headers": {"Location": "/faulty/loop-a"}}),
        ],
    )
    assert_recorded_error(run, "unavailable", "redirect loop")


@pytest.mark.parametrize(
    "target",
    ["file:///etc/passwd", "ftp://127.0.0.1/feed.xml", "gopher://127.0.0.1:70/x", "data:,x"],
)
def test_redirect_to_a_non_http_scheme(
    ctx: PipelineContext, multisite: SampleSite, target: str
) -> None:
    run = run_with_fault(
        ctx,
        multisite,
        source("faulty", faulty_feed(multisite)),
        inject=[("faulty/feed.xml", {"status": 302, "headers": {"Location": target}})],
    )
    assert_recorded_error(run, "unavailable")
    assert "root:" not in (run.faulty.error or "")


class PublicHostTransport(httpx.BaseTransport):
    """Sends requests for ``public_host`` to the loopback site, as if DNS said so: a source
    that looks public to the configuration while the test never leaves 127.0.0.1."""

    def __init__(self, public_host: str, port: int) -> None:
        self.public_host, self.port = public_host, port
        self.inner = httpx.HTTPTransport()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == self.public_host:
            request.url = request.url.copy_with(host="127.0.0.1", port=self.port)
        return self.inner.handle_request(request)

    def close(self) -> None:
        self.inner.close()


def test_redirect_from_a_public_source_to_loopback_is_blocked(
    ctx: PipelineContext, multisite: SampleSite
) -> None:
    port = int(multisite.base_url.rsplit(":", 1)[1])
    fetcher = Fetcher(
        user_agent="tradewatch-test",
        timeout=HTTP_TIMEOUT,
        max_bytes=MAX_BODY_BYTES,
        transport=PublicHostTransport("news.example.org", port),
    )
    public_ctx = PipelineContext(
        settings=ctx.settings,
        engine=ctx.engine,
        fetcher=fetcher,
        baseline=ctx.baseline,
        classifier=ctx.classifier,
    )
    internal = multisite.url("internal-admin/feed.xml")
    feed = multisite.render("faulty/feed.xml") or b""
    faulty = source("public-desk", "http://news.example.org/faulty/feed.xml")
    assert not faulty.allows_local
    try:
        run = run_with_fault(
            public_ctx,
            multisite,
            faulty,
            inject=[
                ("faulty/feed.xml", {"status": 302, "headers": {"Location": internal}}),
                ("internal-admin/feed.xml", {"body": feed, "headers": XML}),
            ],
        )
    finally:
        fetcher.close()
    assert_recorded_error(run, "blocked_address", "non-public address 127.0.0.1")
    assert "/internal-admin/feed.xml" not in multisite.paths_requested()


def test_a_local_source_may_use_loopback(ctx: PipelineContext, multisite: SampleSite) -> None:
    # The counterpart of the test above: the sources of this matrix are all on 127.0.0.1 and
    # allowed there because their own URL is local.
    assert desk(multisite, "desk-b").allows_local


def test_a_listed_link_with_a_bad_port_costs_one_entry(
    ctx: PipelineContext, multisite: SampleSite
) -> None:
    feed = (multisite.render("faulty/feed.xml") or b"").replace(
        b"<item>", b"<item><title>bad</title><link>http://127.0.0.1:99999x/a</link></item><item>", 1
    )
    run = run_with_fault(
        ctx,
        multisite,
        source("faulty", faulty_feed(multisite)),
        inject=[("faulty/feed.xml", {"body": feed, "headers": XML})],
    )
    assert run.faulty.new == 3
