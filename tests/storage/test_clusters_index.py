"""The per-process index behind ``assign_cluster``: its filter, its memory, its freshness."""

from __future__ import annotations

import functools
import random
import re
import zlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, update
from sqlmodel import Session, col

import storage.clusters as clusters
import storage.shingling as shingling
from classify.text import normalise
from storage.articles import UpsertResult, upsert_article
from storage.clusters import _Entry, _index_for, _possible, _Sketch, assign_cluster, same_story
from storage.db import get_engine
from storage.models import Article
from tests.storage.helpers import at, parsed
from tests.storage.test_clusters import OWN_REPORT, REPRINT, UNRELATED, WIRE


def _entry(items: frozenset[int]) -> _Entry:
    return _Entry(1, "hash", "a1", 0.0, 0.0, _Sketch.of(items))


@functools.cache
def _crowded_hashes() -> tuple[int, ...]:
    """Hashes that all land on 8 of the sketch's bits: the worst case for its bound."""
    shift = 32 - (shingling.SKETCH_BITS.bit_length() - 1)
    found = [h for h in range(400_000) if ((h * 0x9E3779B1) & 0xFFFFFFFF) >> shift < 8]
    assert len(found) >= 600
    return tuple(found[:600])


@settings(max_examples=400, deadline=None, derandomize=True)
@given(data=st.data(), crowded=st.booleans())
def test_the_sketch_filter_keeps_every_pair_telling_one_story(
    data: st.DataObject, crowded: bool
) -> None:
    # Pairs around the thresholds: a common part, plus extras on each side up to about as
    # much again, so that both verdicts of same_story come up.
    common = data.draw(st.integers(1, 300), label="common")
    extra_a = data.draw(st.integers(0, common), label="extra_a")
    extra_b = data.draw(st.integers(0, 2 * common), label="extra_b")
    rng = random.Random(data.draw(st.integers(0, 2**32 - 1), label="seed"))  # noqa: S311
    pool = _crowded_hashes() if crowded else range(2**32)
    wanted = min(common + extra_a + extra_b, len(pool))
    hashes = rng.sample(pool, wanted)
    a = frozenset(hashes[: min(common + extra_a, wanted)])
    b = frozenset(hashes[:common] + hashes[common + extra_a :])
    if same_story(a, b):
        assert _possible(_Sketch.of(a), [_entry(b)]), (len(a), len(b), len(a & b))


def test_the_sketch_filter_drops_unrelated_texts() -> None:
    rng = random.Random(7)  # noqa: S311  # test data, not secrets
    for _ in range(50):
        a, b = (frozenset(rng.sample(range(2**32), 596)) for _ in range(2))
        assert not _possible(_Sketch.of(a), [_entry(b)])


def _shingles_as_defined(title: str, text: str) -> frozenset[int]:
    """``shingles`` as its docstring defines it, one run of words at a time."""
    words = re.findall(r"[^\W_]+", normalise(f"{title}\n{text}"))[: shingling.MAX_WORDS]
    if len(words) < shingling.SHINGLE:
        return frozenset({zlib.crc32(" ".join(words).encode())}) if words else frozenset()
    return frozenset(
        zlib.crc32(" ".join(words[i : i + shingling.SHINGLE]).encode())
        for i in range(len(words) - shingling.SHINGLE + 1)
    )


# Letters, digits, separators, and what normalising folds or keeps: accents, a ligature,
# typographic punctuation, a combining mark, CJK and Korean.
_CHARACTERS = st.sampled_from(list("aZ09 _-.,\n\t'") + list("éÜñﬁ“”’—\u0301北朝鮮무역"))


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    title=st.text(_CHARACTERS, max_size=30),
    text=st.text(_CHARACTERS, max_size=300),
    words=st.integers(0, 700),
)
def test_shingles_hash_each_run_of_words(title: str, text: str, words: int) -> None:
    text += " filler" * words  # past MAX_WORDS too
    assert shingling.shingles(title, text) == _shingles_as_defined(title, text)


def _backfilled(session: Session, day: int, text: str, published_day: float) -> UpsertResult:
    stored = upsert_article(
        session=session,
        parsed=parsed(
            url=f"https://example.org/archive/{day}",
            title="From the archive",
            text=text,
            published=at(24 * published_day),
        ),
        source="archive",
        outlet="Archive",
        historical=True,
        now=at(24 * 400),  # a backfill sees every article at once
    )
    assign_cluster(session=session, article=stored.article)
    session.commit()
    return stored


def _distinct_text(day: int) -> str:
    return " ".join(f"w{day}x{i}" for i in range(40))


@pytest.mark.parametrize("limit", ["idle_calls", "max_indexed"])
def test_the_index_stays_bounded_over_a_long_backfill(
    session: Session, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    if limit == "idle_calls":
        monkeypatch.setattr(clusters, "IDLE_CALLS", 3)
    else:
        monkeypatch.setattr(clusters, "MAX_INDEXED", 5)
    days = range(0, 120, 2)  # 60 articles over four months of publication dates
    stored = {day: _backfilled(session, day, _distinct_text(day), day) for day in days}
    index = _index_for(session)

    # At most the last window's articles (29 days, one article every second day).
    assert 0 < len(index) <= 15
    assert len(index.loaded_days()) <= 29 + 6
    # An evicted day is read back from the database when a window needs it again.
    reprint = _backfilled(session, 1000, _distinct_text(0) + " Updated.", 1)
    assert reprint.article.cluster_key == stored[0].article.cluster_key


def test_each_database_has_its_own_index(tmp_path: Path) -> None:
    engines = [get_engine(f"sqlite:///{(tmp_path / name).as_posix()}") for name in ("a", "b")]
    try:
        with Session(engines[0]) as a, Session(engines[1]) as b, Session(engines[0]) as a2:
            assert _index_for(a) is _index_for(a2)
            assert _index_for(a) is not _index_for(b)
    finally:
        for engine in engines:
            engine.dispose()


def _store(session: Session, n: int, outlet: str, text: str, hours: float) -> UpsertResult:
    stored = upsert_article(
        session=session,
        parsed=parsed(url=f"https://example.org/{n}", title="Trade", text=text),
        source=outlet.lower(),
        outlet=outlet,
        now=at(hours),
    )
    assign_cluster(session=session, article=stored.article)
    session.commit()
    return stored


# PostgreSQL only: SQLite lets one transaction write at a time, so ids commit in order.
@pytest.mark.parametrize(
    "db_url", [pytest.param("postgresql", marks=pytest.mark.postgres)], indirect=True
)
def test_an_article_committed_after_later_ones_is_still_found(
    session: Session, engine: Engine
) -> None:
    assert engine.dialect.name == "postgresql"
    _store(session, 1, "KCNA Watch", UNRELATED, hours=0)  # this process's index is live
    # Another worker's transaction stores a story and stays open a while ...
    with Session(engine) as slow:
        wire = upsert_article(
            session=slow,
            parsed=parsed(url="https://example.org/yonhap", title="Trade", text=WIRE),
            source="yonhap",
            outlet="Yonhap",
            now=at(1),
        ).article
        key = wire.cluster_key = f"a{wire.id}"
        slow.add(wire)
        slow.flush()
        # ... while this process commits later ids, which move its mark past the open one.
        _store(session, 2, "Daily NK", OWN_REPORT, hours=2)
        _store(session, 3, "Daily NK", UNRELATED + " Rain again.", hours=3)
        slow.commit()
    reprint = _store(session, 4, "Korea Herald", REPRINT, hours=4)
    assert reprint.article.cluster_key == key


def test_a_match_is_judged_by_its_stored_row(session: Session) -> None:
    wire = _store(session, 1, "Yonhap", WIRE, hours=0)
    flood = _store(session, 2, "KCNA Watch", UNRELATED, hours=1)
    wire_id, flood_id = wire.article.id, flood.article.id
    for n in range(3):  # later articles, so that syncs no longer read those two rows
        _store(session, 10 + n, "Daily NK", _distinct_text(n), hours=1 + n / 10)
    # Changed behind the index's back, without a revision row for it to notice: one text
    # rewritten, one cluster renamed.
    conn = session.connection()
    conn.execute(
        update(Article)
        .where(col(Article.id) == wire_id)
        .values(text=OWN_REPORT, content_hash="edited")
    )
    conn.execute(update(Article).where(col(Article.id) == flood_id).values(cluster_key="merged"))
    session.commit()
    reprint = _store(session, 3, "Korea Herald", REPRINT, hours=2)
    flood_copy = _store(session, 4, "NK News", UNRELATED, hours=3)

    assert reprint.article.cluster_key == f"a{reprint.article.id}"
    assert flood_copy.article.cluster_key == "merged"
