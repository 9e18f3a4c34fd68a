"""Every verdict is identical to the golden one recorded before the classifier was optimised.

See ``tests/classify/golden.py`` for what each corpus holds and how verdicts are serialised.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from typing import Any

import pytest

from classify.baseline import Baseline
from classify.rules import RuleClassifier
from classify.types import ClassifierInput
from tests.classify import golden


@cache
def _golden() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(golden.GOLDEN_FILE.read_text("utf-8"))
    return data


@cache
def _corpora(baseline: Baseline) -> dict[str, tuple[RuleClassifier, list[ClassifierInput]]]:
    return golden.corpora(baseline)


def test_golden_baseline_is_the_shipped_one(baseline: Baseline) -> None:
    assert _golden()["baseline_hash"] == baseline.content_hash(), (
        "the shipped baseline changed since the golden verdicts were recorded; once its new "
        "verdicts are reviewed, rewrite them: python -m tests.classify.golden --write"
    )


@pytest.mark.parametrize("name", ["labelled", "heldout", "dev", "bench", "fuzz", "odd"])
def test_verdicts_match_golden(name: str, baseline: Baseline) -> None:
    if baseline.content_hash() != _golden()["baseline_hash"]:
        pytest.skip("baseline changed (see test_golden_baseline_is_the_shipped_one)")
    corpora = _corpora(baseline)
    if name not in corpora:
        pytest.skip(f"{golden.DEV_FILE} is not present")
    classifier, items = corpora[name]
    if name == "odd":
        assert golden.odd_baseline(baseline).content_hash() == _golden()["odd_baseline_hash"], (
            "the synthetic baseline changed since its golden verdicts were recorded"
        )
    if name in golden.GENERATED:
        assert golden.inputs_digest(items) == _golden()["inputs"][name], (
            f"the {name} items are not the ones the golden verdicts were recorded for: "
            "their generator changed, not the classifier"
        )
    expected = {row[0]: row[1] for row in _golden()[name]}
    assert [item.id for item in items] == list(expected)
    got = {row[0]: row[1] for row in golden.record(name, classifier, items)}
    wrong = [item_id for item_id in expected if got[item_id] != expected[item_id]]
    if wrong and name in golden.FULL:
        first = wrong[0]
        assert got[first] == expected[first], f"{len(wrong)} verdicts differ, first {first}"
    assert not wrong, f"{len(wrong)} of {len(items)} verdicts differ: {wrong[:20]}"


def test_first_use_and_threads_match_golden(baseline: Baseline) -> None:
    """A cue is indexed under its stems until it first could match, then under its required
    prefixes; and a classifier is shared by a process's threads. Neither may change a
    verdict: a fresh classifier per item always takes the first path, and threads share one
    while it changes."""
    if baseline.content_hash() != _golden()["baseline_hash"]:
        pytest.skip("baseline changed (see test_golden_baseline_is_the_shipped_one)")
    _, items = _corpora(baseline)["fuzz"]
    expected = {row[0]: row[1] for row in _golden()["fuzz"]}
    sample = items[:80]
    for item in sample:
        verdict = RuleClassifier(baseline).assess(item)
        assert golden.digest(golden.canonical(verdict)) == expected[item.id], item.id
    shared = RuleClassifier(baseline)
    with ThreadPoolExecutor(max_workers=4) as pool:
        verdicts = list(pool.map(shared.assess, items[:800]))
    for item, verdict in zip(items, verdicts, strict=False):
        assert golden.digest(golden.canonical(verdict)) == expected[item.id], item.id
