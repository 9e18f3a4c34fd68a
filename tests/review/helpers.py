"""Builders for review, alert and web tests: a baseline file and stored policy changes."""

from __future__ import annotations

from pathlib import Path

import yaml
from sqlmodel import Session

from classify.types import Direction
from storage.articles import upsert_article
from storage.assessments import record_assessment
from storage.baselines import ensure_baseline_version
from storage.models import PolicyChange
from tests.storage.helpers import T0, at, baseline, departing_signal, parsed, verdict


def write_baseline(directory: Path, version: str = "2025.1") -> Path:
    """The test baseline written as YAML, as ``tradewatch review accept`` will rewrite it."""
    path = directory / "baseline.yaml"
    data = baseline(version=version).model_dump(mode="json", exclude_none=True)
    path.write_text("# test baseline\n" + yaml.safe_dump(data, sort_keys=False), "utf-8")
    return path


def store_change(
    session: Session,
    *,
    outlets: tuple[str, ...] = ("Daily NK",),
    confidence: float = 0.8,
    historical: bool = False,
    direction: Direction = Direction.LOOSENING,
    first: int = 0,
) -> PolicyChange:
    """One article per outlet, each departing on trade_authority; returns the open change."""
    ensure_baseline_version(session=session, baseline=baseline())
    change: PolicyChange | None = None
    for n, outlet in enumerate(outlets, start=first):
        stored = upsert_article(
            session=session,
            parsed=parsed(
                url=f"https://news.example.org/{outlet.replace(' ', '-').lower()}/{n}",
                title=f"{outlet} hears provinces may sign trade contracts ({n})",
                published=at(-24 + n),
            ),
            source="s",
            outlet=outlet,
            historical=historical,
            now=T0,
        )
        result = record_assessment(
            session=session,
            article=stored.article,
            revision=stored.revision,
            assessment=verdict(departing_signal(direction=direction), confidence=confidence),
            now=at(n),
        )
        change = result.policy_changes[0]
    session.commit()
    assert change is not None
    return change
