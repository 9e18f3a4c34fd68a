"""The sentence memo: a revised item costs only its new sentences, and verdicts never depend on
what the classifier read before."""

from __future__ import annotations

import dataclasses

import pytest

from classify.baseline import Baseline
from classify.cues import Hit
from classify.memo import SentenceMemo
from classify.rules import RuleClassifier
from classify.types import ClassifierInput, Direction
from tests.classify import golden

_HIT: Hit = ("trade_authority", Direction.LOOSENING, 1.0, "granted")


def test_memo_drops_the_least_recently_used_sentence() -> None:
    memo = SentenceMemo(limit=2)
    memo.put("a", (_HIT,))
    memo.put("b", ())
    assert memo.get("a") == (_HIT,)  # "a" is now the most recently used
    memo.put("c", ())
    assert len(memo) == 2
    assert memo.get("b") is None
    assert memo.get("a") == (_HIT,)
    assert memo.get("c") == ()


def test_memo_of_size_zero_keeps_nothing() -> None:
    memo = SentenceMemo(limit=0)
    memo.put("a", (_HIT,))
    assert memo.get("a") is None
    assert len(memo) == 0
    with pytest.raises(ValueError, match="limit must be >= 0"):
        SentenceMemo(limit=-1)


class _CountingClassifier(RuleClassifier):
    """Counts the clauses handed to the cue matcher."""

    def __init__(self, baseline: Baseline) -> None:
        super().__init__(baseline)
        self.scanned: list[str] = []
        scan = self._matcher.scan

        def counting(clauses: list[tuple[str, bool]]) -> list[list[Hit]]:
            self.scanned.extend(c for c, _ in clauses)
            return scan(clauses)

        self._matcher.scan = counting  # type: ignore[method-assign]


_ORIGINAL = ClassifierInput(
    id="a1",
    title="Trading firms told to route imports through the state",
    text=(
        "North Korean trading companies must now route every import permit through the "
        "central trade authority, a source in Sinuiju said. Customs officers inspected "
        "every truck at the bridge. Market prices of rice were stable."
    ),
)


def test_a_revised_item_scans_only_its_new_sentence(baseline: Baseline) -> None:
    classifier = _CountingClassifier(baseline)
    first = classifier.assess(_ORIGINAL)
    assert len(classifier.scanned) >= 4  # title and three sentences, all read
    classifier.scanned.clear()
    update = "Update: Trading companies were later allowed to sign contracts directly."
    revised = dataclasses.replace(_ORIGINAL, text=f"{_ORIGINAL.text}\n\n{update}")
    second = classifier.assess(revised)
    assert classifier.scanned == [
        "update: trading companies were later allowed to sign contracts directly."
    ]
    assert second != first  # the new sentence counts: a loosening now weighs in
    assert golden.canonical(second) == golden.canonical(RuleClassifier(baseline).assess(revised))
    classifier.scanned.clear()
    assert classifier.assess(revised) == second
    assert classifier.scanned == []  # read before: nothing scanned


@pytest.mark.parametrize("which", ["shipped", "odd"])
def test_verdicts_do_not_depend_on_what_was_read_before(which: str, baseline: Baseline) -> None:
    """One classifier reads a corpus forwards, another backwards, a third keeps nothing:
    every verdict is the same, though each saw the shared sentences in another context."""
    chosen = baseline if which == "shipped" else golden.odd_baseline(baseline)
    items = golden.labelled("heldout.jsonl") + golden.fuzz_items(baseline)[:300]
    forwards = RuleClassifier(chosen)
    backwards = RuleClassifier(chosen)
    cold = RuleClassifier(chosen, memo=SentenceMemo(limit=0))
    ahead = [golden.canonical(forwards.assess(i)) for i in items]
    behind = [golden.canonical(backwards.assess(i)) for i in reversed(items)][::-1]
    assert len(forwards.memo) > 1000
    assert ahead == behind
    assert ahead == [golden.canonical(cold.assess(i)) for i in items]


def test_a_cue_that_runs_into_the_next_clause_does_not_count(baseline: Baseline) -> None:
    """The odd baseline's ``\\beas\\w*\\W+\\w+`` could match "eased" only by reaching into the
    next sentence; a clause's hits depend on its own text, so it finds nothing there."""
    classifier = RuleClassifier(golden.odd_baseline(baseline))

    def loosening_cues(text: str) -> list[str]:
        item = ClassifierInput(id="x", title="", text=text)
        return [
            cue
            for _, d, direction, _, cue in classifier._hits(item)
            if direction is Direction.LOOSENING and d == "odd_cues"
        ]

    assert "eased rules" in loosening_cues("North Korea's customs eased rules for trucks.")
    assert "eased" not in " ".join(loosening_cues("North Korea's customs eased. Trade fell."))
