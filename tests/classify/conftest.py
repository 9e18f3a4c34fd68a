"""Fixtures for classifier tests: the shipped baseline and a classifier built on it."""

from __future__ import annotations

from pathlib import Path

import pytest

from classify.baseline import Baseline, load_baseline
from classify.rules import RuleClassifier

ROOT = Path(__file__).resolve().parents[2]
BASELINE_FILE = ROOT / "config" / "baseline" / "dprk-trade.yaml"
LABELLED_FILE = ROOT / "tests" / "data" / "labelled.jsonl"


@pytest.fixture(scope="session")
def baseline() -> Baseline:
    return load_baseline(BASELINE_FILE)


@pytest.fixture(scope="session")
def classifier(baseline: Baseline) -> RuleClassifier:
    return RuleClassifier(baseline)
