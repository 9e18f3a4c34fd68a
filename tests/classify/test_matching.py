"""The cue matcher finds, cue by cue, exactly the matches the stem gate defines.

``GatedPattern.finditer`` with ``StemIndex.present`` is the reference (see ``classify.gate``);
``classify.cues`` gets there through the prefix index, required prefixes and word checks.
Compared for every cue of the shipped baseline and of the synthetic one of the golden test,
on the joined clauses of generated items, first with each cue still indexed under its stems,
then once every cue has been read.
"""

from __future__ import annotations

import pytest

from classify.baseline import Baseline
from classify.cues import CompiledDimension, CueMatcher, _cue_matches
from classify.gate import StemIndex
from classify.prefix_index import TextView
from classify.rules import RuleClassifier
from classify.text import normalise, split_clauses, split_sentences
from classify.types import ClassifierInput
from tests.classify import golden


def _whole(item: ClassifierInput) -> str:
    sentences = [item.title.strip()] if item.title.strip() else []
    sentences += split_sentences(item.text)
    return "\n".join(c for s in sentences for c, _ in split_clauses(normalise(s)))


def _reference(matcher: CueMatcher, whole: str) -> list[list[tuple[int, str]]]:
    gated = [cue.gated for cue in matcher._cues]
    present = StemIndex(gated).present(whole)
    return [list(g.finditer(whole, present)) if g.may_match(present) else [] for g in gated]


def _found(matcher: CueMatcher, whole: str) -> list[list[tuple[int, str]]]:
    view = TextView(whole)
    occurs = matcher._index.find(view)
    found: list[list[tuple[int, str]]] = []
    for number, cue in enumerate(matcher._cues):
        owner = 2 * number + (1 if 2 * number + 1 in occurs else 0)
        if owner not in occurs and owner not in matcher._unindexed:
            found.append([])
            continue
        found.append(_cue_matches(cue, whole, view, occurs.get(owner), owner & 1 == 1))
    return found


@pytest.mark.parametrize("which", ["shipped", "odd"])
def test_matches_equal_the_stem_gates(which: str, baseline: Baseline) -> None:
    chosen = baseline if which == "shipped" else golden.odd_baseline(baseline)
    matcher = RuleClassifier(chosen)._matcher
    texts = [_whole(item) for item in golden.fuzz_items(baseline)[:300]]
    texts += [_whole(item) for item in golden.labelled("heldout.jsonl")]
    for text in texts:  # cues not yet read: found under their stems
        assert _found(matcher, text) == _reference(matcher, text)
    for text in texts:  # as the classifier does, reading cues as they first may match
        matcher.scan([(c, False) for c in text.split("\n")])
    assert sum(cue.prefixes is not None for cue in matcher._cues) > 100
    for text in texts:
        assert _found(matcher, text) == _reference(matcher, text)


def test_compiled_dimensions_keep_their_patterns(baseline: Baseline) -> None:
    dims = tuple(CompiledDimension.from_dimension(d) for d in baseline.dimensions)
    matcher = CueMatcher(dims)
    assert [c.gated for c in matcher._cues] == [p for d in dims for p in d.patterns]
