"""The classifier must not fall below the recorded floors on the labelled corpus.

Lowering a floor in quality_floor.json is an explicit, reviewed edit.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

from classify.evaluate import LABELS, evaluate, format_report, read_jsonl
from classify.rules import RuleClassifier
from tests.classify.conftest import LABELLED_FILE

FLOORS = json.loads((Path(__file__).parent / "quality_floor.json").read_text("utf-8"))


def test_labelled_corpus_covers_every_label() -> None:
    items = read_jsonl(LABELLED_FILE)
    assert len(items) >= 40
    assert set(Counter(i.label for i in items)) == set(LABELS)
    assert len({i.item.id for i in items}) == len(items)


def test_quality_floor(classifier: RuleClassifier) -> None:
    report = evaluate(read_jsonl(LABELLED_FILE), classifier)
    summary = format_report(report)
    assert report.relevance.f1 >= FLOORS["relevance_f1"], summary
    assert report.direction_macro_f1 >= FLOORS["direction_macro_f1"], summary
