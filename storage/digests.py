"""Rendered digests, one row per (kind, window): re-rendering a window updates it in place."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from storage.enums import DigestKind
from storage.models import Digest
from storage.types import as_utc, utcnow


def last_digest(*, session: Session, kind: DigestKind | str) -> Digest | None:
    """The digest of this kind with the latest window end (where the next window starts)."""
    stmt = (
        select(Digest)
        .where(Digest.kind == DigestKind(kind))
        .order_by(col(Digest.window_end).desc(), col(Digest.id).desc())
        .limit(1)
    )
    return session.exec(stmt).first()


def save_digest(
    *,
    session: Session,
    kind: DigestKind | str,
    window_start: datetime,
    window_end: datetime,
    title: str,
    markdown: str,
    html: str,
    text: str,
    summary: dict[str, Any],
    path: str | None,
) -> Digest:
    """Create the digest for (kind, window), or update the existing one with new content.

    Its deliveries are untouched: a channel that already has the window is not sent it again.
    """
    kind = DigestKind(kind)
    start = as_utc(window_start, what="window_start")
    end = as_utc(window_end, what="window_end")
    digest = session.exec(
        select(Digest).where(
            Digest.kind == kind, Digest.window_start == start, Digest.window_end == end
        )
    ).first()
    if digest is None:
        digest = Digest(
            kind=kind,
            window_start=start,
            window_end=end,
            created_at=utcnow(),
            title=title,
            markdown=markdown,
            html=html,
            text=text,
            summary=summary,
            path=path,
        )
    else:
        digest.title = title
        digest.markdown = markdown
        digest.html = html
        digest.text = text
        digest.summary = summary
        digest.path = path
    session.add(digest)
    session.flush()
    return digest
