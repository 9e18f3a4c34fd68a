"""Measuring the classifier against labelled items.

Labels: ``loosening``, ``tightening``, ``reaffirmation`` (relevant, with that direction),
``dprk_not_trade`` and ``non_dprk`` (both "not relevant").

Relevance is scored as a binary task over all items. Direction is scored over the items whose
gold label is relevant, as a three-class task (loosening / tightening / reaffirmation): an
item the classifier calls not relevant counts as predicted ``none``, so it lowers recall of
its gold class without adding a false positive to any class. Items whose gold label is not
relevant do not enter the direction scores (they already cost relevance precision).

Relevance is also scored by the length of the item's text (``SHORT_SENTENCES`` sentences or
fewer, and longer): one- and two-sentence alerts are where the classifier misses most, and a
corpus-wide figure hides how much.

An item may also name its gold ``dimensions`` (the policy dimensions it is about). Where it
does, every departing signal on a dimension outside that list is counted as a stray
departure: the digest would lead with a change the item does not report.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from classify.rules import RuleClassifier
from classify.text import split_sentences
from classify.types import ClassifierInput, Relation

DIRECTION_LABELS = ("loosening", "tightening", "reaffirmation")
IRRELEVANT_LABELS = ("dprk_not_trade", "non_dprk")
LABELS = DIRECTION_LABELS + IRRELEVANT_LABELS
PREDICTED_NONE = "none"
SHORT_SENTENCES = 2  # texts of at most this many sentences are scored as "short"
LENGTH_BANDS = ("short", "longer")


class LabelledDataError(ValueError):
    """A labelled JSON Lines file has a bad line; the message names file and line."""


@dataclass(frozen=True)
class LabelledItem:
    """An item with its gold label."""

    item: ClassifierInput
    label: str
    dimensions: tuple[str, ...] | None = None  # the gold dimensions, where labelled


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class EvalReport:
    """Relevance and direction scores, the confusion matrix, and the misclassified ids."""

    n_items: int
    relevance: Scores
    direction: dict[str, Scores]
    direction_macro_f1: float
    # confusion[gold][predicted]; predicted includes "none" for items called not relevant
    confusion: dict[str, dict[str, int]]
    errors: list[tuple[str, str, str]] = field(default_factory=list)  # (id, gold, predicted)
    # Over the items that name their gold dimensions: how many, their departing signals, and
    # those on a dimension outside the gold list as (id, dimension, direction).
    items_with_dimensions: int = 0
    departing_signals: int = 0
    stray_departures: list[tuple[str, str, str]] = field(default_factory=list)
    # Relevance over the items whose text has at most SHORT_SENTENCES sentences ("short") and
    # over the rest ("longer").
    relevance_by_length: dict[str, Scores] = field(default_factory=dict)


def length_band(item: ClassifierInput) -> str:
    """``short`` for a text of at most ``SHORT_SENTENCES`` sentences, else ``longer``."""
    return "short" if len(split_sentences(item.text)) <= SHORT_SENTENCES else "longer"


def _scores(tp: int, fp: int, fn: int) -> Scores:
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Scores(precision, recall, f1, tp + fn)


def evaluate(items: Iterable[LabelledItem], classifier: RuleClassifier) -> EvalReport:
    """Classify every item and score relevance and direction against the gold labels."""
    columns = (*DIRECTION_LABELS, PREDICTED_NONE)
    confusion = {g: dict.fromkeys(columns, 0) for g in DIRECTION_LABELS}
    errors: list[tuple[str, str, str]] = []
    stray: list[tuple[str, str, str]] = []
    n = with_dimensions = departing = 0
    # band -> [true positives, false positives, false negatives] of relevance; the bands
    # partition the items, so their sums are the corpus-wide counts
    by_length = {band: [0, 0, 0] for band in LENGTH_BANDS}
    for labelled in items:
        n += 1
        assessment = classifier.assess(labelled.item)
        gold_relevant = labelled.label in DIRECTION_LABELS
        predicted = assessment.direction.value if assessment.relevant else PREDICTED_NONE
        if predicted not in columns:
            predicted = PREDICTED_NONE
        counts = by_length[length_band(labelled.item)]
        if assessment.relevant and gold_relevant:
            counts[0] += 1
        elif assessment.relevant:
            counts[1] += 1
        elif gold_relevant:
            counts[2] += 1
        if gold_relevant:
            confusion[labelled.label][predicted] += 1
            if predicted != labelled.label:
                errors.append((labelled.item.id, labelled.label, predicted))
        elif assessment.relevant:
            errors.append((labelled.item.id, labelled.label, predicted))
        if labelled.dimensions is not None:
            with_dimensions += 1
            for sig in assessment.signals:
                if sig.relation is Relation.DEPARTS:
                    departing += 1
                    if sig.dimension not in labelled.dimensions:
                        stray.append((labelled.item.id, sig.dimension, sig.direction.value))
    direction = {}
    for label in DIRECTION_LABELS:
        tp = confusion[label][label]
        fp = sum(confusion[g][label] for g in DIRECTION_LABELS if g != label)
        fn = sum(v for p, v in confusion[label].items() if p != label)
        direction[label] = _scores(tp, fp, fn)
    macro = sum(s.f1 for s in direction.values()) / len(direction)
    return EvalReport(
        n_items=n,
        relevance=_scores(*(sum(column) for column in zip(*by_length.values(), strict=True))),
        direction=direction,
        direction_macro_f1=macro,
        confusion=confusion,
        errors=errors,
        items_with_dimensions=with_dimensions,
        departing_signals=departing,
        stray_departures=stray,
        relevance_by_length={band: _scores(*c) for band, c in by_length.items()},
    )


def format_report(report: EvalReport) -> str:
    """A plain-text report; the last line is ``relevance_f1=<x> direction_macro_f1=<y>``."""
    r = report.relevance
    lines = [
        f"items: {report.n_items}",
        f"relevance: precision={r.precision:.3f} recall={r.recall:.3f} f1={r.f1:.3f} "
        f"(relevant gold={r.support})",
    ]
    for band, s in report.relevance_by_length.items():
        what = f"at most {SHORT_SENTENCES} sentences" if band == "short" else "more sentences"
        lines.append(
            f"  {band} texts ({what}): precision={s.precision:.3f} recall={s.recall:.3f} "
            f"(relevant gold={s.support})"
        )
    lines.append("direction (gold-relevant items; not-relevant predictions count as 'none'):")
    for label, s in report.direction.items():
        lines.append(
            f"  {label:<14} precision={s.precision:.3f} recall={s.recall:.3f} "
            f"f1={s.f1:.3f} support={s.support}"
        )
    columns = (*DIRECTION_LABELS, PREDICTED_NONE)
    lines.append("confusion (rows gold, columns predicted):")
    lines.append("  " + " " * 14 + "".join(f"{c:>14}" for c in columns))
    for gold, row in report.confusion.items():
        lines.append(f"  {gold:<14}" + "".join(f"{row[c]:>14}" for c in columns))
    for item_id, gold, predicted in report.errors:
        lines.append(f"  miss {item_id}: gold={gold} predicted={predicted}")
    if report.items_with_dimensions:
        lines.append(
            f"departures ({report.items_with_dimensions} items with gold dimensions): "
            f"{report.departing_signals} departing signals, "
            f"{len(report.stray_departures)} on a dimension outside the gold list"
        )
        for item_id, dimension, direction in report.stray_departures:
            lines.append(f"  stray {item_id}: {dimension} {direction}")
    lines.append(f"relevance_f1={r.f1:.3f} direction_macro_f1={report.direction_macro_f1:.3f}")
    return "\n".join(lines)


def report_to_json(report: EvalReport) -> dict[str, object]:
    """The report as plain JSON-serialisable data."""

    def scores(s: Scores) -> dict[str, float | int]:
        return {
            "precision": round(s.precision, 4),
            "recall": round(s.recall, 4),
            "f1": round(s.f1, 4),
            "support": s.support,
        }

    return {
        "n_items": report.n_items,
        "relevance": scores(report.relevance),
        "relevance_by_length": {k: scores(v) for k, v in report.relevance_by_length.items()},
        "direction": {k: scores(v) for k, v in report.direction.items()},
        "direction_macro_f1": round(report.direction_macro_f1, 4),
        "confusion": report.confusion,
        "errors": [{"id": i, "gold": g, "predicted": p} for i, g, p in report.errors],
        "departures": {
            "items_with_dimensions": report.items_with_dimensions,
            "departing_signals": report.departing_signals,
            "stray": [
                {"id": i, "dimension": d, "direction": r} for i, d, r in report.stray_departures
            ],
        },
    }


def _parse_line(path: Path, lineno: int, line: str) -> LabelledItem:
    where = f"{path}:{lineno}"
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LabelledDataError(f"{where}: invalid JSON: {exc.msg}") from None
    if not isinstance(data, dict):
        raise LabelledDataError(f"{where}: expected a JSON object")
    for key in ("id", "title", "text", "label"):
        if not isinstance(data.get(key), str):
            raise LabelledDataError(f"{where}: field {key!r} must be a string")
    if data["label"] not in LABELS:
        raise LabelledDataError(
            f"{where}: unknown label {data['label']!r}; known: {', '.join(LABELS)}"
        )
    optional = {}
    for key in ("date", "url", "outlet"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise LabelledDataError(f"{where}: field {key!r} must be a string or null")
        optional[key] = value
    dimensions = data.get("dimensions")
    if dimensions is not None and not (
        isinstance(dimensions, list) and all(isinstance(d, str) for d in dimensions)
    ):
        raise LabelledDataError(f"{where}: field 'dimensions' must be a list of strings or null")
    item = ClassifierInput(id=data["id"], title=data["title"], text=data["text"], **optional)
    return LabelledItem(
        item=item,
        label=data["label"],
        dimensions=None if dimensions is None else tuple(dimensions),
    )


def read_jsonl(path: Path) -> list[LabelledItem]:
    """Read labelled items; blank lines are skipped, a bad line raises ``LabelledDataError``."""
    items = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if line.strip():
                items.append(_parse_line(path, lineno, line))
    return items
