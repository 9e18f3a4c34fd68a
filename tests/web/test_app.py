"""The review site through Starlette's TestClient: pages, escaping, CSRF and the token."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlmodel import Session
from starlette.testclient import TestClient

from classify.baseline import load_baseline
from storage.enums import PolicyChangeStatus
from storage.models import Article, PolicyChange
from tests.web.conftest import Site
from tradewatch.web import create_app, is_loopback
from tradewatch.web.app import CSRF_COOKIE

TOKEN = "web-T0ken-for-tests-only"


def _client(site: Site, token: str | None = None) -> TestClient:
    app = create_app(engine=site.engine, baseline_path=site.baseline_path, token=token)
    return TestClient(app, base_url="http://127.0.0.1:8765")


def _csrf(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "form without a CSRF token"
    return found.group(1)


def test_index_lists_open_changes_with_evidence(review_site: Site) -> None:
    client = _client(review_site)
    page = client.get("/")
    assert page.status_code == 200
    assert "Who may trade: centralizing → delegating to provinces (loosening)" in page.text
    assert "<strong>sign contracts directly</strong>" in page.text
    assert 'href="https://news.example.org/daily-nk/0"' in page.text
    assert "script-src" not in page.headers["content-security-policy"]
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.cookies.get(CSRF_COOKIE) == _csrf(page.text)


def test_untrusted_text_is_escaped_and_only_http_links(review_site: Site) -> None:
    with Session(review_site.engine) as session:
        article = session.get(Article, 1)
        assert article is not None
        article.title = '<script>alert("x")</script>'
        article.url = "javascript:alert(1)"
        session.add(article)
        session.commit()
    client = _client(review_site)
    for path in ("/", "/articles/1"):
        html = client.get(path).text
        assert "<script>" not in html
        assert "&lt;script&gt;" in html
        assert 'href="javascript:' not in html


def test_article_view_shows_verdicts(review_site: Site) -> None:
    page = _client(review_site).get("/articles/1")
    assert page.status_code == 200
    assert "departs" in page.text and "trade_authority: loosening (departs)" in page.text
    assert _client(review_site).get("/articles/999").status_code == 404


def test_post_without_or_with_wrong_csrf_is_refused(review_site: Site) -> None:
    client = _client(review_site)
    client.get("/")
    change_id = review_site.change_ids[0]
    missing = client.post(f"/changes/{change_id}/dismiss", data={"reason": "x"})
    wrong = client.post(
        f"/changes/{change_id}/dismiss", data={"reason": "x", "csrf": "forged-value"}
    )
    token = client.cookies[CSRF_COOKIE]
    cross_site = client.post(
        f"/changes/{change_id}/dismiss",
        data={"reason": "x", "csrf": token},
        headers={"Origin": "https://evil.example"},
    )
    assert [r.status_code for r in (missing, wrong, cross_site)] == [403, 403, 403]
    with Session(review_site.engine) as session:
        change = session.get(PolicyChange, change_id)
        assert change is not None and change.status is PolicyChangeStatus.OPEN


def test_accept_and_dismiss_through_forms(review_site: Site) -> None:
    client = _client(review_site)
    csrf = _csrf(client.get("/").text)
    accepted, dismissed = review_site.change_ids
    done = client.post(f"/changes/{accepted}/accept", data={"csrf": csrf, "note": ""})
    assert done.status_code == 200 and f"accepted change {accepted}: baseline 2025.2" in done.text
    gone = client.post(f"/changes/{dismissed}/dismiss", data={"csrf": csrf, "reason": "misread"})
    assert gone.status_code == 200 and "No open policy changes." in gone.text
    again = client.post(f"/changes/{dismissed}/dismiss", data={"csrf": csrf, "reason": "x"})
    assert again.status_code == 409 and "already dismissed" in again.text
    assert load_baseline(review_site.baseline_path).version == "2025.2"
    with Session(review_site.engine) as session:
        statuses = [session.get(PolicyChange, i).status for i in review_site.change_ids]  # type: ignore[union-attr]
    assert statuses == [PolicyChangeStatus.ACCEPTED, PolicyChangeStatus.DISMISSED]


def test_token_required_when_configured(review_site: Site) -> None:
    client = _client(review_site, token=TOKEN)
    redirected = client.get("/", follow_redirects=False)
    assert redirected.status_code == 303 and redirected.headers["location"] == "/login"
    assert client.post("/changes/1/dismiss", data={"reason": "x"}).status_code == 401
    bearer = client.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 200 and "Open policy changes" in bearer.text
    bad = client.post("/login", data={"token": "wrong"})
    assert bad.status_code == 401
    good = client.post("/login", data={"token": TOKEN})
    assert good.status_code == 200 and "Open policy changes" in good.text
    assert TOKEN not in str(client.cookies.values())  # the cookie is a keyed hash


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("localhost", True), ("::1", True), ("0.0.0.0", False)],
)
def test_is_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_cli_refuses_public_bind_without_token(capsys: pytest.CaptureFixture[str]) -> None:
    from tradewatch.cli import main

    assert main(["web", "--host", "0.0.0.0"]) == 2
    assert "set TRADEWATCH_WEB_TOKEN" in capsys.readouterr().err


def test_cli_refuses_a_database_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tradewatch.cli import main

    path = tmp_path / "typo.db"
    monkeypatch.setenv("TRADEWATCH_DATABASE_URL", f"sqlite:///{path}")
    monkeypatch.setattr("uvicorn.run", lambda *args, **kwargs: None)  # never serve here
    assert main(["web"]) == 2
    assert f"no database at {path}" in capsys.readouterr().err
    assert not path.exists()
