"""Cue edits that slow the matcher without changing a verdict.

Two such edits cost rules-12 and rules-13 15% each before the classify bench caught them
(BENCHMARKS.md, ninth round): a cue whose pattern opens with a lookbehind has no stems, so it
is tried against every text; and a language-level pattern grown past the prefix index's 64
prefixes has them all cut short (to three letters), so it is tried in nearly every clause.
"""

from __future__ import annotations

import statistics

from classify.baseline import Baseline
from classify.cues import _LEXICON
from classify.prefixes import required_prefixes
from classify.rules import RuleClassifier

# The shipped cues that have no stems, each scanned over every text where one of its required
# prefixes occurs. Add to this list only with a bench run showing the cost is acceptable;
# otherwise put a lookbehind after the cue's first word ("\bcustoms\b(?<!wedding customs)").
STEMLESS = {
    r"\b(?<!ministry of )(?<!minister of )external economic (affairs|relations)\b",
    r"\b(?<!independent )(?<!rights )monitor\w*",
    r"\b(import )?blacklist\w*|\bmade at home\b|\bproduc\w* ([\w'-]+ ){0,5}at home\b",
    r"\b(import )?blacklist ([\w'-]+ ){0,2}(grows?|expand\w*|lengthen\w*|widen\w*)",
    r"\b(?<!south )korean (workers|builders|labou?rers|construction workers|crews)",
    r"\b(group )?tours?\b",
}
# Two more are long (town names, lifted restrictions): matched by their openings.
STEMLESS_OPENINGS = (r"\b(?<!\bin )(?<!\bof )(sinuiju|dandong", r"\b(?<!ease )(?<!eased )")


def test_only_the_known_cues_lack_stems(baseline: Baseline) -> None:
    matcher = RuleClassifier(baseline)._matcher
    stemless = {c.gated.pattern.pattern for c in matcher._cues if c.gated.stems is None}
    unknown = {p for p in stemless if p not in STEMLESS and not p.startswith(STEMLESS_OPENINGS)}
    assert not unknown, f"these cues have no stems, so they scan every text: {sorted(unknown)}"
    assert len(stemless) == len(STEMLESS) + len(STEMLESS_OPENINGS)


def test_no_language_level_pattern_has_its_prefixes_cut_short() -> None:
    for pattern in _LEXICON:
        found = required_prefixes(pattern.pattern, pattern.flags)
        if found is None:
            continue
        lengths = [len(s) for s in found.strings]
        assert statistics.median(lengths) >= 4, (
            f"{pattern.pattern[:60]}...: {len(lengths)} prefixes, most cut to under four "
            "characters (past the index's 64); split the pattern or start alternatives alike"
        )
