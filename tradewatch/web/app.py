"""The review site: latest digests, open policy changes to accept or dismiss, articles with
their revisions and verdicts, source health.

Read-mostly and server-rendered. Safety rules, each enforced here:

- **Access.** With ``web_token`` set, every request needs it: ``Authorization: Bearer <token>``
  or the ``tw_auth`` cookie set by the ``/login`` form (an HMAC of the token, never the token
  itself). ``tradewatch web`` refuses to bind beyond loopback without a token.
- **CSRF.** The two write actions (accept, dismiss) are POST forms carrying a token that must
  equal the ``tw_csrf`` cookie (double submit; SameSite=Strict, HttpOnly), and a cross-site
  ``Origin`` is refused outright.
- **Untrusted text.** Titles, sentences and errors come from fetched pages: Jinja autoescape
  everywhere, links only for http(s) URLs, and a Content-Security-Policy with no scripts. A
  stored digest's HTML (already escaped when rendered) is served under the same policy.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from classify.baseline import load_baseline
from notify.escape import html_emphasise, is_http_url
from storage.models import Article, ArticleRevision, Assessment, Digest, Signal
from storage.queries import status_report
from storage.review import ReviewError, review_stats
from tradewatch.review import accept_change, changes_for_review, dismiss_change

CSRF_COOKIE = "tw_csrf"
AUTH_COOKIE = "tw_auth"
MAX_FORM_BYTES = 16_384
TEMPLATES = Path(__file__).parent / "templates"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    # not "no-referrer": Chromium then sends "Origin: null" on our own form posts
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses: the only hosts served without a token."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _safe_url(value: object) -> str | None:
    return str(value) if is_http_url(value) else None


class _Guard(BaseHTTPMiddleware):
    """Token check (when configured), CSRF cookie issue, and security headers."""

    def __init__(self, app: Any, *, token: str | None) -> None:
        super().__init__(app)
        self._token = token

    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        if self._token and request.url.path != "/login" and not self._authorised(request):
            response: Response = RedirectResponse("/login", status_code=303)
            if request.method != "GET":
                response = HTMLResponse("token required", status_code=401)
        else:
            response = await call_next(request)
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(
                CSRF_COOKIE,
                request.state.csrf if hasattr(request.state, "csrf") else _new_csrf(request),
                httponly=True,
                samesite="strict",
                path="/",
            )
        response.headers.update(SECURITY_HEADERS)
        return response

    def _authorised(self, request: Request) -> bool:
        assert self._token is not None
        header = request.headers.get("authorization", "")
        if header.startswith("Bearer ") and hmac.compare_digest(
            header[7:].encode(), self._token.encode()
        ):
            return True
        cookie = request.cookies.get(AUTH_COOKIE, "")
        return hmac.compare_digest(cookie.encode(), auth_cookie_value(self._token).encode())


def auth_cookie_value(token: str) -> str:
    """What the auth cookie holds: a keyed hash of the token, so the cookie is not the token."""
    return hmac.new(token.encode(), b"tradewatch-web-auth", hashlib.sha256).hexdigest()


def _new_csrf(request: Request) -> str:
    value = secrets.token_urlsafe(32)
    request.state.csrf = value
    return value


def _csrf_token(request: Request) -> str:
    """The token forms must echo: the cookie's, or the one this response is about to set."""
    existing = request.cookies.get(CSRF_COOKIE)
    if existing:
        return existing
    if hasattr(request.state, "csrf"):
        return str(request.state.csrf)
    return _new_csrf(request)


async def _form(request: Request) -> dict[str, str]:
    """An urlencoded body, size-capped (no multipart: the forms have no files)."""
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        return {}
    parsed = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {key: values[0] for key, values in parsed.items()}


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if not origin or origin == "null":
        return origin is None  # "null" comes from sandboxed or privacy-stripped contexts
    parts = urlsplit(origin)
    return parts.netloc == request.headers.get("host", "")


def create_app(
    *,
    engine: Engine,
    baseline_path: Path,
    token: str | None = None,
) -> Starlette:
    """The review site on ``engine``; accepting a change rewrites ``baseline_path``."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["safe_url"] = _safe_url
    env.globals["emphasise"] = html_emphasise  # escapes, then <strong> around each cue

    def page(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
        html = env.get_template(name).render(csrf=_csrf_token(request), auth=bool(token), **context)
        return HTMLResponse(html, status_code=status)

    async def index(request: Request) -> Response:
        baseline = load_baseline(baseline_path)
        with Session(engine) as session:
            changes = changes_for_review(session=session, baseline=baseline)
            digests = session.exec(
                select(Digest).order_by(col(Digest.window_end).desc()).limit(10)
            ).all()
            stats = review_stats(session=session)
            report = status_report(session=session)
        return page(
            request,
            "index.html",
            changes=changes,
            digests=digests,
            stats=stats,
            sources=report["sources"],
            baseline=baseline,
            message=request.query_params.get("done"),
        )

    async def digest_view(request: Request) -> Response:
        with Session(engine) as session:
            digest = session.get(Digest, int(request.path_params["digest_id"]))
        if digest is None:
            return page(request, "missing.html", status=404, what="digest")
        # Our own rendering with every untrusted string escaped; the CSP forbids scripts.
        return HTMLResponse(digest.html)

    async def article_view(request: Request) -> Response:
        article_id = int(request.path_params["article_id"])
        with Session(engine) as session:
            article = session.get(Article, article_id)
            if article is None:
                return page(request, "missing.html", status=404, what="article")
            revisions = session.exec(
                select(ArticleRevision)
                .where(ArticleRevision.article_id == article_id)
                .order_by(col(ArticleRevision.revision_no))
            ).all()
            assessments = session.exec(
                select(Assessment)
                .where(Assessment.article_id == article_id)
                .order_by(col(Assessment.id).desc())
            ).all()
            signals: dict[int, list[Signal]] = {}
            for sig in session.exec(
                select(Signal).where(col(Signal.assessment_id).in_([a.id for a in assessments]))
            ):
                signals.setdefault(sig.assessment_id, []).append(sig)
        return page(
            request,
            "article.html",
            article=article,
            revisions=revisions,
            assessments=assessments,
            signals=signals,
        )

    async def sources_view(request: Request) -> Response:
        with Session(engine) as session:
            report = status_report(session=session)
        return page(request, "sources.html", sources=report["sources"])

    async def decide(request: Request) -> Response:
        form = await _form(request)
        cookie = request.cookies.get(CSRF_COOKIE, "")
        sent = form.get("csrf", "")
        if not _same_origin(request) or not (
            cookie and sent and hmac.compare_digest(cookie.encode(), sent.encode())
        ):
            return page(request, "error.html", status=403, error="CSRF check failed: reload")
        change_id = int(request.path_params["change_id"])
        action = request.path_params["action"]
        if action not in ("accept", "dismiss"):
            return page(request, "missing.html", status=404, what="action")
        try:
            with Session(engine) as session:
                if action == "accept":
                    result = accept_change(
                        session=session,
                        change_id=change_id,
                        baseline_path=baseline_path,
                        note=form.get("note") or None,
                    )
                    done = f"accepted change {change_id}: baseline {result.version}"
                else:
                    dismiss_change(
                        session=session, change_id=change_id, reason=form.get("reason", "")
                    )
                    done = f"dismissed change {change_id}"
        except ReviewError as exc:
            return page(request, "error.html", status=409, error=str(exc))
        return RedirectResponse(
            request.url_for("index").include_query_params(done=done), status_code=303
        )

    async def login(request: Request) -> Response:
        if request.method == "GET" or not token:
            return page(request, "login.html")
        form = await _form(request)
        if not hmac.compare_digest(form.get("token", "").encode(), token.encode()):
            return page(request, "login.html", status=401, failed=True)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(
            AUTH_COOKIE, auth_cookie_value(token), httponly=True, samesite="strict", path="/"
        )
        return response

    routes = [
        Route("/", index, name="index"),
        Route("/digests/{digest_id:int}", digest_view, name="digest"),
        Route("/articles/{article_id:int}", article_view, name="article"),
        Route("/sources", sources_view, name="sources"),
        Route(
            "/changes/{change_id:int}/{action:str}",
            decide,
            methods=["POST"],
            name="decide",
        ),
        Route("/login", login, methods=["GET", "POST"], name="login"),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        return page(request, "missing.html", status=404, what="page")

    return Starlette(
        routes=routes,
        middleware=[Middleware(_Guard, token=token)],
        exception_handlers={404: not_found},
    )
