"""Story clusters: a reprint of a story by another outlet shares the original's ``cluster_key``.

Near-duplicates are found with word shingles (``storage.shingling``: runs of ``SHINGLE`` words
of the normalised title and text) compared by their overlap coefficient,
``|A ∩ B| / min(|A|, |B|)``: a wire story cut down by the outlet reprinting it keeps most of
its shingles, so it still matches, while two outlets writing the same news in their own words
share almost none.

Which articles a new one is compared with: those whose *story time* lies within ``WINDOW`` of
its own. The story time is when the news happened as far as we know: the first-seen time of a
monitored article, the publication date of a backfilled one (a backfill sees ten years of
articles "now", and a 2016 story is no reprint of a 2024 one).

Cost: each process keeps, per database, an index of the articles in the windows it has been
asked about (:class:`_StoryIndex`): for each one its shingles (an array, 4 bytes each) and a
``SKETCH_BITS``-bit sketch of them (and the sketch folded to half the width). A new article's
sketches are ANDed with each candidate's; only those whose popcount can still reach the
threshold get the exact set comparison, and that bound is exact (see :func:`_possible`), so
the decisions are those of comparing every pair. Per article that is one indexed query for
rows other processes stored (usually returning only the previous article), one query per newly
entered day of the window, and a C-speed pass over the window's sketches: independent of the
archive's size and of how many articles a backfill has stored. Memory is at most about 3.5 KB
per indexed article, and days the process has not used lately are evicted (``IDLE_CALLS``,
``MAX_INDEXED``).

A stored column would make loading a window cheaper (a ``story_at`` timestamp with an index
would turn the two range queries into one, a stored sketch would save re-shingling texts when
a process starts); today everything is recomputed from the stored text.
"""

from __future__ import annotations

import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, not_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col

from storage.db import table_of
from storage.models import Article, ArticleRevision
from storage.shingling import Shingled, SketchBits, shingles, sketch_bits

WINDOW = timedelta(days=14)
OVERLAP_MIN = 0.6  # share of the shorter text's shingles found in the other
MIN_SHINGLES = 12  # below this, texts are too short for overlap; require near identity
SHORT_JACCARD_MIN = 0.85

MAX_INDEXED = 10_000  # articles per database beyond which unused days are evicted
IDLE_CALLS = 1_000  # a day no assignment has looked at for this many calls is evicted
MAX_DATABASES = 8  # indexes kept per process (tests open many databases)
PENDING_TTL = 600.0  # seconds a missing revision id is looked for again (open transactions)
PENDING_MAX = 1_000
SYNC_LOOKBACK = 100  # revision ids below the newest re-read when an index starts

_DAY = 86_400.0
assert array("I").itemsize >= 4, "shingle hashes are 32-bit"


def _tells_same_story(common: int, size_a: int, size_b: int) -> bool:
    """The rule of :func:`same_story`, from the sizes alone, so the index applies it unchanged."""
    if not size_a or not size_b:
        return False
    if min(size_a, size_b) < MIN_SHINGLES:
        return common / (size_a + size_b - common) >= SHORT_JACCARD_MIN
    return common / min(size_a, size_b) >= OVERLAP_MIN


def same_story(a: frozenset[int], b: frozenset[int]) -> bool:
    """Whether two shingle sets are one story (a copy, a trimmed or lightly edited reprint)."""
    return _tells_same_story(len(a & b), len(a), len(b))


def new_cluster_key(article: Article) -> str:
    """The key of a cluster an article starts: its own id, so keys are unique and stable."""
    assert article.id is not None, "flush the article first"
    return f"a{article.id}"


# -- sketches --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sketch:
    """A shingle set as the index holds it: its hashes (an array, 4 bytes each, not a set)
    and bitmaps of them."""

    hashes: array[int]
    size: int  # len(hashes)
    bits: int  # bit (h * golden) >> shift set for each shingle h
    lost: int  # shingles sharing a bit with another one: size - popcount(bits)
    half: int  # ``bits`` folded in two (bit i and bit i + SKETCH_BITS / 2 in one)
    half_lost: int  # as ``lost``, for ``half``

    @classmethod
    def of(cls, items: frozenset[int], bits: SketchBits | None = None) -> _Sketch:
        """The sketch of ``items``; ``bits``, if given, are ``sketch_bits(items)`` computed
        already (by an analysis worker)."""
        bits = sketch_bits(items) if bits is None else bits
        return cls(array("I", items), len(items), *bits)

    def tells_same_story(self, mine: frozenset[int]) -> bool:
        """:func:`same_story` of ``mine`` and these shingles (exact)."""
        return _tells_same_story(len(mine.intersection(self.hashes)), len(mine), self.size)


def _possible(mine: _Sketch, entries: Iterable[_Entry]) -> list[_Entry]:
    """The entries that may tell the same story as ``mine``; the others cannot.

    Every shingle two sets share sets the same bit in both bitmaps, and at most
    ``min(lost)`` of the shared ones lose their bit to another shared shingle (a subset
    loses no more than the whole set), so ``popcount(a & b) + min(lost) >= |A ∩ B|``. Any
    pair :func:`same_story` accepts has ``|A ∩ B| >= 0.6 * min(|A|, |B|)`` (the short-text
    rule asks for more), hence no such pair is left out; the ``+ 1`` absorbs float rounding
    in that rule. The bound holds for any bitmap, so the folded ones (half the width, so about
    half the cost, and a looser bound) go first, and the full ones judge what they let
    through. This runs over a whole window per article, hence the inlined arithmetic.
    """
    half, half_lost, size = mine.half, mine.half_lost, mine.size
    first = [
        e
        for e in entries
        if 5
        * (
            (half & (s := e.sketch).half).bit_count()
            + (s.half_lost if s.half_lost < half_lost else half_lost)
            + 1
        )
        >= 3 * (s.size if s.size < size else size)
    ]
    bits, lost = mine.bits, mine.lost
    return [
        e
        for e in first
        if 5 * ((bits & (s := e.sketch).bits).bit_count() + (s.lost if s.lost < lost else lost) + 1)
        >= 3 * (s.size if s.size < size else size)
    ]


# -- the index -------------------------------------------------------------------------------


def _timestamp(value: datetime) -> float:
    # Rows come back aware (UTCDateTime); a caller-built naive value is taken as UTC.
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()


def _story_time(historical: bool, published_at: datetime | None, first_seen_at: datetime) -> float:
    """When the story happened, as far as we know (see the module docstring)."""
    if historical and published_at is not None:
        return _timestamp(published_at)
    return _timestamp(first_seen_at)


def _day(ts: float) -> int:
    return int(ts // _DAY)


def _day_start(day: int) -> datetime:
    return datetime.fromtimestamp(day * _DAY, UTC)


@dataclass(frozen=True, slots=True)
class _Entry:
    """One clustered article in the index; replaced, never changed, when the article is."""

    id: int
    content_hash: str
    cluster_key: str
    first_seen: float
    story: float
    sketch: _Sketch

    @property
    def order(self) -> tuple[float, int]:
        """Earlier clusters win: first seen first, then the lower id (as stored rows sort)."""
        return (self.first_seen, self.id)


@dataclass(frozen=True, slots=True)
class _Row:
    """An article's clustering fields as read from the database."""

    id: int
    content_hash: str
    cluster_key: str | None
    first_seen_at: datetime
    published_at: datetime | None
    historical: bool

    @property
    def story(self) -> float:
        return _story_time(self.historical, self.published_at, self.first_seen_at)

    def entry(self, title: str, text: str) -> _Entry | None:
        items = shingles(title, text)
        if not items or self.cluster_key is None:
            return None  # an empty text never matches; an unclustered article is no candidate
        return _Entry(
            id=self.id,
            content_hash=self.content_hash,
            cluster_key=self.cluster_key,
            first_seen=_timestamp(self.first_seen_at),
            story=self.story,
            sketch=_Sketch.of(items),
        )


_ROW_COLUMNS = (
    col(Article.id),
    col(Article.content_hash),
    col(Article.cluster_key),
    col(Article.first_seen_at),
    col(Article.published_at),
    col(Article.historical),
)


# Built once: composing a statement costs more than SQLite takes to answer it.
_CHANGES = sa_select(col(ArticleRevision.id), col(ArticleRevision.revision_no), *_ROW_COLUMNS).join(
    Article, col(Article.id) == col(ArticleRevision.article_id)
)
_SINCE = _CHANGES.where(col(ArticleRevision.id) >= bindparam("hwm")).order_by(
    col(ArticleRevision.id)
)
_PENDING = _CHANGES.where(col(ArticleRevision.id).in_(bindparam("ids", expanding=True)))
_BY_ID = sa_select(*_ROW_COLUMNS).where(col(Article.id) == bindparam("id"))
_ARTICLE = table_of(Article)
_SET_KEY = (
    _ARTICLE.update()
    .where(_ARTICLE.c.id == bindparam("article_id"))
    .values(cluster_key=bindparam("key"))
)


def _row(values: Any) -> _Row:
    ident, digest, key, first_seen, published, historical = values[:6]
    return _Row(ident, digest, key, first_seen, published, bool(historical))


@dataclass
class _Day:
    last_used: int
    complete: bool = False  # False while its rows are being read: not yet a window's part
    entries: dict[int, _Entry] = field(default_factory=dict)


class _StoryIndex:
    """The clustered articles of one database, by story day, for the days this process uses.

    A day is either absent or complete: loaded from the database, then kept current from
    the revisions other processes commit (every new or changed article adds one, so reading
    revision ids above a high-water mark finds them) and from the articles clustered here.
    Revision ids seen missing below the mark belong to transactions still open (or rolled
    back) and are looked for again for ``PENDING_TTL`` seconds. The database stays the
    judge: a match is checked against its row before its key is used, so an entry of a
    rolled-back article, or one left from a database since emptied, is dropped, not joined.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()  # guards the fields below; never held over a query
        self._load_lock = threading.Lock()  # one window load at a time, so none sees a half day
        self._days: OrderedDict[int, _Day] = OrderedDict()  # least recently used first
        self._by_id: dict[int, _Entry] = {}
        self._calls = 0
        self._hwm: int | None = None  # revision id up to which commits are known
        self._hwm_row: tuple[int, int] | None = None  # (article_id, revision_no) at _hwm
        self._pending: dict[int, float] = {}  # missing revision id -> when first missed

    def __len__(self) -> int:
        with self._lock:
            return len(self._by_id)

    def loaded_days(self) -> list[int]:
        with self._lock:
            return sorted(self._days)

    # -- keeping current ---------------------------------------------------------------------

    def sync(self, session: Session, own: int) -> None:
        """Take in what other sessions committed since the last call (one indexed query).

        ``own`` is the article being clustered: its revision is not committed yet, so it does
        not move the mark (rolled back, it would leave the mark on a row that never was).
        The row at the mark is read too: if it is gone, the database was emptied or replaced.
        """
        with self._lock:
            hwm, hwm_row, pending = self._hwm, self._hwm_row, list(self._pending)
        conn = session.connection()
        if hwm is None:
            top = conn.execute(sa_select(func.max(col(ArticleRevision.id)))).scalar()
            hwm = max(0, (top or 0) - SYNC_LOOKBACK)
            with self._lock:
                if self._hwm is None:
                    self._hwm = hwm
        # Two statements, not one OR: SQLite answers "id >= ? OR id IN (...)" with a full scan.
        wanted: list[tuple[Any, dict[str, Any]]] = [(_SINCE, {"hwm": hwm})]
        if pending:
            wanted.append((_PENDING, {"ids": pending}))
        seen: dict[int, tuple[int, int]] = {}
        rows: dict[int, _Row] = {}
        for stmt, params in wanted:
            for rev_id, rev_no, *values in conn.execute(stmt, params):
                assert rev_id is not None
                row = _row(values)
                seen[rev_id] = (row.id, rev_no)
                rows[row.id] = row  # the article's current state, whichever revision named it
        if hwm_row is not None and seen.get(hwm) != hwm_row:
            # The revision at the mark is gone or another: the database was emptied or
            # replaced under the same URL. Start over; the windows reload from its rows.
            self._reset()
            self.sync(session, own)
            return
        rows.pop(own, None)
        self._apply(session, list(rows.values()))
        # The own article's revision is not committed yet: it is read again next time, or
        # looked for as a gap if committed revisions above it move the mark past it.
        committed = {rev_id: ident for rev_id, ident in seen.items() if ident[0] != own}
        with self._lock:
            now = time.monotonic()
            for rev_id in committed:
                self._pending.pop(rev_id, None)
            top = max(committed, default=hwm)
            # The revision at the mark itself was seen unless the mark is a fresh estimate.
            first_gap = hwm + 1 if hwm_row is not None else max(hwm, 1)
            for rev_id in range(max(first_gap, top - PENDING_MAX), top):
                if rev_id not in committed:
                    self._pending.setdefault(rev_id, now)
            for rev_id, since in list(self._pending.items()):
                if now - since > PENDING_TTL:
                    del self._pending[rev_id]
            while len(self._pending) > PENDING_MAX:
                del self._pending[min(self._pending)]
            if top in committed and (self._hwm is None or top > self._hwm):
                self._hwm, self._hwm_row = top, committed[top]

    def _apply(self, session: Session, rows: list[_Row]) -> None:
        """Bring the entries of loaded days in line with these rows (texts read if needed)."""
        stale: dict[int, _Row] = {}
        with self._lock:
            for row in rows:
                known = self._by_id.get(row.id)
                if not self._holds(_day(row.story)) or row.cluster_key is None:
                    if known is not None:
                        self._drop_locked(row.id)
                    continue
                if (
                    known is None
                    or known.content_hash != row.content_hash
                    or known.cluster_key != row.cluster_key
                    or known.story != row.story
                ):
                    stale[row.id] = row
        if not stale:
            return
        texts = session.connection().execute(
            sa_select(col(Article.id), col(Article.title), col(Article.text)).where(
                col(Article.id).in_(list(stale))
            )
        )
        fresh = [(stale[row_id], title, text) for row_id, title, text in texts if row_id]
        entries = [(row.id, row.entry(title, text)) for row, title, text in fresh]
        with self._lock:
            for row_id, entry in entries:
                self._drop_locked(row_id)
                if entry is not None and self._holds(_day(entry.story)):
                    self._put_locked(entry)

    def _reset(self) -> None:
        with self._lock:
            self._days.clear()
            self._by_id.clear()
            self._pending.clear()
            self._hwm = self._hwm_row = None

    # -- windows -----------------------------------------------------------------------------

    def window(self, session: Session, story: float) -> list[_Entry]:
        """Every indexed article whose story time is within ``WINDOW`` of ``story``."""
        span = WINDOW.total_seconds()
        first, last = _day(story - span), _day(story + span)
        with self._lock:
            self._calls += 1
        while True:
            self._load(session, first, last)
            with self._lock:
                days = [self._days.get(d) for d in range(first, last + 1)]
                if any(day is None or not day.complete for day in days):
                    continue  # another thread evicted one meanwhile: load it again
                found: list[_Entry] = []
                for d, day in zip(range(first, last + 1), days, strict=True):
                    assert day is not None
                    day.last_used = self._calls
                    self._days.move_to_end(d)
                    if first < d < last:
                        found.extend(day.entries.values())
                    else:
                        found.extend(
                            e for e in day.entries.values() if abs(e.story - story) <= span
                        )
                self._evict_locked()
                return found

    def _load(self, session: Session, first: int, last: int) -> None:
        """Read the days of ``first`` to ``last`` not held yet from the database."""
        with self._lock:
            if all(d in self._days and self._days[d].complete for d in range(first, last + 1)):
                return
        with self._load_lock:  # waits for a load under way; it leaves no day incomplete
            with self._lock:
                # Held, incomplete, while read: syncs and this process's articles land in
                # them meanwhile, and win over the (possibly older) rows read here.
                missing = [d for d in range(first, last + 1) if d not in self._days]
                for d in missing:
                    self._days[d] = _Day(last_used=self._calls)
            done = False
            try:
                loaded: list[_Entry] = []
                for start, end in _runs(missing):
                    loaded.extend(self._read_days(session, start, end))
                with self._lock:
                    # A reset meanwhile has dropped these days: then they are read again.
                    for entry in loaded:
                        if entry.id not in self._by_id and self._holds(_day(entry.story)):
                            self._put_locked(entry)
                    for d in missing:
                        if d in self._days:
                            self._days[d].complete = True
                done = True
            finally:
                if not done:
                    with self._lock:
                        for d in missing:
                            day = self._days.pop(d, None)
                            for article_id in day.entries if day else ():
                                self._by_id.pop(article_id, None)

    @staticmethod
    def _read_days(session: Session, first: int, last: int) -> list[_Entry]:
        """The clustered articles whose story time falls on days ``first`` to ``last``."""
        start, end = _day_start(first), _day_start(last + 1)
        published = col(Article.published_at)
        seen_at = col(Article.first_seen_at)
        clustered = col(Article.cluster_key).is_not(None)
        historical = col(Article.historical)
        # Two range conditions, each served by its own index, rather than one OR.
        by_publication = and_(
            clustered, historical, published.is_not(None), published >= start, published < end
        )
        by_first_seen = and_(
            clustered,
            or_(not_(historical), published.is_(None)),
            seen_at >= start,
            seen_at < end,
        )
        conn = session.connection()
        entries: list[_Entry] = []
        for where in (by_publication, by_first_seen):
            stmt = sa_select(*_ROW_COLUMNS, col(Article.title), col(Article.text)).where(where)
            for values in conn.execute(stmt):
                entry = _row(values).entry(values[6], values[7])
                if entry is not None:
                    entries.append(entry)
        return entries

    # -- entries -----------------------------------------------------------------------------

    def put(self, entry: _Entry) -> None:
        """Index an article clustered in this process (if its day is held)."""
        with self._lock:
            self._drop_locked(entry.id)
            if self._holds(_day(entry.story)):
                self._put_locked(entry)

    def drop(self, entry: _Entry) -> None:
        """Forget ``entry`` unless it has been replaced meanwhile."""
        with self._lock:
            if self._by_id.get(entry.id) is entry:
                self._drop_locked(entry.id)

    def _holds(self, day: int) -> bool:
        return day in self._days

    def _put_locked(self, entry: _Entry) -> None:
        self._days[_day(entry.story)].entries[entry.id] = entry
        self._by_id[entry.id] = entry

    def _drop_locked(self, article_id: int) -> None:
        old = self._by_id.pop(article_id, None)
        if old is not None:
            day = self._days.get(_day(old.story))
            if day is not None:
                day.entries.pop(article_id, None)

    def _evict_locked(self) -> None:
        # Days in use this call were just moved to the end, so they are never evicted here.
        while self._days:
            d, day = next(iter(self._days.items()))
            idle = day.last_used < self._calls - IDLE_CALLS
            if not day.complete or day.last_used >= self._calls:
                return
            if not (idle or len(self._by_id) > MAX_INDEXED):
                return
            del self._days[d]
            for article_id in day.entries:
                self._by_id.pop(article_id, None)


def _runs(days: list[int]) -> list[tuple[int, int]]:
    """Sorted days as (first, last) runs of consecutive days."""
    runs: list[tuple[int, int]] = []
    for d in sorted(days):
        if runs and runs[-1][1] == d - 1:
            runs[-1] = (runs[-1][0], d)
        else:
            runs.append((d, d))
    return runs


_INDEXES: OrderedDict[str, _StoryIndex] = OrderedDict()
_INDEXES_LOCK = threading.Lock()


def _index_for(session: Session) -> _StoryIndex:
    """The index of the session's database (one per URL, so test databases never mix)."""
    engine = session.get_bind().engine
    name = engine.url.render_as_string(hide_password=True)
    if engine.url.database in (None, "", ":memory:"):
        name += f"#{id(engine)}"  # every engine on an in-memory SQLite has its own database
    with _INDEXES_LOCK:
        index = _INDEXES.get(name)
        if index is None:
            index = _INDEXES[name] = _StoryIndex()
            while len(_INDEXES) > MAX_DATABASES:
                _INDEXES.popitem(last=False)
        _INDEXES.move_to_end(name)
        return index


def drop_indexes() -> None:
    """Forget every in-process index (they reload from the database when next needed)."""
    with _INDEXES_LOCK:
        _INDEXES.clear()


# -- assignment ------------------------------------------------------------------------------


def assign_cluster(*, session: Session, article: Article, shingled: Shingled | None = None) -> str:
    """Give ``article`` a ``cluster_key`` and return it; flushes, never commits.

    An article keeps the key it has (a revised story stays in its cluster). Otherwise it
    joins the cluster of a recent article that tells the same story, preferring the earliest
    such article, or starts its own. ``shingled``: its shingles, if computed already (an
    analysis worker does, off the writing process); used only if they are of its text.
    """
    if article.cluster_key:
        # A revision keeps the key; indexes take in its new text from its revision row.
        return article.cluster_key
    assert article.id is not None, "flush the article first"
    story = _story_time(article.historical, article.published_at, article.first_seen_at)
    index = _index_for(session)
    if shingled is not None and shingled.of_text(article.title, article.text) is None:
        shingled = None  # computed from another text: stale
    mine = shingles(article.title, article.text) if shingled is None else shingled.hashes
    key: str | None = None
    sketch: _Sketch | None = None
    if mine:  # an empty text matches nothing
        index.sync(session, own=article.id)
        sketch = _Sketch.of(mine, None if shingled is None else shingled.bits)
        window = index.window(session, story)
        candidates = sorted(
            (e for e in _possible(sketch, window) if e.id != article.id), key=lambda e: e.order
        )
        key = _earliest_match(session, index, mine, story, candidates)
    key = key or new_cluster_key(article)
    session.add(article)
    session.flush()  # whatever else is pending goes first, as when the key was flushed too
    session.connection().execute(_SET_KEY, {"article_id": article.id, "key": key})
    # Stored above: the session need not write it again.
    set_committed_value(article, "cluster_key", key)
    if sketch is not None:
        index.put(_entry(article, story, sketch))
    return key


def _entry(article: Article, story: float, sketch: _Sketch) -> _Entry:
    assert article.id is not None and article.cluster_key is not None
    return _Entry(
        id=article.id,
        content_hash=article.content_hash,
        cluster_key=article.cluster_key,
        first_seen=_timestamp(article.first_seen_at),
        story=story,
        sketch=sketch,
    )


def _earliest_match(
    session: Session,
    index: _StoryIndex,
    mine: frozenset[int],
    story: float,
    candidates: list[_Entry],
) -> str | None:
    """The key of the earliest candidate telling the same story, as its stored row says."""
    conn = session.connection()
    for entry in candidates:
        if not entry.sketch.tells_same_story(mine):
            continue
        stored = conn.execute(_BY_ID, {"id": entry.id}).first()
        if stored is None:
            index.drop(entry)  # rolled back, or the database was emptied since
            continue
        row = _row(stored)
        if row.content_hash == entry.content_hash and row.cluster_key == entry.cluster_key:
            return row.cluster_key
        # Revised (or re-keyed) by another process since it was indexed: judge the stored text.
        index.drop(entry)
        texts = conn.execute(
            sa_select(col(Article.title), col(Article.text)).where(col(Article.id) == entry.id)
        ).one()
        fresh = row.entry(texts[0], texts[1])
        if fresh is not None:
            index.put(fresh)
            in_window = abs(fresh.story - story) <= WINDOW.total_seconds()
            if in_window and fresh.sketch.tells_same_story(mine):
                return fresh.cluster_key
    return None
