"""A review site on a migrated SQLite database with one open policy change."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from storage.db import get_engine, upgrade
from tests.review.helpers import store_change, write_baseline


@dataclass(frozen=True)
class Site:
    engine: Engine
    baseline_path: Path
    change_ids: tuple[int, ...]


@pytest.fixture
def review_site(tmp_path: Path) -> Iterator[Site]:
    url = f"sqlite:///{(tmp_path / 'web.db').as_posix()}"
    upgrade(url)
    engine = get_engine(url)
    with Session(engine) as session:
        first = store_change(session, outlets=("Daily NK", "NK News"))
        from classify.types import Direction

        second = store_change(session, direction=Direction.TIGHTENING, first=10)
        ids = (first.id or 0, second.id or 0)
    try:
        yield Site(engine=engine, baseline_path=write_baseline(tmp_path), change_ids=ids)
    finally:
        engine.dispose()
