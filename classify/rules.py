"""The rules-based classifier: cue hits per clause, summed per dimension, compared with the
baseline's trend.

An item is relevant when it is about North Korea and its directional cues on trade-policy
dimensions add up to at least ``RELEVANCE_MIN``. Each dimension's direction is its strongest
direction; the item's direction is the direction with the largest total across dimensions.
A restatement that names no dimension takes the dimension of the nearest hit
(``_place_carried``).
"""

from __future__ import annotations

import math

from classify.actors import mentions_dprk
from classify.baseline import Baseline, Dimension, Trend, WatchTopic
from classify.cues import CARRIED, NO_DIMENSION, CompiledDimension, CueMatcher, Hit
from classify.memo import SentenceMemo
from classify.text import normalise, split_clauses, split_sentences
from classify.types import (
    Assessment,
    ClassifierInput,
    DimensionSignal,
    Direction,
    Evidence,
    Relation,
)

CLASSIFIER_VERSION = "rules-26"

RELEVANCE_MIN = 1.0  # summed directional weight an item needs to be about trade policy
SIGNAL_MIN = 0.5  # weakest per-dimension score kept as a signal
TITLE_FACTOR = 1.0
_DIRECTION_ORDER = (Direction.TIGHTENING, Direction.LOOSENING, Direction.REAFFIRMATION)


def relation_to(trend: Trend | None, direction: Direction) -> Relation:
    """How a signal in ``direction`` stands against a dimension whose trend is ``trend``.

    ``None`` means the baseline does not cover the dimension. A reaffirmation always
    confirms; against a steady trend any movement departs.
    """
    if trend is None:
        return Relation.NEW
    if direction is Direction.NONE:
        return Relation.UNRELATED
    if direction is Direction.REAFFIRMATION:
        return Relation.CONFIRMS
    if trend is Trend.STEADY:
        return Relation.DEPARTS
    return Relation.CONFIRMS if direction.value == trend.value else Relation.DEPARTS


def item_relation(signals: tuple[DimensionSignal, ...]) -> Relation:
    """DEPARTS if any signal departs, else CONFIRMS, else NEW, else UNRELATED."""
    relations = {s.relation for s in signals}
    for relation in (Relation.DEPARTS, Relation.CONFIRMS, Relation.NEW):
        if relation in relations:
            return relation
    return Relation.UNRELATED


def _reported_stance(dim: Dimension | None, direction: Direction) -> str | None:
    if dim is None:
        return None
    if direction is Direction.LOOSENING:
        return dim.loosened_stance
    if direction is Direction.TIGHTENING:
        return dim.tightened_stance
    return dim.stance


def _place_carried(
    found: list[tuple[str, str, Direction, float, str]],
) -> list[tuple[str, str, Direction, float, str]]:
    """Give each CARRIED restatement the dimension of the nearest hit before it ("Customs
    still checks every truck. Nothing has changed, a trader said."), or after it when none
    comes before; drop it when the item has no other hit."""
    if not any(dimension == CARRIED for _, dimension, _, _, _ in found):
        return found
    placed: list[tuple[str, str, Direction, float, str]] = []
    # Where each hit names a dimension: None for a restatement or a no-dimension hit.
    named = [None if d in (CARRIED, NO_DIMENSION) else d for _, d, _, _, _ in found]
    for i, (sentence, dimension, direction, weight, cue) in enumerate(found):
        if dimension != CARRIED:
            placed.append((sentence, dimension, direction, weight, cue))
            continue
        nearest = next((d for d in reversed(named[:i]) if d is not None), None) or next(
            (d for d in named[i + 1 :] if d is not None), None
        )
        if nearest is not None:
            placed.append((sentence, nearest, direction, weight, cue))
    return placed


class RuleClassifier:
    """Classify items against one baseline. Patterns are compiled once, here."""

    def __init__(self, baseline: Baseline, *, memo: SentenceMemo | None = None) -> None:
        self.baseline = baseline
        # Per classifier: a sentence's hits depend on the baseline's cues.
        self.memo = memo if memo is not None else SentenceMemo()
        # Watch topics are scanned like dimensions; having no baseline trend, they yield NEW.
        topics: list[Dimension | WatchTopic] = [*baseline.dimensions, *baseline.watch_topics]
        self._dims = tuple(CompiledDimension.from_dimension(d) for d in topics)
        self._matcher = CueMatcher(self._dims)
        # ``Baseline.dimension`` searches the list; ids are unique (the baseline checks).
        self._dimension = {d.id: d for d in baseline.dimensions}

    def _hits(self, item: ClassifierInput) -> list[tuple[str, str, Direction, float, str]]:
        """``(sentence, dimension, direction, weight, cue)`` for every hit, in text order.

        Only sentences the memo does not hold are scanned (in one batch); the others reuse
        the hits kept from an earlier item.
        """
        title = item.title.strip()
        sentences = [(title, TITLE_FACTOR)] if title else []
        sentences += [(s, 1.0) for s in split_sentences(item.text)]
        kept = [self.memo.get(sentence) for sentence, _ in sentences]
        unread = [i for i, hits in enumerate(kept) if hits is None]
        if unread:
            owners: list[int] = []
            clauses: list[tuple[str, bool]] = []
            for i in unread:
                for clause in split_clauses(normalise(sentences[i][0])):
                    owners.append(i)
                    clauses.append(clause)
            read: dict[int, list[Hit]] = {i: [] for i in unread}
            for i, clause_hits in zip(owners, self._matcher.scan(clauses), strict=True):
                read[i].extend(clause_hits)
            for i, sentence_hits in read.items():
                as_read = kept[i] = tuple(sentence_hits)
                self.memo.put(sentences[i][0], as_read)
        found: list[tuple[str, str, Direction, float, str]] = []
        for (sentence, factor), hits in zip(sentences, kept, strict=True):
            for dimension, direction, weight, cue in hits or ():
                found.append((sentence, dimension, direction, weight * factor, cue))
        return _place_carried(found)

    def _unrelated(self, confidence: float) -> Assessment:
        return Assessment(
            relevant=False,
            direction=Direction.NONE,
            relation=Relation.UNRELATED,
            confidence=round(confidence, 3),
            baseline_version=self.baseline.version,
            classifier_version=CLASSIFIER_VERSION,
        )

    def assess(self, item: ClassifierInput) -> Assessment:
        """The verdict on one item: relevance, per-dimension signals, direction, relation."""
        if not mentions_dprk(normalise(f"{item.title}\n{item.text}")):
            return self._unrelated(0.95)
        found = self._hits(item)
        total = sum(weight for _, _, _, weight, _ in found)
        if total < RELEVANCE_MIN:
            return self._unrelated(0.6 + 0.35 * (1 - total / RELEVANCE_MIN))

        scores: dict[str, dict[Direction, float]] = {}
        evidence: dict[tuple[str, Direction], dict[str, list[str]]] = {}
        for sentence, dimension, hit_direction, weight, cue in found:
            by_direction = scores.get(dimension)
            if by_direction is None:
                by_direction = scores[dimension] = {}
            by_direction[hit_direction] = by_direction.get(hit_direction, 0.0) + weight
            cues = evidence.setdefault((dimension, hit_direction), {}).setdefault(sentence, [])
            if cue not in cues:
                cues.append(cue)

        signals: list[DimensionSignal] = []
        totals: dict[Direction, float] = {}
        for dim_id, by_direction in scores.items():
            for direction, score in by_direction.items():
                totals[direction] = totals.get(direction, 0.0) + score
            if dim_id == NO_DIMENSION:
                continue
            direction = max(_DIRECTION_ORDER, key=lambda d: by_direction.get(d, 0.0))
            score = by_direction[direction]
            if score < SIGNAL_MIN:
                continue
            dim = self._dimension.get(dim_id)
            signals.append(
                DimensionSignal(
                    dimension=dim_id,
                    direction=direction,
                    relation=relation_to(dim.trend if dim else None, direction),
                    evidence=tuple(
                        Evidence(sentence=s, cues=tuple(c))
                        for s, c in evidence[(dim_id, direction)].items()
                    ),
                    score=round(score, 3),
                    baseline_stance=dim.stance if dim else None,
                    reported_stance=_reported_stance(dim, direction),
                )
            )
        if not signals:
            return self._unrelated(0.5)
        signals.sort(key=lambda s: -s.score)
        direction = max(_DIRECTION_ORDER, key=lambda d: totals.get(d, 0.0))
        share = totals.get(direction, 0.0) / total
        confidence = share * (1 - math.exp(-total / 2))
        return Assessment(
            relevant=True,
            direction=direction,
            relation=item_relation(tuple(signals)),
            confidence=round(min(max(confidence, 0.05), 0.99), 3),
            baseline_version=self.baseline.version,
            classifier_version=CLASSIFIER_VERSION,
            signals=tuple(signals),
        )
