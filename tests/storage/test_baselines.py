"""Baseline versions: stored once per content, edits without a new version refused."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from storage.baselines import BaselineConflict, ensure_baseline_version
from storage.models import BaselineVersion
from tests.storage.helpers import baseline


def test_stored_once_by_content_hash(session: Session) -> None:
    first = ensure_baseline_version(session=session, baseline=baseline(), source_path=None)
    session.commit()
    again = ensure_baseline_version(
        session=session, baseline=baseline(), source_path="config/baseline/dprk-trade.yaml"
    )
    session.commit()

    assert again.id == first.id
    assert again.source_path == "config/baseline/dprk-trade.yaml"
    rows = session.exec(select(BaselineVersion)).all()
    assert len(rows) == 1
    assert rows[0].content_hash == baseline().content_hash()
    assert rows[0].document["dimensions"][0]["id"] == "trade_authority"
    assert rows[0].document["as_of"] == "2025-01-15"
    assert rows[0].loaded_at.tzinfo is not None


def test_new_version_is_a_new_row(session: Session) -> None:
    ensure_baseline_version(session=session, baseline=baseline("2025.1"))
    ensure_baseline_version(
        session=session, baseline=baseline("2025.2", statement="Licences now delegated.")
    )
    versions = session.exec(select(BaselineVersion.version)).all()
    assert sorted(versions) == ["2025.1", "2025.2"]


def test_edit_without_version_bump_is_refused(session: Session) -> None:
    ensure_baseline_version(session=session, baseline=baseline("2025.1"))
    edited = baseline("2025.1", statement="Licences now delegated.")
    with pytest.raises(BaselineConflict, match=r"version '2025\.1'.*bump `version`"):
        ensure_baseline_version(session=session, baseline=edited, source_path="b.yaml")
