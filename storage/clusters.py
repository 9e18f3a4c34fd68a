"""Story clusters: a reprint of a story by another outlet shares the original's ``cluster_key``.

Near-duplicates are found with word shingles (runs of ``SHINGLE`` words of the normalised
title and text) compared by their overlap coefficient, ``|A ∩ B| / min(|A|, |B|)``: a wire
story cut down by the outlet reprinting it keeps most of its shingles, so it still matches,
while two outlets writing the same news in their own words share almost none.

Cost: one new article is compared with the articles first seen in the ``WINDOW`` before it,
at most ``MAX_CANDIDATES`` of them, newest first; each comparison is a set intersection over
at most ``MAX_WORDS`` words. That is O(k) per article for k recent articles (a few hundred a
fortnight for this project's sources). Beyond that, store a MinHash signature per article and
look candidates up by LSH bands; that needs a column (see the note in ``assign_cluster``).
"""

from __future__ import annotations

import re
import threading
import zlib
from collections import OrderedDict
from datetime import timedelta

from sqlmodel import Session, col, select

from classify.text import normalise
from storage.models import Article

WINDOW = timedelta(days=14)
MAX_CANDIDATES = 1000
MAX_WORDS = 600  # the head of an article carries the story; long tails add cost, not signal
SHINGLE = 5
OVERLAP_MIN = 0.6  # share of the shorter text's shingles found in the other
MIN_SHINGLES = 12  # below this, texts are too short for overlap; require near identity
SHORT_JACCARD_MIN = 0.85

_WORD = re.compile(r"[^\W_]+")


def shingles(title: str, text: str) -> frozenset[int]:
    """Hashed word shingles of an article (stable across processes: crc32, not ``hash``)."""
    words = _WORD.findall(normalise(f"{title}\n{text}"))[:MAX_WORDS]
    if len(words) < SHINGLE:
        return frozenset({zlib.crc32(" ".join(words).encode())}) if words else frozenset()
    return frozenset(
        zlib.crc32(" ".join(words[i : i + SHINGLE]).encode())
        for i in range(len(words) - SHINGLE + 1)
    )


def same_story(a: frozenset[int], b: frozenset[int]) -> bool:
    """Whether two shingle sets are one story (a copy, a trimmed or lightly edited reprint)."""
    if not a or not b:
        return False
    common = len(a & b)
    if min(len(a), len(b)) < MIN_SHINGLES:
        return common / len(a | b) >= SHORT_JACCARD_MIN
    return common / min(len(a), len(b)) >= OVERLAP_MIN


class _ShingleCache:
    """Shingle sets of recent articles, by (id, content hash), shared by the threads of a
    process: without it every new article re-reads and re-shingles up to MAX_CANDIDATES texts,
    which made clustering the dominant cost of a backfill (see BENCHMARKS.md)."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._items: OrderedDict[tuple[int, str], frozenset[int]] = OrderedDict()
        self._lock = threading.Lock()

    def lookup(self, session: Session, wanted: list[tuple[int, str]]) -> dict[int, frozenset[int]]:
        """Shingles for each (id, content hash); texts are read only for the ones not cached."""
        found: dict[int, frozenset[int]] = {}
        with self._lock:
            for ident in wanted:
                cached = self._items.get(ident)
                if cached is not None:
                    self._items.move_to_end(ident)
                    found[ident[0]] = cached
        missing = {article_id for article_id, _digest in wanted if article_id not in found}
        if not missing:
            return found
        rows = session.exec(
            select(Article.id, Article.content_hash, Article.title, Article.text).where(
                col(Article.id).in_(missing)
            )
        ).all()
        with self._lock:
            for article_id, digest, title, text in rows:
                if article_id is None:
                    continue
                found[article_id] = self._items[(article_id, digest)] = shingles(title, text)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return found


_SHINGLE_CACHE = _ShingleCache(size=4 * MAX_CANDIDATES)


def new_cluster_key(article: Article) -> str:
    """The key of a cluster an article starts: its own id, so keys are unique and stable."""
    assert article.id is not None, "flush the article first"
    return f"a{article.id}"


def assign_cluster(*, session: Session, article: Article) -> str:
    """Give ``article`` a ``cluster_key`` and return it; flushes, never commits.

    An article keeps the key it has (a revised story stays in its cluster). Otherwise it
    joins the cluster of the most similar recent article that tells the same story, preferring
    the earliest such article, or starts its own.
    """
    if article.cluster_key:
        return article.cluster_key
    mine = shingles(article.title, article.text)
    since = article.first_seen_at - WINDOW
    rows = session.exec(
        select(Article.id, Article.content_hash, Article.cluster_key)
        .where(
            col(Article.cluster_key).is_not(None),
            Article.id != article.id,
            Article.first_seen_at >= since,
        )
        .order_by(col(Article.first_seen_at).desc(), col(Article.id).desc())
        .limit(MAX_CANDIDATES)
    ).all()
    known = _SHINGLE_CACHE.lookup(session, [(_id, digest) for _id, digest, _key in rows if _id])
    key: str | None = None
    for candidate_id, _digest, cluster_key in reversed(rows):  # earliest first
        if candidate_id is not None and same_story(mine, known[candidate_id]):
            key = cluster_key
            break
    article.cluster_key = key or new_cluster_key(article)
    session.add(article)
    session.flush()
    return article.cluster_key
