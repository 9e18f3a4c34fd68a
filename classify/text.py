"""Text handling for the classifier: normalisation, sentences and clauses.

Sentences are returned verbatim (slices of the input) so that evidence quotes the item
exactly; matching runs on a normalised copy (lower case, diacritics folded, quotes and dashes
straightened) so that "Sinŭiju" and "Sinuiju", or ’ and ', match the same cue.
"""

from __future__ import annotations

import re
import unicodedata

_PUNCT = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": " - ",
        "\u2010": "-",
        "\u2011": "-",
        "\u00a0": " ",
    }
)

# Abbreviations that end in a period but do not end a sentence in this field's news copy.
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "prof",
        "gen",
        "lt",
        "col",
        "sgt",
        "st",
        "no",
        "nos",
        "vs",
        "etc",
        "inc",
        "corp",
        "co",
        "ltd",
        "jr",
        "sr",
        "u.s",
        "u.n",
        "n",
        "u.k",
        "e.g",
        "i.e",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "approx",
        "est",
        "dept",
    ]
)
_BOUNDARY = re.compile(r"[.!?][\"'\u2019\u201d)\]]*\s+(?=[\"'\u2018\u201c(\[]?[A-Z0-9])")
# Runs on normalised (lower-case) text. It finds what
#   ;|,?\s+\bbut\b|,?\s+\bhowever\b,?|,?\s+\balthough\b|,?\s+\bthough\b|,?\s+\bwhile\b|
#   ,?\s+\bwhereas\b|,?\s+\beven as\b|,?\s+\bdespite\b|,?\s+\byet\b(?! to\b| again\b| another\b)
# (with "yet" not after "not" or "as")
# finds (same starts, same ends), but starts with a character class, which ``re`` scans for
# quickly instead of trying every alternative at every position: the ";" , "," or space a
# match starts with is consumed first, and a lookbehind tells which one it was. "Has yet to
# resume", "not yet reopened", "as yet": "yet" is the negation there, not a contrast, and
# splitting at it cut the negation off its verb.
_CONTRAST = (
    r"(?:but\b|however\b,?|although\b|though\b|while\b|whereas\b|even as\b|despite\b|"
    r"(?<!\bnot )(?<!\bas )yet\b(?! to\b| again\b| another\b))"
)
_CLAUSE = re.compile(rf"[;,\s](?:(?<=;)|(?<=,)\s+{_CONTRAST}|(?<=\s)\s*{_CONTRAST})")
_CONCESSIVE_START = re.compile(r"\s*(although|though|while|whereas|even as|despite)\b")


def normalise(text: str) -> str:
    """Lower-case ``text``, fold diacritics and straighten typographic punctuation."""
    if text.isascii():  # the common case: nothing to straighten or fold
        return text.lower()
    text = text.translate(_PUNCT)
    if text.isascii():
        return text.lower()
    decomposed = unicodedata.normalize("NFKD", text)
    folded = "".join(c for c in decomposed if not unicodedata.combining(c))
    return folded.lower()


def split_sentences(text: str) -> list[str]:
    """Split ``text`` into sentences, each a verbatim, stripped slice of the input."""
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        candidate = text[start : match.start() + 1]
        last_word = candidate.rsplit(None, 1)[-1].rstrip(".").lower() if candidate.strip() else ""
        # "N. Korea", "U.S. officials", "No. 39": the period belongs to an abbreviation.
        if last_word in _ABBREVIATIONS or (len(last_word) == 1 and last_word.isalpha()):
            continue
        piece = text[start : match.end()].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def split_clauses(sentence: str) -> list[tuple[str, bool]]:
    """Split a normalised (lower-case) sentence at contrast markers.

    Returns ``(clause, subordinate)`` pairs. A clause opened by "although", "though",
    "while", "whereas", "even as" or "despite" is concessive (``subordinate=True``): it
    concedes a point the main clause then outweighs. A clause opened by "but", "however" or
    "yet" is the main point. A sentence that starts with a concessive marker ("Although X,
    Y") marks its first clause subordinate.
    """
    if not (
        ";" in sentence
        or "but" in sentence
        or "however" in sentence
        or "though" in sentence
        or "while" in sentence
        or "whereas" in sentence
        or "even as" in sentence
        or "despite" in sentence
        or "yet" in sentence
    ):  # no contrast marker at all, the common case (spelt out: a loop costs more)
        return [(sentence, False)]
    parts: list[tuple[str, bool]] = []
    pos = 0
    pending_sub = bool(_CONCESSIVE_START.match(sentence))
    for match in _CLAUSE.finditer(sentence):
        if match.start() == 0:
            continue
        parts.append((sentence[pos : match.start()], pending_sub))
        marker = match.group(0).strip(" ,;").lower()
        pending_sub = marker in {"although", "though", "while", "whereas", "even as", "despite"}
        pos = match.end()
    parts.append((sentence[pos:], pending_sub))
    if parts and parts[0][1] and "," in parts[0][0]:
        # "Although X, Y": the concession ends at the comma; Y is the main clause.
        head, _, rest = parts[0][0].partition(",")
        parts[0:1] = [(head, True), (rest, False)]
    return [(c, s) for c, s in parts if c.strip()]
