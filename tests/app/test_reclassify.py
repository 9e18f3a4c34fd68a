"""Replay: new assessments beside the old, changes reported, nothing alert-worthy."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, col, select

from classify.rules import CLASSIFIER_VERSION
from classify.types import Direction, Relation
from parsers.base import ParsedArticle
from storage.articles import upsert_article
from storage.assessments import record_assessment
from storage.db import get_engine
from storage.models import Assessment, PolicyChange
from tests.storage.helpers import verdict
from tradewatch.cli import main
from tradewatch.pipeline import prepare_database
from tradewatch.reclassify import reclassify
from tradewatch.settings import Settings

LOOSENING = (
    "North Korea has granted independent trade authority to provincial trading companies, "
    "which may now sign contracts with Chinese buyers on their own. Customs at Sinuiju "
    "reopened and trucks crossed the bridge from Dandong."
)
MISSILE = "North Korea fired a ballistic missile into the East Sea on Thursday, Seoul said."
T0 = datetime(2025, 3, 1, 8, tzinfo=UTC)


def _seed(settings: Settings) -> dict[str, int]:
    """Two live articles assessed by an older classifier that called both unrelated."""
    baseline = prepare_database(settings)
    engine = get_engine(settings.resolved_database_url)
    ids: dict[str, int] = {}
    try:
        with Session(engine) as session:
            for n, (name, text, seen) in enumerate(
                (("trade", LOOSENING, T0), ("missile", MISSILE, datetime(2025, 5, 1, tzinfo=UTC)))
            ):
                stored = upsert_article(
                    session=session,
                    parsed=ParsedArticle(
                        url=f"https://example.org/{n}", title=name.title(), text=text
                    ),
                    source="desk",
                    outlet="Desk",
                    now=seen,
                )
                record_assessment(
                    session=session,
                    article=stored.article,
                    revision=stored.revision,
                    assessment=verdict(
                        baseline_version=baseline.version, classifier_version="rules-0"
                    ),
                    now=seen,
                )
                assert stored.article.id is not None
                ids[name] = stored.article.id
            session.commit()
    finally:
        engine.dispose()
    return ids


@pytest.fixture
def settings(db_url: str, tmp_path: Path) -> Settings:
    return Settings(database_url=db_url, data_dir=tmp_path)


def test_reclassify_stores_beside_and_reports_changes(settings: Settings) -> None:
    ids = _seed(settings)
    report = reclassify(settings, since=None, baseline_file=None)

    assert report.articles == 2 and report.assessed == 2 and report.already == 0
    assert report.classifier_version == CLASSIFIER_VERSION
    assert [c.article_id for c in report.changes] == [ids["trade"]]
    change = report.changes[0]
    assert change.old_relation is Relation.UNRELATED and change.new_relation is Relation.DEPARTS
    assert change.new_direction is Direction.LOOSENING
    assert change.old_versions.endswith("/rules-0")
    assert report.policy_changes >= 1

    engine = get_engine(settings.resolved_database_url)
    try:
        with Session(engine) as session:
            rows = session.exec(
                select(Assessment)
                .where(Assessment.article_id == ids["trade"])
                .order_by(col(Assessment.id))
            ).all()
            assert [r.classifier_version for r in rows] == ["rules-0", CLASSIFIER_VERSION]
            assert rows[1].historical and not rows[0].historical
            assert session.exec(select(PolicyChange)).first() is not None
            # Policy changes open as usual; replayed assessments carry the historical marker.
            assert all(
                r.historical
                for r in session.exec(
                    select(Assessment).where(Assessment.classifier_version == CLASSIFIER_VERSION)
                )
            )
    finally:
        engine.dispose()

    again = reclassify(settings, since=None, baseline_file=None)
    assert again.assessed == 0 and again.already == 2 and not again.changes


def test_since_limits_the_articles(settings: Settings) -> None:
    ids = _seed(settings)
    report = reclassify(settings, since=datetime(2025, 4, 1, tzinfo=UTC), baseline_file=None)
    assert report.articles == 1 and not report.changes
    assert report.assessed == 1 and ids["missile"]


def test_cli_json_and_bad_date(
    settings: Settings,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _seed(settings)
    monkeypatch.setenv("TRADEWATCH_DATABASE_URL", db_url)
    monkeypatch.setenv("TRADEWATCH_DATA_DIR", str(tmp_path))
    assert main(["reclassify", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["assessed"] == 2 and out["changed"] == 1
    assert out["changes"][0]["relation"] == ["unrelated", "departs"]
    assert main(["reclassify", "--since", "yesterday"]) == 2
    assert "--since" in capsys.readouterr().err
