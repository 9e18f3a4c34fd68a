"""``GroupedWrites``: items committed in groups, counted only once committed, and on failure
written again one per transaction (once more after a lost connection). Against a real SQLite
file, watched from a connection of its own, with a table of the test's own."""

from __future__ import annotations

import logging
import sqlite3
from collections import Counter
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    event,
    select,
    text,
)
from sqlalchemy.engine import Engine, ExceptionContext
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from tradewatch.write_groups import GroupedWrites

metadata = MetaData()
items = Table(
    "items",
    metadata,
    Column("id", Integer, primary_key=True),
    # Not unique: an item committed twice must show up as two rows.
    Column("name", String, nullable=False),
)


def lost() -> OperationalError:
    return OperationalError(
        "INSERT INTO items",
        {},
        Exception("server closed the connection"),
        connection_invalidated=True,
    )


def not_lost() -> OperationalError:
    return OperationalError(
        "INSERT INTO items", {}, Exception("disk I/O error"), connection_invalidated=False
    )


class Writer:
    """Inserts a row per item and returns the item; raises ``failures[item][n]`` on its n-th
    call for ``item``, after the insert, so that only a rollback keeps the row out."""

    def __init__(
        self,
        failures: dict[str, dict[int, BaseException]] | None = None,
        *,
        idempotent: bool = False,
    ) -> None:
        self.failures = failures or {}
        self.idempotent = idempotent
        self.calls: Counter[str] = Counter()

    def __call__(self, session: Session, item: str) -> str:
        self.calls[item] += 1
        connection = session.connection()
        if self.idempotent:
            found = connection.execute(select(items.c.id).where(items.c.name == item)).first()
            if found is not None:
                return item
        connection.execute(items.insert(), {"name": item})
        error = self.failures.get(item, {}).get(self.calls[item])
        if error is not None:
            raise error
        return item


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "t.db"


@pytest.fixture
def engine(db_path: Path) -> Iterator[Engine]:
    engine = create_engine(f"sqlite:///{db_path}")
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def stored(db_path: Path) -> Counter[str]:
    """The rows per item, as another connection sees them."""
    with closing(sqlite3.connect(db_path)) as connection:
        rows = connection.execute("SELECT name, count(*) FROM items GROUP BY name").fetchall()
    return Counter({name: count for name, count in rows})


def assert_write_lock_free(db_path: Path) -> None:
    """No session left open holds SQLite's write lock."""
    with closing(sqlite3.connect(db_path, timeout=0)) as other:
        other.execute("INSERT INTO items (name) VALUES ('probe')")
        other.rollback()


def tally(*names: str) -> Counter[str]:
    """How many times each name is listed."""
    return Counter(names)


def fill_first_group(engine: Engine, db_path: Path, counted: list[str]) -> None:
    """Commits a, b, c as a group of their own, for tests that must leave it untouched."""
    with GroupedWrites(engine, Writer(), counted.append, size=3) as writes:
        for item in "abc":
            writes.add(item)
    assert stored(db_path) == tally("a", "b", "c")


# -- committing in groups -----------------------------------------------------------------


def test_a_group_is_visible_and_counted_only_once_committed(engine: Engine, db_path: Path) -> None:
    counted: list[str] = []
    writes = GroupedWrites(engine, Writer(), counted.append, size=3)

    writes.add("a")
    writes.add("b")
    assert stored(db_path) == Counter()
    assert counted == []

    writes.add("c")
    assert stored(db_path) == tally("a", "b", "c")
    assert counted == ["a", "b", "c"]

    writes.add("d")
    assert stored(db_path) == tally("a", "b", "c")
    assert counted == ["a", "b", "c"]


def test_commit_commits_a_partial_group(engine: Engine, db_path: Path) -> None:
    counted: list[str] = []
    writes = GroupedWrites(engine, Writer(), counted.append, size=3)

    writes.commit()  # nothing open yet
    writes.add("a")
    writes.commit()
    assert stored(db_path) == tally("a")
    assert counted == ["a"]

    writes.commit()  # nothing open any more: nothing counted again
    assert counted == ["a"]

    writes.add("b")
    writes.add("c")
    assert stored(db_path) == tally("a")
    writes.add("d")  # a new group, full at its third item
    assert stored(db_path) == tally("a", "b", "c", "d")
    assert counted == ["a", "b", "c", "d"]


def test_commit_releases_the_sqlite_write_lock(engine: Engine, db_path: Path) -> None:
    writes = GroupedWrites(engine, Writer(), lambda _: None, size=3)
    writes.add("a")

    with closing(sqlite3.connect(db_path, timeout=0)) as other:
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("INSERT INTO items (name) VALUES ('other')")
        other.rollback()

        writes.commit()
        other.execute("INSERT INTO items (name) VALUES ('other')")
        other.commit()

    assert stored(db_path) == tally("a", "other")


def test_leaving_the_block_commits_the_open_group(engine: Engine, db_path: Path) -> None:
    counted: list[str] = []
    with GroupedWrites(engine, Writer(), counted.append, size=3) as writes:
        for item in "abcd":
            writes.add(item)
        assert stored(db_path) == tally("a", "b", "c")
        assert counted == ["a", "b", "c"]

    assert stored(db_path) == tally("a", "b", "c", "d")
    assert counted == ["a", "b", "c", "d"]


def test_a_group_of_one_commits_every_item(engine: Engine, db_path: Path) -> None:
    counted: list[str] = []
    writes = GroupedWrites(engine, Writer(), counted.append, size=1)

    writes.add("a")
    assert stored(db_path) == tally("a")
    writes.add("b")
    assert stored(db_path) == tally("a", "b")
    assert counted == ["a", "b"]


@pytest.mark.parametrize("size", [0, -1])
def test_a_group_holds_at_least_one_item(engine: Engine, size: int) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        GroupedWrites(engine, Writer(), lambda _: None, size=size)


# -- a write that fails -------------------------------------------------------------------


@pytest.mark.parametrize("failing", ["d", "e", "f"])
def test_a_failed_write_is_raised_and_the_group_before_it_kept(
    engine: Engine, db_path: Path, failing: str
) -> None:
    counted: list[str] = []
    fill_first_group(engine, db_path, counted)
    writer = Writer({failing: {1: ValueError("bad item")}})
    writes = GroupedWrites(engine, writer, counted.append, size=3)

    earlier = "def"[: "def".index(failing)]
    with pytest.raises(ValueError, match="bad item"):
        for item in "def":
            writes.add(item)

    assert stored(db_path) == tally("a", "b", "c", *earlier)
    assert Counter(counted) == tally("a", "b", "c", *earlier)
    assert writer.calls[failing] == 1
    # Written in the group, rolled back, written again alone.
    assert all(writer.calls[item] == 2 for item in earlier)


def test_a_db_error_without_a_lost_connection_is_raised(engine: Engine, db_path: Path) -> None:
    counted: list[str] = []
    writer = Writer({"b": {1: not_lost()}})
    writes = GroupedWrites(engine, writer, counted.append, size=3)

    writes.add("a")
    with pytest.raises(OperationalError, match="disk I/O error"):
        writes.add("b")

    assert stored(db_path) == tally("a")
    assert counted == ["a"]
    assert writer.calls["b"] == 1


def test_groups_go_on_after_a_failed_write(engine: Engine, db_path: Path) -> None:
    counted: list[str] = []
    writes = GroupedWrites(engine, Writer({"b": {1: ValueError()}}), counted.append, size=3)
    writes.add("a")
    with pytest.raises(ValueError):
        writes.add("b")

    writes.add("x")
    writes.add("y")
    assert stored(db_path) == tally("a")
    writes.add("z")
    assert stored(db_path) == tally("a", "x", "y", "z")
    assert counted == ["a", "x", "y", "z"]


@pytest.mark.parametrize("failing", ["d", "e", "f"])
def test_a_write_cut_off_by_a_lost_connection_is_done_again(
    engine: Engine, db_path: Path, failing: str, caplog: pytest.LogCaptureFixture
) -> None:
    counted: list[str] = []
    fill_first_group(engine, db_path, counted)
    writer = Writer({failing: {1: lost()}})
    writes = GroupedWrites(engine, writer, counted.append, size=3)

    with caplog.at_level(logging.WARNING, logger="tradewatch.write_groups"):
        for item in "def":
            writes.add(item)
        writes.commit()

    assert stored(db_path) == tally(*"abcdef")
    assert Counter(counted) == tally(*"abcdef")
    assert writer.calls[failing] == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "again" in warnings[0]
    assert failing in warnings[0]


def test_a_connection_really_invalidated_mid_group_is_replaced(
    engine: Engine, db_path: Path
) -> None:
    # SQLAlchemy invalidates the group's connection itself, as it does when a server goes
    # away, rather than the write raising a made-up error over a sound connection.
    @event.listens_for(engine, "handle_error")
    def as_disconnect(context: ExceptionContext) -> None:
        if "no_such_table" in str(context.statement):
            context.is_disconnect = True

    counted: list[str] = []
    calls: Counter[str] = Counter()

    def write(session: Session, item: str) -> str:
        calls[item] += 1
        connection = session.connection()
        connection.execute(items.insert(), {"name": item})
        if item == "b" and calls[item] == 1:
            connection.execute(text("SELECT * FROM no_such_table"))
        return item

    with GroupedWrites(engine, write, counted.append, size=3) as writes:
        for item in "abcd":
            writes.add(item)

    assert stored(db_path) == tally("a", "b", "c", "d")
    assert counted == ["a", "b", "c", "d"]
    assert calls == tally("a", "a", "b", "b", "c", "d")


def test_a_write_that_loses_its_connection_twice_is_raised(engine: Engine, db_path: Path) -> None:
    counted: list[str] = []
    writer = Writer({"b": {1: lost(), 2: lost()}})
    writes = GroupedWrites(engine, writer, counted.append, size=3)

    writes.add("a")
    with pytest.raises(OperationalError, match="server closed"):
        writes.add("b")

    assert stored(db_path) == tally("a")
    assert counted == ["a"]
    assert writer.calls["b"] == 2


def test_an_earlier_item_losing_its_connection_when_written_alone_is_done_again(
    engine: Engine, db_path: Path
) -> None:
    counted: list[str] = []
    # a: in the group, then alone (connection lost), then alone again.
    writer = Writer({"a": {2: lost()}, "b": {1: ValueError("bad item")}})
    writes = GroupedWrites(engine, writer, counted.append, size=3)

    writes.add("a")
    with pytest.raises(ValueError, match="bad item"):
        writes.add("b")

    assert stored(db_path) == tally("a")
    assert counted == ["a"]
    assert writer.calls["a"] == 3


def test_an_earlier_item_failing_otherwise_when_written_alone_is_not_tried_again(
    engine: Engine, db_path: Path
) -> None:
    counted: list[str] = []
    writer = Writer({"a": {2: not_lost()}, "b": {1: ValueError("bad item")}})
    writes = GroupedWrites(engine, writer, counted.append, size=3)

    writes.add("a")
    with pytest.raises(OperationalError, match="disk I/O error") as raised:
        writes.add("b")

    assert isinstance(raised.value.__context__, ValueError)
    assert stored(db_path) == Counter()
    assert counted == []
    assert writer.calls == tally("a", "a", "b")


# -- a COMMIT that fails ------------------------------------------------------------------


def fail_first_commit(monkeypatch: pytest.MonkeyPatch, *, after_committing: bool) -> None:
    """The next ``Session.commit`` raises a lost connection, before or after it committed."""
    real_commit = Session.commit
    failed = False

    def commit(session: Session) -> None:
        nonlocal failed
        if failed:
            real_commit(session)
            return
        failed = True
        if after_committing:
            real_commit(session)
        raise lost()

    monkeypatch.setattr(Session, "commit", commit)


@pytest.mark.parametrize("how", ["full", "commit", "exit"])
def test_a_failed_commit_writes_the_group_again_one_at_a_time(
    engine: Engine,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    how: str,
) -> None:
    counted: list[str] = []
    fill_first_group(engine, db_path, counted)
    fail_first_commit(monkeypatch, after_committing=False)
    writer = Writer()
    names = "def" if how == "full" else "de"

    with (
        caplog.at_level(logging.WARNING, logger="tradewatch.write_groups"),
        GroupedWrites(engine, writer, counted.append, size=3) as writes,
    ):
        for item in names:
            writes.add(item)
        if how == "commit":
            writes.commit()
        if how != "exit":
            assert stored(db_path) == tally("a", "b", "c", *names)

    assert stored(db_path) == tally("a", "b", "c", *names)
    assert Counter(counted) == tally("a", "b", "c", *names)
    assert writer.calls == tally(*names, *names)
    assert any("one at a time" in r.getMessage() for r in caplog.records)


def test_a_commit_reported_failed_after_it_committed_stores_each_item_once(
    engine: Engine, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[str] = []
    fail_first_commit(monkeypatch, after_committing=True)
    writes = GroupedWrites(engine, Writer(idempotent=True), counted.append, size=3)

    for item in "abc":
        writes.add(item)

    assert stored(db_path) == tally("a", "b", "c")
    assert counted == ["a", "b", "c"]


# -- interrupted, or left because of an error elsewhere ------------------------------------


@pytest.mark.parametrize("in_block", [True, False])
def test_an_interrupted_write_discards_the_open_group(
    engine: Engine, db_path: Path, in_block: bool
) -> None:
    counted: list[str] = []
    fill_first_group(engine, db_path, counted)
    writer = Writer({"f": {1: KeyboardInterrupt()}})
    writes = GroupedWrites(engine, writer, counted.append, size=3)

    with pytest.raises(KeyboardInterrupt):
        if in_block:
            with writes:
                for item in "def":
                    writes.add(item)
        else:
            for item in "def":
                writes.add(item)

    assert stored(db_path) == tally("a", "b", "c")
    assert counted == ["a", "b", "c"]
    assert writer.calls == tally("d", "e", "f")
    assert_write_lock_free(db_path)


def test_an_interrupt_between_writes_discards_the_open_group(engine: Engine, db_path: Path) -> None:
    counted: list[str] = []
    fill_first_group(engine, db_path, counted)

    with (
        pytest.raises(KeyboardInterrupt),
        GroupedWrites(engine, Writer(), counted.append, size=3) as writes,
    ):
        writes.add("d")
        raise KeyboardInterrupt

    assert stored(db_path) == tally("a", "b", "c")
    assert counted == ["a", "b", "c"]


def test_an_interrupted_commit_counts_nothing(
    engine: Engine, db_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[str] = []

    def interrupted(session: Session) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(Session, "commit", interrupted)
    writes = GroupedWrites(engine, Writer(), counted.append, size=3)
    writes.add("a")
    writes.add("b")
    with pytest.raises(KeyboardInterrupt):
        writes.add("c")

    assert stored(db_path) == Counter()
    assert counted == []
    assert_write_lock_free(db_path)


def test_an_error_elsewhere_keeps_the_items_written(engine: Engine, db_path: Path) -> None:
    counted: list[str] = []

    with (
        pytest.raises(RuntimeError, match="fetch failed"),
        GroupedWrites(engine, Writer(), counted.append, size=3) as writes,
    ):
        writes.add("a")
        writes.add("b")
        raise RuntimeError("fetch failed")

    assert stored(db_path) == tally("a", "b")
    assert counted == ["a", "b"]


def test_an_error_elsewhere_is_raised_even_if_the_last_items_cannot_be_stored(
    engine: Engine,
    db_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    counted: list[str] = []
    fail_first_commit(monkeypatch, after_committing=False)
    # The group's COMMIT fails, and then so does writing a alone.
    writer = Writer({"a": {2: ValueError("bad item")}})

    with (
        caplog.at_level(logging.WARNING, logger="tradewatch.write_groups"),
        pytest.raises(RuntimeError, match="fetch failed"),
        GroupedWrites(engine, writer, counted.append, size=3) as writes,
    ):
        writes.add("a")
        writes.add("b")
        raise RuntimeError("fetch failed")

    assert stored(db_path) == Counter()
    assert counted == []
    assert any(
        r.levelno == logging.ERROR and "could not store" in r.getMessage() for r in caplog.records
    )


# -- items written apart, and writes that lost a race ---------------------------------------


class Conflict(Exception):
    """A driver error carrying a SQLSTATE, as psycopg's do."""

    def __init__(self, sqlstate: str) -> None:
        super().__init__(f"SQLSTATE {sqlstate}")
        self.sqlstate = sqlstate


def conflict(sqlstate: str) -> OperationalError:
    return OperationalError(
        "INSERT INTO items", {}, Conflict(sqlstate), connection_invalidated=False
    )


def commits_of(engine: Engine) -> list[int]:
    """A list growing by one at every COMMIT on ``engine``."""
    commits: list[int] = []
    event.listen(engine, "commit", lambda conn: commits.append(1))
    return commits


def test_an_item_written_alone_has_a_transaction_of_its_own(engine: Engine, db_path: Path) -> None:
    counted: list[str] = []
    commits = commits_of(engine)
    writes = GroupedWrites(
        engine, Writer(), counted.append, size=3, alone=lambda item: item.startswith("!")
    )

    writes.add("a")
    writes.add("b")
    assert stored(db_path) == Counter()
    writes.add("!x")  # the group before it commits, then it alone
    assert stored(db_path) == tally("a", "b", "!x")
    assert (counted, len(commits)) == (["a", "b", "!x"], 2)
    writes.add("!y")  # nothing open before it: one commit
    assert len(commits) == 3

    for item in "cde":
        writes.add(item)
    assert stored(db_path) == tally("a", "b", "!x", "!y", "c", "d", "e")
    assert (counted, len(commits)) == (["a", "b", "!x", "!y", "c", "d", "e"], 4)


def test_items_not_written_alone_share_a_group(engine: Engine, db_path: Path) -> None:
    commits = commits_of(engine)
    with GroupedWrites(engine, Writer(), lambda _: None, size=3, alone=lambda _: False) as writes:
        for item in "abc":
            writes.add(item)
    assert stored(db_path) == tally("a", "b", "c")
    assert len(commits) == 1


@pytest.mark.parametrize("sqlstate", ["40P01", "40001"])
@pytest.mark.parametrize("failing", ["b", "!x"])
def test_a_write_losing_a_deadlock_or_serialization_race_is_done_again(
    engine: Engine, db_path: Path, caplog: pytest.LogCaptureFixture, sqlstate: str, failing: str
) -> None:
    counted: list[str] = []
    writer = Writer({failing: {1: conflict(sqlstate)}})
    writes = GroupedWrites(
        engine, writer, counted.append, size=3, alone=lambda item: item.startswith("!")
    )

    with caplog.at_level(logging.WARNING, logger="tradewatch.write_groups"):
        for item in ("a", "b", "!x"):
            writes.add(item)
        writes.commit()

    assert stored(db_path) == tally("a", "b", "!x")
    assert Counter(counted) == tally("a", "b", "!x")
    assert writer.calls[failing] == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "lost a race" in warnings[0] and failing in warnings[0]


def test_a_write_losing_the_callers_race_is_done_again_once(engine: Engine, db_path: Path) -> None:
    counted: list[str] = []
    taken = ValueError("key taken meanwhile")
    writer = Writer({"b": {1: taken}, "c": {1: taken, 2: taken}})
    writes = GroupedWrites(
        engine, writer, counted.append, size=3, lost_race=lambda exc: exc is taken
    )

    writes.add("a")
    writes.add("b")
    with pytest.raises(ValueError, match="taken meanwhile"):
        writes.add("c")

    assert stored(db_path) == tally("a", "b")
    assert counted == ["a", "b"]
    assert writer.calls == tally("a", "a", "b", "b", "c", "c")


def test_an_earlier_item_losing_a_race_when_written_alone_is_done_again(
    engine: Engine, db_path: Path
) -> None:
    counted: list[str] = []
    # a: in the group, then alone (a deadlock), then alone again.
    writer = Writer({"a": {2: conflict("40P01")}, "b": {1: ValueError("bad item")}})
    writes = GroupedWrites(engine, writer, counted.append, size=3)

    writes.add("a")
    with pytest.raises(ValueError, match="bad item"):
        writes.add("b")

    assert stored(db_path) == tally("a")
    assert counted == ["a"]
    assert writer.calls["a"] == 3


def test_another_sqlstate_is_not_a_lost_race(engine: Engine, db_path: Path) -> None:
    writer = Writer({"a": {1: conflict("23505")}})
    writes = GroupedWrites(engine, writer, lambda _: None, size=3)

    with pytest.raises(OperationalError, match="23505"):
        writes.add("a")
    assert writer.calls["a"] == 1
    assert stored(db_path) == Counter()
