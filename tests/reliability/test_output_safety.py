"""Hostile text from a source (``<script>``, ``javascript:`` links, HTML entities) goes through
the real pipeline and comes out escaped in the HTML digest and on the review site."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import Session, select
from starlette.testclient import TestClient

from storage.models import Article, Digest
from tests.reliability.multisite import source
from tradewatch.digest import build_content, publish
from tradewatch.pipeline import PipelineContext, SourceOutcome, check_source
from tradewatch.sitehost import SampleSite
from tradewatch.web.app import create_app

DEPARTURE = "2025/04/trading-companies-win-independent-trade-authority"
SCRIPT_RE = re.compile(r"<script[^>]*>\s*alert", re.IGNORECASE)
JS_HREF_RE = re.compile(r"""(href|src)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def plant_hostile_article(site_root: Path) -> None:
    page = site_root / "faulty" / DEPARTURE / "index.html"
    html = page.read_text(encoding="utf-8")
    html = html.replace(
        '<h1 class="entry-title">Major trading companies',
        "<h1 class=\"entry-title\">&lt;script&gt;alert('t')&lt;/script&gt; Trade &amp;amp; "
        "&lt;b&gt;bold&lt;/b&gt; authority. Major trading companies",
    ).replace(
        "<p>",
        '<p><a href="javascript:alert(1)">click me</a> &lt;img src=x onerror=alert(2)&gt; '
        "javascript:alert(3) ",
        1,
    )
    page.write_text(html, encoding="utf-8")
    feed = site_root / "faulty" / "feed.xml"
    feed.write_text(
        feed.read_text(encoding="utf-8").replace(
            "</channel>",
            "<item><title>&lt;script&gt;x&lt;/script&gt;</title>"
            "<link>javascript:alert(4)</link></item></channel>",
        ),
        encoding="utf-8",
    )


def assert_safe(html: str) -> None:
    assert not SCRIPT_RE.search(html), "an unescaped <script> reached the page"
    assert not JS_HREF_RE.search(html), "a javascript: link reached the page"
    assert "<img src=x" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(" in html  # the text is shown, escaped
    assert "&amp;amp;" in html or "&amp;" in html  # entities stay text


def test_hostile_text_is_escaped_in_the_digest_and_the_review_site(
    ctx: PipelineContext, multisite: SampleSite, site_root: Path, tmp_path: Path
) -> None:
    plant_hostile_article(site_root)
    report = check_source(ctx, source("faulty", multisite.url("faulty/feed.xml")))
    assert report.outcome is SourceOutcome.NEW and report.new == 3, report

    with Session(ctx.engine) as session:
        stored = session.exec(select(Article).where(Article.url.contains(DEPARTURE))).one()  # type: ignore[attr-defined]
        assert stored.title.startswith("<script>")  # stored as text, escaped on output
        assert not [a for a in session.exec(select(Article)) if "javascript" in a.url]
        now = datetime.now(UTC)
        content = build_content(
            session, baseline=ctx.baseline, start=now - timedelta(days=1), end=now
        )
        outcome = publish(
            session, content=content, kind="scheduled", directory=tmp_path / "d", urls=[]
        )
        digest = session.get(Digest, outcome.digest_id)
        assert digest is not None
        article_id = stored.id

    assert_safe(digest.html)
    assert_safe((tmp_path / "d" / outcome.paths[1].name).read_text(encoding="utf-8"))
    # Markdown: no raw tag and no javascript: link destination.
    assert "<script>" not in digest.markdown and "](javascript:" not in digest.markdown

    client = TestClient(create_app(engine=ctx.engine, baseline_path=ctx.settings.baseline_file))
    for path in ("/", f"/articles/{article_id}", f"/digests/{outcome.digest_id}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_safe(response.text)
        policy = response.headers["content-security-policy"]
        assert "unsafe-inline" not in policy.split("style-src")[0], policy
