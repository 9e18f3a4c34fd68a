"""Golden verdicts: what the rule classifier said, item by item, before it was optimised.

``tests/data/classify-golden.json`` was written by ``python -m tests.classify.golden --write``
with the classifier as it stood before its matching was reorganised for speed (rules-2 as of
December 2026); ``test_golden.py`` checks that every verdict is still identical. The file is
not named ``*.jsonl``: ``tests/data/*.jsonl`` are the labelled corpora with quality floors.

Corpora:

- ``labelled`` and ``heldout`` (``tests/data``): full canonical verdicts, so a failure shows
  the difference;
- ``dev`` (``/work/shared/corpus/dev.jsonl``, when present), ``bench`` (the 2,000 generated
  items of ``bench.classify_items``), ``fuzz`` (corpus sentences and cue words recombined and
  perturbed: contrast markers, negation, hedges, actors, typography, capitals, newlines) and
  ``odd`` (the fuzz items against a synthetic baseline whose cues exercise what the shipped
  one lacks: capitals, unanchored and stemless patterns, matches across clauses): a digest
  of each verdict, and a digest of each generated corpus's inputs so that a change in a
  generator (``bench/text.py`` belongs to others) reads as such, not as a classifier change.

A verdict is serialised with its types (dataclass and enum names, tuple vs list), every field,
and the derived ``dimensions`` and ``evidence``; floats as ``repr`` writes them.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import random
import re
import sys
from collections.abc import Iterator
from enum import Enum
from pathlib import Path

from classify.baseline import Baseline, Cues, Dimension, WatchTopic, load_baseline
from classify.evaluate import read_jsonl
from classify.rules import RuleClassifier
from classify.types import Assessment, ClassifierInput

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
GOLDEN_FILE = DATA / "classify-golden.json"
BASELINE_FILE = ROOT / "config" / "baseline" / "dprk-trade.yaml"
DEV_FILE = Path("/work/shared/corpus/dev.jsonl")
BENCH_ITEMS = 2000
FUZZ_ITEMS = 3000
ODD_ITEMS = 1500  # the first fuzz items, run against the synthetic baseline
_DIGEST_CHARS = 16  # 64 bits: ample to tell verdicts apart, and the file stays small


def _canon(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            "@": type(value).__name__,
            **{f.name: _canon(getattr(value, f.name)) for f in dataclasses.fields(value)},
        }
    if isinstance(value, Enum):
        return f"{type(value).__name__}.{value.name}"
    if isinstance(value, tuple):
        return [_canon(v) for v in value]
    if isinstance(value, list):
        return {"@list": [_canon(v) for v in value]}
    if value is None or type(value) in (str, int, float, bool):
        return value
    raise TypeError(f"unexpected {type(value).__name__} in an assessment: {value!r}")


def canonical(assessment: Assessment) -> str:
    """The assessment as canonical JSON: every field, with types, plus derived properties."""
    data = {
        "assessment": _canon(assessment),
        "dimensions": assessment.dimensions,
        "evidence": assessment.evidence,
    }
    return json.dumps(data, sort_keys=True, ensure_ascii=True, separators=(",", ":"))


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:_DIGEST_CHARS]


# --- corpora ------------------------------------------------------------------------------


def labelled(name: str) -> list[ClassifierInput]:
    return [i.item for i in read_jsonl(DATA / name)]


def dev_items() -> list[ClassifierInput] | None:
    return [i.item for i in read_jsonl(DEV_FILE)] if DEV_FILE.exists() else None


def bench_items() -> list[ClassifierInput]:
    from bench.classify_items import make_items

    return make_items(BENCH_ITEMS)


_MARKERS = (
    ", but ",
    "; ",
    " but ",
    ". However, ",
    ", however, ",
    " however ",
    ", although ",
    " though ",
    ", while ",
    " whereas ",
    ", even as ",
    " despite ",
    ", yet ",
    " yet ",
    ";",
)
_OPENERS = ("Although ", "Though ", "While ", "Whereas ", "Even as ", "Despite ", "But ", "Yet ")
_INSERTS = (
    "not",
    "no longer",
    "never",
    "cannot",
    "did not",
    "failed to",
    "refused to",
    "without",
    "stopped",
    "ceased",
    "lifted",
    "ended",
    "called off",
    "eased off",
    "still",
    "remains",
    "continued",
    "maintained",
    "as before",
    "reportedly",
    "may",
    "may now",
    "might",
    "could",
    "is said to",
    "expected to",
    "reiterated",
    "reaffirmed",
    "upheld",
    "Chinese customs",
    "China's customs",
    "Beijing",
    "Seoul",
    "the UN Security Council",
    "South Korean officials",
    "North Korean authorities",
    "the regime",
    "Pyongyang",
    "Kim Jong Un",
    "the state",
    "bound for North Korea",
    "in Pyongyang",
    "from the DPRK",
    "N. Korea",
    "U.S. Treasury",
    "No. 39",
    "Mr. Kim",
    "eased",
    "tightened",
    "cracked down on",
    "banned",
    "allowed",
    "resumed",
    "closed",
    "sealed",
    "halted",
    "stricter",
    "called for",
    "urged",
)
_TYPOGRAPHY = (
    ("'", "\u2019"),
    ("'", "\u2018"),
    ('"', "\u201c"),
    ('"', "\u201d"),
    ("-", "\u2013"),
    ("-", "\u2014"),
    ("-", "\u2010"),
    ("-", "\u2011"),
    (" ", "\u00a0"),
    ("u", "\u016d"),
    ("o", "\u014f"),
    ("e", "\u00e9"),
    ("a", "\u00e4"),
    ("s", "\u00df"),
    ("i", "\u0131"),
    (" ", "\n"),
    (" ", "  "),
    (" ", "\t"),
    (".", ".\n\n"),
    (",", ""),
    (" ", ""),
)
_FOREIGN = ("\uc870\uc120", "\u00f8", "\u2122", "\U0001f600", "\ufb01", "\u2460")


def _sentences(text: str) -> list[str]:
    return [s for s in re.split(r"(?<=[.!?])\s+", text) if s.strip()]


def _vocabulary(baseline: Baseline) -> list[str]:
    """Words and short phrases from the baseline's cues, in a stable order."""
    words: set[str] = set()
    topics: list[Dimension | WatchTopic] = [*baseline.dimensions, *baseline.watch_topics]
    for topic in topics:
        for pattern in _cue_patterns(topic.cues):
            words.update(re.findall(r"[a-z][a-z'-]+(?: [a-z][a-z'-]+)?", pattern))
    return sorted(words)


def _cue_patterns(cues: Cues) -> Iterator[str]:
    yield from (*cues.topic, *cues.loosening, *cues.tightening, *cues.reaffirmation)


def _perturb(rng: random.Random, sentence: str, vocabulary: list[str]) -> str:
    words = sentence.split(" ")
    for _ in range(rng.choice((0, 0, 1, 1, 2, 3))):
        at = rng.randrange(len(words) + 1)
        pool = _INSERTS if rng.random() < 0.6 else vocabulary
        words.insert(at, rng.choice(pool))
    if rng.random() < 0.15:
        at = rng.randrange(len(words))
        words[at] = words[at].upper() if rng.random() < 0.5 else words[at].capitalize()
    text = " ".join(words)
    if rng.random() < 0.1:
        text = text.upper()
    for _ in range(rng.choice((0, 0, 0, 1, 2))):
        old, new = rng.choice(_TYPOGRAPHY)
        text = text.replace(old, new, rng.choice((1, 2, -1)))
    if rng.random() < 0.05:
        at = rng.randrange(len(text) + 1)
        text = text[:at] + rng.choice(_FOREIGN) + text[at:]
    if rng.random() < 0.05:
        text = text[: rng.randrange(len(text) + 1)]
    return text


def fuzz_items(baseline: Baseline) -> list[ClassifierInput]:
    """Deterministic adversarial items: corpus sentences recombined and perturbed."""
    rng = random.Random(20261202)  # noqa: S311 - reproducible test data, not secrets
    pool: list[str] = []
    for name in ("labelled.jsonl", "heldout.jsonl"):
        for item in labelled(name):
            pool.append(item.title)
            pool.extend(_sentences(item.text))
    from bench import text as bench_text

    bench_rng = random.Random(11)  # noqa: S311 - reproducible test data
    pool.extend(bench_text.sentence(bench_rng, trade_share=0.5) for _ in range(200))
    vocabulary = _vocabulary(baseline)
    items: list[ClassifierInput] = []
    for n in range(FUZZ_ITEMS):
        parts: list[str] = []
        for _ in range(rng.randint(1, 12)):
            if rng.random() < 0.1:
                soup = " ".join(rng.choice(vocabulary) for _ in range(rng.randint(3, 15)))
                parts.append(soup + rng.choice((".", "", "!", "?", ";")))
                continue
            sentence = _perturb(rng, rng.choice(pool), vocabulary)
            if rng.random() < 0.2:
                sentence = rng.choice(_OPENERS) + sentence[:1].lower() + sentence[1:]
            if rng.random() < 0.3:
                other = _perturb(rng, rng.choice(pool), vocabulary)
                sentence = sentence.rstrip(".") + rng.choice(_MARKERS) + other
            parts.append(sentence)
        separator = rng.choice((" ", " ", "\n\n", "\n", "  "))
        text = separator.join(parts)
        title_kind = rng.random()
        if title_kind < 0.2:
            title = ""
        elif title_kind < 0.25:
            title = "   "
        else:
            title = _perturb(rng, rng.choice(pool), vocabulary)
        if rng.random() < 0.03:
            text = ""
        items.append(ClassifierInput(id=f"f{n}", title=title, text=text))
    return items


def odd_baseline(baseline: Baseline) -> Baseline:
    """The shipped baseline plus a watch topic with cues unlike the shipped ones."""
    odd = WatchTopic(
        id="odd_cues",
        title="Synthetic cues for the golden test",
        cues=Cues(
            topic=(
                r"\bTrade\b",  # capitals: compiled with IGNORECASE, never gated
                r"customs",  # no \b: a loose stem
                r"(?<=the )border",  # lookbehind: no stem
                r"\b(\w+ )?market",  # optional first group: no stem
                r"\.\s*north",  # starts with an escape: no stem
                r"\b, trad\w*",  # a stem that starts with punctuation
                r"\bport[]x]?s?\b",  # a class opening with "]": alternatives unclear
            ),
            loosening=(
                r"\beas\w*\W+\w+",  # may run across a clause boundary
                r"\b(re)?open(ed)?",
                r"\bs?lift",  # optional last stem character
                r"\bgrant|\ballow\w*|permi",  # alternatives, one unanchored
                r"\b(trucks?|traffic)\b",
                r"\bx?",  # can match empty
            ),
            tightening=(
                r"\bBAN\w*",
                r"\bsanction(?#(|x)s?",  # a comment, which may hold "(" and "|": unclear too
                r"\bcontro[]l]\w*",  # a class opening with "]", on a directional cue
                r"\bseal\w*(\s+\S+){0,3}",
                r"\btight\w*|\bstrict\w*",
                r"\bcrack\w* ?down",
                r"\b(arrest|detain)\w*\s+\w+\s*;?\s*\w*",
            ),
            reaffirmation=(r"\bline\b", r"\bstill\b", r"\bstate\b"),
        ),
    )
    return baseline.model_copy(update={"watch_topics": (*baseline.watch_topics, odd)})


# --- golden file ---------------------------------------------------------------------------


def corpora(baseline: Baseline) -> dict[str, tuple[RuleClassifier, list[ClassifierInput]]]:
    """The golden corpora by name, each with the classifier it is run through."""
    shipped = RuleClassifier(baseline)
    fuzz = fuzz_items(baseline)
    found: dict[str, tuple[RuleClassifier, list[ClassifierInput]]] = {
        "labelled": (shipped, labelled("labelled.jsonl")),
        "heldout": (shipped, labelled("heldout.jsonl")),
        "bench": (shipped, bench_items()),
        "fuzz": (shipped, fuzz),
        "odd": (RuleClassifier(odd_baseline(baseline)), fuzz[:ODD_ITEMS]),
    }
    dev = dev_items()
    if dev is not None:
        found["dev"] = (shipped, dev)
    return found


FULL = ("labelled", "heldout")  # corpora stored as full verdicts rather than digests
GENERATED = ("bench", "fuzz", "odd")  # corpora whose inputs are digested too


def inputs_digest(items: list[ClassifierInput]) -> str:
    """One digest of a corpus's inputs: tells a changed generator from a changed verdict."""
    return digest(json.dumps([dataclasses.asdict(i) for i in items], sort_keys=True))


def record(
    name: str, classifier: RuleClassifier, items: list[ClassifierInput]
) -> list[list[object]]:
    """The golden rows of a corpus: ``[id, verdict]`` or ``[id, digest of verdict]``."""
    rows: list[list[object]] = []
    for item in items:
        verdict = canonical(classifier.assess(item))
        rows.append([item.id, json.loads(verdict) if name in FULL else digest(verdict)])
    return rows


def write(path: Path) -> None:
    baseline = load_baseline(BASELINE_FILE)
    names = corpora(baseline)
    lines = [
        "{",
        f'"baseline_hash": {json.dumps(baseline.content_hash())},',
        f'"odd_baseline_hash": {json.dumps(odd_baseline(baseline).content_hash())},',
        '"inputs": '
        + json.dumps({n: inputs_digest(names[n][1]) for n in GENERATED if n in names})
        + ",",
    ]
    for index, (name, (classifier, items)) in enumerate(names.items()):
        rows = record(name, classifier, items)
        lines.append(f"{json.dumps(name)}: [")
        body = [json.dumps(row, ensure_ascii=True, separators=(",", ":")) for row in rows]
        lines.append(",\n".join(body))
        lines.append("]" + ("," if index < len(names) - 1 else ""))
    lines.append("}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--write", action="store_true", help=f"(re)write {GOLDEN_FILE.name}")
    args = parser.parse_args(argv)
    if not args.write:
        parser.error("nothing to do without --write (run the test to compare)")
    write(GOLDEN_FILE)
    print(f"wrote {GOLDEN_FILE} ({GOLDEN_FILE.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
