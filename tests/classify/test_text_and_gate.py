"""Sentence splitting keeps text verbatim; gated matching finds what the regex finds."""

from __future__ import annotations

import re

import pytest

from classify.gate import GatedPattern, StemIndex, literal_stems
from classify.text import normalise, split_clauses, split_sentences


def test_sentences_are_verbatim_and_abbreviations_do_not_split() -> None:
    text = "N. Korea eased rules. The U.S. Treasury objected! Office No. 39 said nothing."
    sentences = split_sentences(text)
    assert sentences == [
        "N. Korea eased rules.",
        "The U.S. Treasury objected!",
        "Office No. 39 said nothing.",
    ]
    assert all(s in text for s in sentences)


def test_normalise_folds_diacritics_and_quotes() -> None:
    assert normalise("Sinŭiju’s “Market”") == 'sinuiju\'s "market"'


def test_clauses_mark_concessions_as_subordinate() -> None:
    clauses = split_clauses("although trade resumed, controls remain tight")
    assert clauses == [("although trade resumed", True), (" controls remain tight", False)]
    assert split_clauses("trade resumed but controls remain tight")[1][1] is False


@pytest.mark.parametrize(
    "sentence",
    [
        "north korea has yet to resume passenger trains",
        "the border has not yet reopened",
        "no date has been set as yet for the talks",
        "yet another crackdown began",
        "prices rose yet again",
    ],
)
def test_yet_as_negation_or_emphasis_does_not_split(sentence: str) -> None:
    assert split_clauses(sentence) == [(sentence, False)]


def test_yet_as_contrast_splits() -> None:
    assert split_clauses("trade resumed, yet controls remain tight") == [
        ("trade resumed", False),
        (" controls remain tight", False),
    ]


@pytest.mark.parametrize(
    ("pattern", "stems"),
    [
        (r"\b(tighten|step\w* up)\w* x", {"tighten", "step"}),
        (r"\bslush funds?|secret accounts?", {"slush fund", "secret account"}),
        (r"\bre-?open\w*", {"re"}),
        (r"\b(\w+ ){0,3}x", None),
        (r"\b(ministry of )?state", None),
    ],
)
def test_literal_stems(pattern: str, stems: set[str] | None) -> None:
    got = literal_stems(pattern)
    assert (None if got is None else set(got)) == stems


@pytest.mark.parametrize(
    "source",
    [
        r"\b(seal|clos|shut)\w* (down )?([\w'-]+ ){0,3}(the )?borders?",
        r"\bre-?open\w*",
        r"\bcrack\w* ?down (on )?([\w'-]+ ){0,4}(market|smuggl)",
    ],
)
def test_gated_matches_equal_plain_regex(source: str) -> None:
    text = normalise(
        "They sealed the border, then reopened it. Police cracked down on smugglers; "
        "officials shut down the northern borders and re-opened markets. A crackdown on "
        "market traders followed."
    )
    gated = GatedPattern(source)
    present = StemIndex([gated]).present(text)
    expected = [(m.start(), m.group(0)) for m in re.finditer(source, text)]
    assert list(gated.finditer(text, present)) == expected
    assert expected  # the sample exercises the pattern
