"""The classifier's vocabulary: what goes in, what comes out."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Direction(StrEnum):
    """Which way an item says policy is moving on a dimension (or overall)."""

    LOOSENING = "loosening"
    TIGHTENING = "tightening"
    REAFFIRMATION = "reaffirmation"  # restates current policy without moving it
    NONE = "none"


class Relation(StrEnum):
    """How an item stands against the baseline."""

    DEPARTS = "departs"  # moves against the baseline's trend
    CONFIRMS = "confirms"  # moves with it, or restates it
    NEW = "new"  # speaks to a dimension the baseline does not cover
    UNRELATED = "unrelated"  # not about DPRK trade policy


@dataclass(frozen=True)
class ClassifierInput:
    """One item to classify (the ``tradewatch classify`` JSON Lines input format)."""

    id: str
    title: str
    text: str
    date: str | None = None
    url: str | None = None
    outlet: str | None = None


@dataclass(frozen=True)
class Evidence:
    """A sentence that decided a verdict, with the cue phrases found in it."""

    sentence: str
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class DimensionSignal:
    """The item's signal on one policy dimension."""

    dimension: str
    direction: Direction
    relation: Relation
    evidence: tuple[Evidence, ...]
    score: float  # strength of the signal, >= 0
    baseline_stance: str | None = None  # None when the baseline does not cover the dimension
    reported_stance: str | None = None  # short phrase: what the item says policy now is


@dataclass(frozen=True)
class Assessment:
    """The verdict on one item against one baseline version."""

    relevant: bool
    direction: Direction
    relation: Relation
    confidence: float  # 0..1
    baseline_version: str
    classifier_version: str
    signals: tuple[DimensionSignal, ...] = field(default=())

    @property
    def dimensions(self) -> list[str]:
        return [s.dimension for s in self.signals]

    @property
    def evidence(self) -> list[str]:
        """Deciding sentences, strongest signal first, without repeats."""
        seen: dict[str, None] = {}
        for sig in sorted(self.signals, key=lambda s: -s.score):
            for ev in sig.evidence:
                seen.setdefault(ev.sentence, None)
        return list(seen)
