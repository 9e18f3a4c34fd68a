"""``required_prefixes`` is sound: every match of a pattern starts with one of its prefixes.

The classifier skips a pattern wherever none of its prefixes occurs, so a prefix set that
missed a way a pattern can match would silently drop cues. Three checks:

- a reference reading of the same patterns from ``re``'s own parser (``re._parser``, too slow
  for the classifier's start-up) must give the same prefixes for every cue of the shipped
  baseline, every lexicon pattern and a corpus of generated patterns;
- on generated texts, every match of every such pattern starts with one of its prefixes (at a
  word boundary when the prefixes say ``anchored``);
- the ``PrefixIndex`` built on them reports every position where a prefix occurs at a place a
  match could start.
"""

from __future__ import annotations

import importlib
import random
import re
from typing import Any

import pytest

from classify import lexicon
from classify.baseline import Baseline
from classify.prefix_index import PrefixIndex, TextView
from classify.prefixes import (
    _MAX_PREFIX_LEN,
    _MAX_PREFIXES,
    Prefixes,
    required_prefixes,
    required_words,
)

# ``re``'s parser, private to the standard library: only this test reads its trees.
sre_c: Any = importlib.import_module("re._constants")
sre_p: Any = importlib.import_module("re._parser")
_BOUNDARY = re.compile(r"\b")


def _grow(live: set[str], chars: str) -> tuple[set[str], set[str]]:
    grown = {text + chars for text in live}
    full = {text[:_MAX_PREFIX_LEN] for text in grown if len(text) >= _MAX_PREFIX_LEN}
    return {text for text in grown if len(text) < _MAX_PREFIX_LEN}, full


def _fit(live: set[str], done: set[str]) -> tuple[set[str], set[str]]:
    if len(live) + len(done) <= _MAX_PREFIXES:
        return live, done
    every = live | done
    for size in range(_MAX_PREFIX_LEN, -1, -1):
        cut = {text[:size] for text in every}
        if len(cut) <= _MAX_PREFIXES:
            return set(), cut
    raise AssertionError


class _Unknown(Exception):
    pass


def _seq(items: Any, live: set[str]) -> tuple[set[str], set[str], bool]:
    """Like ``_PrefixReader._sequence``, on ``re``'s parse tree."""
    done: set[str] = set()
    anchored: bool | None = None
    for op, av in items:
        if not live:
            break
        live, stopped, boundary = _item(op, av, live)
        done |= stopped
        if anchored is None:
            anchored = boundary
    return live, done, bool(anchored)


def _alt(branches: Any, live: set[str]) -> tuple[set[str], set[str], bool]:
    out_live: set[str] = set()
    out_done: set[str] = set()
    anchored = True
    for branch in branches:
        got_live, got_done, branch_anchored = _seq(branch, live)
        out_live |= got_live
        out_done |= got_done
        anchored = anchored and branch_anchored
    return (*_fit(out_live, out_done), anchored)


def _item(op: Any, av: Any, live: set[str]) -> tuple[set[str], set[str], bool]:
    if op is sre_c.LITERAL:
        return *_grow(live, chr(av)), False
    if op is sre_c.AT:
        return live, set(), av is sre_c.AT_BOUNDARY
    if op in (sre_c.ASSERT, sre_c.ASSERT_NOT):
        return live, set(), False
    if op is sre_c.SUBPATTERN:
        _, add_flags, _, body = av
        if add_flags:
            raise _Unknown
        return _alt([body], live)
    if op is sre_c.BRANCH:
        return _alt(av[1], live)
    if op is sre_c.IN:
        # ``re`` turns "(a|b)" into a class too: a class of plain characters is a branch.
        if all(o is sre_c.LITERAL for o, _ in av):
            return _alt([[(sre_c.LITERAL, v)] for _, v in av], live)
        return set(), live, False
    if op in (sre_c.MAX_REPEAT, sre_c.MIN_REPEAT, sre_c.POSSESSIVE_REPEAT):
        low, high, body = av
        got_live, got_done, _ = _alt([body], live)
        if not (low <= 1 and high == 1):
            got_done, got_live = got_done | got_live, set()
        if low == 0:
            got_live = got_live | live
        return *_fit(got_live, got_done), False
    if op in (sre_c.ANY, sre_c.NOT_LITERAL, sre_c.CATEGORY):
        return set(), live, False
    raise _Unknown(op)


def reference_prefixes(source: str) -> tuple[tuple[str, ...], bool] | None:
    """What ``required_prefixes`` should say, read from ``re``'s parse tree."""
    try:
        tree = sre_p.parse(source, 0)
        live, done, anchored = _alt([tree], {""})
    except _Unknown:
        return None
    found = sorted(live | done, key=lambda t: (len(t), t))
    if not found or found[0] == "":
        return None
    kept: list[str] = []
    for text in found:
        if not text.startswith(tuple(kept)):
            kept.append(text)
    return tuple(sorted(kept)), anchored


def _generated_patterns(count: int, seed: int) -> list[str]:
    """Random patterns in the syntax the baseline uses (and some it does not)."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    words = ["trade", "tra", "de", "ban", "state", "s", "t", "eas", "n", "the", "e"]

    def atom(depth: int) -> str:
        roll = rng.random()
        if roll < 0.35 or depth > 2:
            return rng.choice(words)
        if roll < 0.45:
            return rng.choice(
                [r"\w", r"\s", ".", "[sz]", "[a-z]", r"\.", r"\-", "'", " ", "[- ]", "[^s]", "[]x]"]
            )
        if roll < 0.5:
            return rng.choice([r"\b", "$", "^", r"\B"])
        inner = "|".join(seq(depth + 1) for _ in range(rng.randint(1, 3)))
        opener = rng.choice(["(", "(?:", "(", "(?=", "(?!", "(?<="])
        return f"{opener}{inner})"

    def seq(depth: int) -> str:
        parts = []
        for _ in range(rng.randint(1, 4)):
            part = atom(depth)
            if part not in {r"\b", "$", "^", r"\B"} and rng.random() < 0.3:
                part += rng.choice(["?", "*", "+", "{0,3}", "{2}", "{1,}", "??", "*?"])
            parts.append(part)
        return "".join(parts)

    patterns: list[str] = []
    while len(patterns) < count:
        source = (r"\b" if rng.random() < 0.6 else "") + "|".join(
            seq(0) for _ in range(rng.randint(1, 3))
        )
        try:
            re.compile(source)
        except re.error:
            continue
        patterns.append(source)
    return patterns


def _shipped(baseline: Baseline) -> list[str]:
    cues = [t.cues for t in baseline.dimensions] + [t.cues for t in baseline.watch_topics]
    return [p for c in cues for p in (*c.topic, *c.loosening, *c.tightening, *c.reaffirmation)]


_LEXICON = [value.pattern for name, value in vars(lexicon).items() if isinstance(value, re.Pattern)]


def _as_tuple(found: Prefixes | None) -> tuple[tuple[str, ...], bool] | None:
    return None if found is None else (found.strings, found.anchored)


def test_shipped_and_lexicon_prefixes_match_the_reference(baseline: Baseline) -> None:
    for source in [*_shipped(baseline), *_LEXICON]:
        got = _as_tuple(required_prefixes(source))
        assert got is not None, source  # every shipped pattern is understood
        assert got == reference_prefixes(source), source


def test_generated_prefixes_agree_with_the_reference() -> None:
    """Equal, or coarser where the reader stops early (at a class it does not expand):
    every reference prefix then starts with one of the reader's, which keeps them sound."""
    understood = same = 0
    for source in _generated_patterns(1500, seed=1):
        got = _as_tuple(required_prefixes(source))
        if got is None:
            continue  # abstaining is always safe
        understood += 1
        expected = reference_prefixes(source)
        assert expected is not None, source
        same += got == expected
        strings, anchored = got
        assert all(text.startswith(strings) for text in expected[0]), source
        assert expected[1] or not anchored, source
    assert understood > 750
    assert same > 0.95 * understood


def _texts(seed: int) -> list[str]:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    alphabet = ["trade", "tra", "de", "ban", "state", "s", "t", "eas", "n", "the", "e", "x"]
    alphabet += [" ", " ", "-", ".", "'", "\n", "_", "é", "z"]
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30))) for _ in range(300)]


@pytest.mark.parametrize("seed", [2, 3])
def test_every_match_starts_with_a_prefix(seed: int) -> None:
    texts = _texts(seed)
    for source in _generated_patterns(400, seed=seed) + _LEXICON:
        found = required_prefixes(source)
        if found is None:
            continue
        pattern = re.compile(source)
        for text in texts:
            for at in range(len(text) + 1):
                if pattern.match(text, at) is None:
                    continue
                assert text.startswith(found.strings, at), (source, text, at)
                if found.anchored:
                    assert _BOUNDARY.match(text, at), (source, text, at)


def test_index_reports_every_place_a_match_can_start() -> None:
    sources = _generated_patterns(600, seed=4) + _LEXICON
    prefixes = [required_prefixes(s) for s in sources]
    index = PrefixIndex(enumerate(prefixes))
    for text in _texts(5):
        view = TextView(text)
        found = index.find(view)
        for number, (source, known) in enumerate(zip(sources, prefixes, strict=True)):
            if known is None:
                assert number not in found
                continue
            reported = {p for positions in found.get(number, []) for p in positions}
            pattern = re.compile(source)
            for at in range(len(text) + 1):
                if pattern.match(text, at) is not None:
                    assert at in reported, (source, text, at)


def _phrase_patterns(count: int, seed: int) -> list[str]:
    """Random patterns shaped like cues: words, groups of words, gaps of any words."""
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    words = ["trade", "rose", "grew", "eased", "rules", "on", "ban", "a", "higher", "level"]

    def part() -> str:
        roll = rng.random()
        if roll < 0.35:
            return rng.choice(words) + rng.choice(["", "s?", r"\w*", "[sd]", "-"])
        if roll < 0.6:
            inner = "|".join(rng.sample(words, rng.randint(2, 4)))
            return f"({inner})" + rng.choice(["", "", "?", r"\w*", "+"])
        if roll < 0.75:
            return r"([\w'-]+ )" + rng.choice(["{0,3}", "*", "?", "+", "{1,2}"])
        if roll < 0.85:
            return f"({rng.choice(words)} )?"
        return rng.choice([r"\s+", r"\W", ".", "[- ]", r"\b", "x"])

    return [
        rng.choice([r"\b", ""]) + rng.choice([" ", ""]).join(part() for _ in range(5))
        for _ in range(count)
    ]


@pytest.mark.parametrize("seed", [6, 7])
def test_required_words_hold_in_every_text_matched(seed: int) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible test data
    vocabulary = ["trade", "rose", "grew", "eased", "rules", "on", "ban", "a", "higher", "level"]
    vocabulary += ["trades", "risen", "banned", "x", "_", "é", "-", "'"]
    separators = [" ", " ", "", "-", "\n", ", "]
    texts = [
        "".join(rng.choice(vocabulary) + rng.choice(separators) for _ in range(n))
        for n in [rng.randint(1, 14) for _ in range(1000)]
    ]
    checked = 0
    for source in _phrase_patterns(600, seed):
        checks = required_words(source)
        if not checks:
            continue
        checked += 1
        pattern = re.compile(source)
        for text in texts:
            if pattern.search(text) is None:
                continue
            view = TextView(text)
            for words, starts in checks:
                assert not words.isdisjoint(view.words) or not starts.isdisjoint(view.key_set), (
                    source,
                    text,
                )
    assert checked > 200
