"""Scoring: relevance, direction with missed items counted as 'none', reading JSON Lines."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from classify.evaluate import (
    LabelledDataError,
    LabelledItem,
    evaluate,
    format_report,
    read_jsonl,
    report_to_json,
)
from classify.rules import RuleClassifier
from classify.types import ClassifierInput


def _item(item_id: str, label: str, text: str) -> LabelledItem:
    return LabelledItem(ClassifierInput(id=item_id, title="", text=text), label)


TIGHT = "North Korea sealed the border with China and arrested smugglers at Hyesan."
LOOSE = "North Korea reopened customs at Sinuiju and trucks crossed the bridge again."
NOISE = "North Korea fired a missile into the sea, Seoul said."


def test_missed_relevant_item_counts_as_none(classifier: RuleClassifier) -> None:
    report = evaluate(
        [
            _item("a", "tightening", TIGHT),
            _item("b", "loosening", LOOSE),
            _item("c", "reaffirmation", NOISE),  # classifier will call it not relevant
            _item("d", "dprk_not_trade", NOISE),
        ],
        classifier,
    )
    assert report.confusion["reaffirmation"]["none"] == 1
    assert report.direction["reaffirmation"].recall == 0.0
    assert report.direction["tightening"].f1 == 1.0
    assert report.relevance.recall == pytest.approx(2 / 3)
    assert report.relevance.precision == 1.0
    assert ("c", "reaffirmation", "none") in report.errors


def test_format_report_ends_with_summary_line(classifier: RuleClassifier) -> None:
    report = evaluate([_item("a", "tightening", TIGHT), _item("b", "non_dprk", "x")], classifier)
    text = format_report(report)
    assert text.splitlines()[-1] == "relevance_f1=1.000 direction_macro_f1=0.333"
    data = report_to_json(report)
    assert json.loads(json.dumps(data))["relevance"]["f1"] == 1.0


def test_relevance_is_also_scored_by_text_length(classifier: RuleClassifier) -> None:
    long_noise = " ".join([NOISE] * 3)
    report = evaluate(
        [
            _item("a", "tightening", TIGHT),  # one sentence, found
            _item("b", "reaffirmation", NOISE),  # one sentence, missed
            _item("c", "loosening", f"{LOOSE} {LOOSE} {LOOSE}"),  # three sentences, found
            _item("d", "dprk_not_trade", long_noise),
        ],
        classifier,
    )
    short, longer = report.relevance_by_length["short"], report.relevance_by_length["longer"]
    assert (short.recall, short.support) == (0.5, 2)
    assert (longer.recall, longer.support) == (1.0, 1)
    text = format_report(report)
    assert "short texts (at most 2 sentences): precision=1.000 recall=0.500" in text
    assert report_to_json(report)["relevance_by_length"]["longer"]["recall"] == 1.0  # type: ignore[index]


def test_read_jsonl_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    good = json.dumps({"id": "1", "title": "t", "text": "x", "label": "non_dprk"})
    path.write_text(f"{good}\n\n{{not json\n", encoding="utf-8")
    with pytest.raises(LabelledDataError, match=r"items\.jsonl:3: invalid JSON"):
        read_jsonl(path)
    path.write_text(good.replace("non_dprk", "sideways") + "\n", encoding="utf-8")
    with pytest.raises(LabelledDataError, match=r":1: unknown label 'sideways'"):
        read_jsonl(path)
    path.write_text(json.dumps({"id": "1", "title": "t", "label": "non_dprk"}), "utf-8")
    with pytest.raises(LabelledDataError, match=r":1: field 'text' must be a string"):
        read_jsonl(path)


def test_departures_outside_the_gold_dimensions_are_counted(
    classifier: RuleClassifier,
) -> None:
    granted = ClassifierInput(
        id="g",
        title="North Korea grants trading companies independent trade authority",
        text="North Korea has granted independent trade authority to major trading "
        "companies. Negotiation teams of up to ten members may now travel abroad.",
    )
    report = evaluate(
        [
            LabelledItem(granted, "loosening", dimensions=("trade_authority",)),
            _item("t", "tightening", TIGHT),  # no gold dimensions: not counted
        ],
        classifier,
    )
    assert report.items_with_dimensions == 1
    assert report.departing_signals == 2
    assert report.stray_departures == [("g", "negotiation_delegations", "loosening")]
    text = format_report(report)
    assert "1 on a dimension outside the gold list" in text
    assert "  stray g: negotiation_delegations loosening" in text
    assert report_to_json(report)["departures"] == {
        "items_with_dimensions": 1,
        "departing_signals": 2,
        "stray": [{"id": "g", "dimension": "negotiation_delegations", "direction": "loosening"}],
    }


def test_read_jsonl_takes_gold_dimensions(tmp_path: Path) -> None:
    path = tmp_path / "items.jsonl"
    line = {"id": "1", "title": "t", "text": "x", "label": "loosening", "dimensions": ["a"]}
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    assert read_jsonl(path)[0].dimensions == ("a",)
    path.write_text(json.dumps(line | {"dimensions": "a"}) + "\n", encoding="utf-8")
    with pytest.raises(LabelledDataError, match=r":1: field 'dimensions' must be a list"):
        read_jsonl(path)
