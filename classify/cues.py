"""Cue matching in one clause, with negation, hedges, persistence and the actor applied.

A *hit* is one cue found in one clause, already turned into the direction it supports and
weighted:

- a negated loosening cue ("still cannot trade independently") says the restriction holds:
  it becomes a weak reaffirmation; a negated tightening cue ("did not crack down") is dropped;
- a tightening cue with a persistence marker ("remains tightly controlled") restates the
  current stance: reaffirmation;
- a concessive clause ("although ...") and a hedged claim ("reportedly", "may") weigh less;
- in a clause where a foreign authority acts and no North Korean actor does, directional cues
  are dropped: another state's measures are not DPRK policy.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from functools import cached_property

from classify.actors import foreign_led
from classify.baseline import Dimension, WatchTopic
from classify.gate import GatedPattern
from classify.lexicon import (
    CESSATION_BEFORE,
    GENERIC_LOOSENING,
    GENERIC_REAFFIRMATION,
    GENERIC_TIGHTENING,
    HEDGE,
    NEGATION_BEFORE,
    PERSISTENCE,
    RESTATEMENT,
)
from classify.types import Direction

SPECIFIC_WEIGHT = 1.0
GENERIC_WEIGHT = 0.5  # a generic verb only counts next to a topic cue, and counts less
NEGATED_LOOSENING_WEIGHT = 0.6
SUBORDINATE_FACTOR = 0.5
HEDGE_FACTOR = 0.6
_NEGATION_WINDOW = 40  # characters before a cue searched for "not", "cannot"...


@dataclass(frozen=True)
class Hit:
    """One cue found in a clause, resolved to the direction it supports."""

    dimension: str
    direction: Direction
    weight: float
    cue: str


@dataclass(frozen=True)
class CompiledDimension:
    """A baseline dimension's cues, compiled once."""

    id: str
    topic: tuple[GatedPattern, ...]
    loosening: tuple[GatedPattern, ...]
    tightening: tuple[GatedPattern, ...]
    reaffirmation: tuple[GatedPattern, ...]

    @classmethod
    def from_dimension(cls, dim: Dimension | WatchTopic) -> CompiledDimension:
        def comp(patterns: tuple[str, ...]) -> tuple[GatedPattern, ...]:
            return tuple(GatedPattern(p) for p in patterns)

        return cls(
            id=dim.id,
            topic=comp(dim.cues.topic),
            loosening=comp(dim.cues.loosening),
            tightening=comp(dim.cues.tightening),
            reaffirmation=comp(dim.cues.reaffirmation),
        )

    @property
    def patterns(self) -> list[GatedPattern]:
        return [*self.topic, *self.loosening, *self.tightening, *self.reaffirmation]


class _ClauseContext:
    """Clause-wide facts, each computed only if a cue needs it."""

    def __init__(self, clause: str) -> None:
        self.clause = clause

    @cached_property
    def directional_ok(self) -> bool:
        return not foreign_led(self.clause)

    @cached_property
    def persistent(self) -> bool:
        return PERSISTENCE.search(self.clause) is not None

    @cached_property
    def restated(self) -> bool:
        return RESTATEMENT.search(self.clause) is not None

    @cached_property
    def hedged(self) -> bool:
        return HEDGE.search(self.clause) is not None


def _negated(clause: str, start: int) -> bool:
    window = clause[max(0, start - _NEGATION_WINDOW) : start]
    return NEGATION_BEFORE.search(window) is not None


def _ceased(clause: str, start: int) -> bool:
    window = clause[max(0, start - _NEGATION_WINDOW) : start]
    return CESSATION_BEFORE.search(window) is not None


def _resolve(
    direction: Direction, clause: str, text: str, start: int, ctx: _ClauseContext
) -> tuple[Direction, float, str] | None:
    """Apply negation and persistence to one directional match starting at ``start``."""
    cue = text.strip()
    if direction is Direction.REAFFIRMATION:
        return direction, 1.0, cue
    if direction is Direction.TIGHTENING and _ceased(clause, start):
        # "stopped confiscating flour", "lifted the ban on": the restriction ends.
        return Direction.LOOSENING, 1.0, f"ended {cue}"
    if _negated(clause, start):
        if direction is Direction.LOOSENING:
            # "still cannot trade independently" restates the restriction outright.
            weight = 1.0 if ctx.persistent else NEGATED_LOOSENING_WEIGHT
            return Direction.REAFFIRMATION, weight, f"not {cue}"
        return None
    if direction is Direction.TIGHTENING and ctx.persistent:
        return Direction.REAFFIRMATION, 1.0, f"still {cue}"
    if direction is Direction.TIGHTENING and ctx.restated:
        return Direction.REAFFIRMATION, 1.0, f"restated {cue}"
    return direction, 1.0, cue


_GENERIC = (
    (Direction.LOOSENING, GENERIC_LOOSENING),
    (Direction.TIGHTENING, GENERIC_TIGHTENING),
    (Direction.REAFFIRMATION, GENERIC_REAFFIRMATION),
)


_KINDS = (
    ("topic", None),
    ("loosening", Direction.LOOSENING),
    ("tightening", Direction.TIGHTENING),
    ("reaffirmation", Direction.REAFFIRMATION),
)
# What one scan found in one clause: per dimension, its topic flag and directional matches.
_Found = dict[str, tuple[list[bool], list[tuple[Direction, str, int]]]]


def _clause_index(starts: list[int], position: int) -> int:
    return bisect.bisect_right(starts, position) - 1


def scan(
    dims: tuple[CompiledDimension, ...],
    clauses: list[tuple[str, bool]],
    present: frozenset[str],
) -> list[list[Hit]]:
    """Hits per clause for normalised ``(clause, subordinate)`` pairs.

    Every pattern runs once over all clauses joined by newlines (cues never span a newline
    in practice, and a match is credited to the clause where it starts); a pattern whose
    stems are absent from ``present`` does not run at all.
    """
    whole = "\n".join(c for c, _ in clauses)
    starts, pos = [], 0
    for clause, _ in clauses:
        starts.append(pos)
        pos += len(clause) + 1
    found: list[_Found] = [{} for _ in clauses]
    positions: dict[str, list[int]] = {}  # stem -> where it occurs, shared by all patterns
    for dim in dims:
        for kind, direction in _KINDS:
            for gated in getattr(dim, kind):
                if not gated.may_match(present):
                    continue
                for at, text in gated.finditer(whole, present, positions):
                    i = _clause_index(starts, at)
                    topic, directional = found[i].setdefault(dim.id, ([False], []))
                    if direction is None:
                        topic[0] = True
                    else:
                        directional.append((direction, text, at - starts[i]))
    hits: list[list[Hit]] = []
    for (clause, subordinate), per_dim in zip(clauses, found, strict=True):
        hits.append(_clause_hits(clause, subordinate, per_dim) if per_dim else [])
    return hits


def _clause_hits(clause: str, subordinate: bool, per_dim: _Found) -> list[Hit]:
    ctx = _ClauseContext(clause)
    if not ctx.directional_ok:
        return []
    raw: list[tuple[str, Direction, float, str]] = []
    for dim_id, (topic, directional) in per_dim.items():
        seen_directions: set[Direction] = set()
        for direction, text, start in directional:
            resolved = _resolve(direction, clause, text, start, ctx)
            if resolved is None:
                continue
            final, weight, cue = resolved
            raw.append((dim_id, final, SPECIFIC_WEIGHT * weight, cue))
            seen_directions.add(final)
        if not topic[0]:
            continue
        for direction, generic in _GENERIC:
            gmatch = generic.search(clause)
            if gmatch is None:
                continue
            resolved = _resolve(direction, clause, gmatch.group(0), gmatch.start(), ctx)
            if resolved is None or resolved[0] in seen_directions:
                continue  # a specific cue already speaks for this direction here
            final, weight, cue = resolved
            raw.append((dim_id, final, GENERIC_WEIGHT * weight, cue))
    if not raw:
        return []
    factor = SUBORDINATE_FACTOR if subordinate else 1.0
    if ctx.hedged:
        factor *= HEDGE_FACTOR
    return [Hit(d, direction, w * factor, cue) for d, direction, w, cue in raw]
