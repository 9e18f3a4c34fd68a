"""Articles by canonical URL, with a revision (and a text diff) each time the content changes,
and what listings said of them (the URL they were listed under, their headline, update time)."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, literal, union_all, update
from sqlalchemy import select as sa_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, select

from parsers.base import ParsedArticle
from storage.db import in_lists, insert_object, insert_on_conflict, object_for_row, table_of
from storage.enums import ArticleOutcome
from storage.models import Article, ArticleAlias, ArticleRevision
from storage.types import as_utc

__all__ = [
    "ArticleOutcome",
    "UpsertResult",
    "content_hash",
    "known_urls",
    "latest_revision",
    "remember_listed_url",
    "text_diff",
    "upsert_article",
]

_ALIAS = table_of(ArticleAlias)
_ARTICLE = table_of(Article)

# Built once: for a query run per article, building the statement costs more than running it.
_BY_URL = sa_select(*_ARTICLE.c).where(_ARTICLE.c.url == bindparam("url"))
# What a listing seen again changes of a stored article. One statement for every case (a
# column left as it was is written as it was): SQLite and PostgreSQL write the whole row
# anyway, and one statement compiled once costs less than one built per article.
_SEEN_AGAIN = ("last_seen_at", "published_at", "authors", "listed_title", "listed_updated_at")
_REVISED = ("title", "text", "content_hash", "revision_count")
_UPDATE = (
    update(_ARTICLE)
    .where(_ARTICLE.c.id == bindparam("key"))
    .values({n: bindparam(n, type_=_ARTICLE.c[n].type) for n in _SEEN_AGAIN + _REVISED})
)
_LATEST_REVISION = (
    select(ArticleRevision)
    .where(col(ArticleRevision.article_id) == bindparam("article_id"))
    .order_by(col(ArticleRevision.revision_no).desc())
    .limit(1)
)


@dataclass
class UpsertResult:
    """What ``upsert_article`` did; ``revision`` is the article's latest revision."""

    article: Article
    outcome: ArticleOutcome
    revision: ArticleRevision


def content_hash(title: str, text: str) -> str:
    """sha256 of an article's title and text: equal hashes mean nothing worth a revision."""
    return hashlib.sha256(f"{title}\n\n{text}".encode()).hexdigest()


def text_diff(
    *, old_title: str, old_text: str, new_title: str, new_text: str, old_no: int, new_no: int
) -> str:
    """Unified diff between two revisions; the title is the first line, so its change shows."""
    old = [f"Title: {old_title}", "", *old_text.splitlines()]
    new = [f"Title: {new_title}", "", *new_text.splitlines()]
    lines = difflib.unified_diff(
        old, new, fromfile=f"revision {old_no}", tofile=f"revision {new_no}", lineterm=""
    )
    return "\n".join(lines)


def upsert_article(
    *,
    session: Session,
    parsed: ParsedArticle,
    source: str,
    outlet: str,
    historical: bool = False,
    listed_title: str | None = None,
    listed_updated: datetime | None = None,
    now: datetime | None = None,
) -> UpsertResult:
    """Store ``parsed`` under its canonical URL: new, unchanged (seen again) or changed.

    ``historical`` is fixed when the article is first stored: a backfilled article seen again
    by monitoring is still old news, and a monitored one found again by a backfill is not.
    ``listed_title`` and ``listed_updated``, the headline and update time the listing gave,
    if it gave them, are kept for the next listing to be compared with (``KnownPage``).
    Flushes, never commits.
    """
    at = as_utc(now, what="now")
    published = as_utc(parsed.published, what="published") if parsed.published else None
    updated = as_utc(listed_updated, what="listed_updated") if listed_updated else None
    digest = content_hash(parsed.title, parsed.text)
    # Which article, by a plain query and without the ORM's unit of work (most are new: no
    # object to load); it does not autoflush, so whatever is pending goes first, as an ORM
    # query would have sent it.
    session.flush()
    conn = session.connection()
    found = conn.execute(_BY_URL, {"url": parsed.url}).mappings().first()

    if found is None:
        values: dict[str, Any] = {
            "url": parsed.url,
            "source": source,
            "outlet": outlet,
            "title": parsed.title,
            "published_at": published,
            "authors": list(parsed.authors),
            "text": parsed.text,
            "historical": historical,
            "content_hash": digest,
            "first_seen_at": at,
            "last_seen_at": at,
            "revision_count": 1,
            "cluster_key": None,
            "listed_title": listed_title,
            "listed_updated_at": updated,
        }
        article = insert_object(session, Article, values)
        revision = _add_revision(session, article, revision_no=1, diff="", at=at)
        return UpsertResult(article, ArticleOutcome.NEW, revision)

    article = object_for_row(session, Article, dict(found))
    changes: dict[str, Any] = {
        "last_seen_at": at,
        "published_at": article.published_at or published,
        "authors": list(parsed.authors)
        if parsed.authors and not article.authors
        else article.authors,
        "listed_title": listed_title if listed_title is not None else article.listed_title,
        "listed_updated_at": updated if updated is not None else article.listed_updated_at,
    }
    outcome = ArticleOutcome.UNCHANGED
    diff = ""
    if article.content_hash != digest:
        outcome = ArticleOutcome.CHANGED
        new_no = article.revision_count + 1
        diff = text_diff(
            old_title=article.title,
            old_text=article.text,
            new_title=parsed.title,
            new_text=parsed.text,
            old_no=article.revision_count,
            new_no=new_no,
        )
        changes |= {
            "title": parsed.title,
            "text": parsed.text,
            "content_hash": digest,
            "revision_count": new_no,
            "published_at": published or changes["published_at"],
        }
    else:
        changes |= {name: getattr(article, name) for name in _REVISED}
    conn.execute(_UPDATE, {"key": article.id, **changes})
    # Written above: the session need not write them again.
    for name, value in changes.items():
        set_committed_value(article, name, value)
    if outcome is ArticleOutcome.UNCHANGED:
        return UpsertResult(article, outcome, latest_revision(session, article))
    revision = _add_revision(session, article, revision_no=article.revision_count, diff=diff, at=at)
    return UpsertResult(article, outcome, revision)


def latest_revision(session: Session, article: Article) -> ArticleRevision:
    """The article's newest revision (every stored article has at least one)."""
    return session.exec(_LATEST_REVISION, params={"article_id": article.id}).one()


@dataclass(frozen=True)
class KnownPage:
    """What a listing pass knows of a page listed before, to decide on a re-fetch: a stored
    article's headline, when it was last seen, and the headline and update time a listing
    last gave (None: not recorded); or the same of a page dropped rather than stored
    (``storage.skipped``)."""

    title: str
    last_seen_at: datetime
    listed_title: str | None = None
    listed_updated_at: datetime | None = None


# KnownPage's fields, in order.
_KNOWN = (
    col(Article.title),
    col(Article.last_seen_at),
    col(Article.listed_title),
    col(Article.listed_updated_at),
)


# Built once, with an expanding IN list: built per listing, the statement costs more than
# the query. One statement for both ways an article is known (``stored`` says which: an
# article stored under the URL wins over one listed under it before).
_KNOWN_EITHER = union_all(
    sa_select(col(ArticleAlias.url), literal(False).label("stored"), *_KNOWN)
    .join(Article, col(Article.id) == col(ArticleAlias.article_id))
    .where(col(ArticleAlias.url).in_(bindparam("urls", expanding=True))),
    sa_select(col(Article.url), literal(True).label("stored"), *_KNOWN).where(
        col(Article.url).in_(bindparam("urls", expanding=True))
    ),
)


def known_articles(*, session: Session, urls: Iterable[str]) -> dict[str, KnownPage]:
    """The stored articles among ``urls``, by URL, stored under it or listed under it before
    (``ArticleAlias``), in one query per chunk of URLs."""
    found: dict[str, KnownPage] = {}
    for chunk in in_lists(urls):
        rows = session.connection().execute(_KNOWN_EITHER, {"urls": chunk})
        for url, stored, title, seen, listed, updated in rows:
            if stored or url not in found:
                found[url] = KnownPage(title, seen, listed, updated)
    return found


def remember_listed_url(session: Session, *, url: str, article: Article, now: datetime) -> None:
    """Note that a listing gave ``url`` for ``article``, stored under another URL, so the
    next listing of it finds it known (``known_articles``). Idempotent; flushes pending
    changes first, never commits."""
    assert article.id is not None, "store the article first"
    if url == article.url:
        return
    session.flush()
    stmt = insert_on_conflict(_ALIAS, session.get_bind().dialect.name, key="url")
    values = {"url": url, "article_id": article.id, "created_at": as_utc(now, what="now")}
    session.connection().execute(stmt, values)


def known_urls(*, session: Session, urls: Iterable[str]) -> set[str]:
    """The subset of ``urls`` already stored as articles (to skip fetching them again)."""
    return set(known_articles(session=session, urls=urls))


def _add_revision(
    session: Session, article: Article, *, revision_no: int, diff: str, at: datetime
) -> ArticleRevision:
    assert article.id is not None  # stored by the caller
    values: dict[str, Any] = {
        "article_id": article.id,
        "revision_no": revision_no,
        "content_hash": article.content_hash,
        "title": article.title,
        "text": article.text,
        "diff": diff,
        "created_at": at,
    }
    return insert_object(session, ArticleRevision, values)
