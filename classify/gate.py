"""Stems: the literal words a cue's matches start with, and which matches the classifier finds.

Python's ``re`` scans text slowly for patterns without a literal prefix (``\\b(...)``), and
the baseline holds a few hundred of them. Most cues begin with a word or one of a few words;
``literal_stems`` extracts those. ``GatedPattern.finditer``, given the stems
``StemIndex.present`` finds in a text, defines the matches the classifier works with: the
pattern tried, left to right and without overlap, where a present stem occurs (a pattern
without stems scans the whole text). ``classify.cues`` finds the same matches with less work
(see ``classify.prefix_index`` and ``classify.prefixes``); the tests compare it with these.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_MIN_STEM = 2
_LITERAL = re.compile(r"[a-z0-9 '\-,.]*")
_ESCAPE = re.compile(r"\\.")


# Escapes and character classes are skipped whole: a class ends at its first unescaped
# ``]``, and a backslash takes the next character with it.
_STRUCTURE = re.compile(r"\\[\s\S]?|\[(?:\\[\s\S]?|[^\]\\])*\]?|([()|])")

# The ``(``, ``)`` and ``|`` of a pattern outside escapes and classes, with their indexes.
_Marks = list[tuple[int, str]]


def _marks(pattern: str) -> _Marks:
    return [(m.start(), ch) for m in _STRUCTURE.finditer(pattern) if (ch := m.group(1))]


def _split_top(pattern: str, marks: _Marks, start: int, end: int) -> list[tuple[int, int]]:
    """``pattern[start:end]`` split at ``|`` characters outside groups, classes and escapes,
    as index ranges (``start`` must not be inside an escape or class)."""
    parts, depth = [], 0
    for i, ch in marks:
        if i < start or i >= end:
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif depth == 0:
            parts.append((start, i))
            start = i + 1
    parts.append((start, end))
    return parts


def _group_end(marks: _Marks, start: int, end: int) -> int:
    """Index of the ``)`` closing the group that opens at ``start``, before ``end``, or -1."""
    depth = 0
    for i, ch in marks:
        if i < start or i >= end:
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return i
    return -1


def literal_stems(pattern: str) -> frozenset[str] | None:
    """Substrings one of which any match must contain, or None when none can be derived."""
    return _stems(pattern, _marks(pattern), 0, len(pattern))


def _anchored(pattern: str, marks: _Marks) -> bool:
    """True when every top-level alternative starts with ``\\b``: matches begin a word."""
    parts = _split_top(pattern, marks, 0, len(pattern))
    return all(pattern.startswith(r"\b", start, end) for start, end in parts)


def _stems(pattern: str, marks: _Marks, start: int, end: int) -> frozenset[str] | None:
    """``literal_stems`` of ``pattern[start:end]``."""
    alternatives = _split_top(pattern, marks, start, end)
    if len(alternatives) > 1:
        found: set[str] = set()
        for alt_start, alt_end in alternatives:
            stems = _stems(pattern, marks, alt_start, alt_end)
            if stems is None:
                return None
            found |= stems
        return frozenset(found)
    if pattern.startswith(r"\b", start, end):
        start += 2
    if pattern.startswith("(", start, end):
        close = _group_end(marks, start, end)
        if close < 0 or (
            pattern.startswith("(?", start, end) and not pattern.startswith("(?:", start, end)
        ):
            return None
        if pattern[close + 1 : min(close + 2, end)] in {"?", "*", "{"}:
            return None  # the group is optional: its words are not required
        inner = start + 3 if pattern.startswith("(?:", start, end) else start + 1
        return _stems(pattern, marks, inner, close)
    literal = _LITERAL.match(pattern, start, end)
    stem = literal.group(0) if literal else ""
    after = start + len(stem)
    if pattern[after : min(after + 1, end)] in {"?", "*", "{"}:
        stem = stem[:-1]  # the last character is optional
    stem = stem.strip()
    return frozenset({stem}) if len(stem) >= _MIN_STEM else None


class GatedPattern:
    """A compiled pattern with the stems that gate it."""

    __slots__ = ("anchored", "pattern", "stems")

    def __init__(self, source: str) -> None:
        # Matching runs on lower-cased text; only a cue written with capitals needs IGNORECASE,
        # which makes ``re`` several times slower.
        unescaped = _ESCAPE.sub("", source)
        if unescaped.isascii():  # then lower() changes exactly the capitals
            upper = unescaped.lower() != unescaped
        else:
            upper = any(c.isupper() for c in unescaped)
        flags = re.IGNORECASE if upper else 0
        self.pattern = re.compile(source, flags)
        marks = _marks(source)
        self.stems = None if flags else _stems(source, marks, 0, len(source))
        self.anchored = _anchored(source, marks)

    def finditer(
        self,
        text: str,
        present: frozenset[str],
        cache: dict[str, list[int]] | None = None,
    ) -> Iterator[tuple[int, str]]:
        """Non-overlapping matches as ``(start, text)``, found by anchoring at stems.

        Stems are the literal start of every match, so trying ``match`` where a stem occurs
        (``str.find``, fast) finds the same matches as scanning with the pattern (slow).
        ``cache`` (stem -> its positions in ``text``) lets patterns sharing a stem find it once.
        """
        if self.stems is None:
            for found in self.pattern.finditer(text):
                yield found.start(), found.group(0)
            return
        positions: set[int] = set()
        for stem in self.stems & present:
            if cache is not None and stem in cache:
                positions.update(cache[stem])
                continue
            found_at: list[int] = []
            at = text.find(stem)
            while at >= 0:
                found_at.append(at)
                at = text.find(stem, at + 1)
            if cache is not None:
                cache[stem] = found_at
            positions.update(found_at)
        last_end = -1
        for at in sorted(positions):
            if at < last_end:
                continue
            m = self.pattern.match(text, at)
            if m is not None:
                yield at, m.group(0)
                last_end = max(m.end(), at + 1)

    def may_match(self, present: frozenset[str]) -> bool:
        """False only when none of the stems is in ``present`` (see ``StemIndex``)."""
        return self.stems is None or not self.stems.isdisjoint(present)


KEY_LENGTH = 4  # a stem is keyed on up to this many first characters of its first word
WORD = re.compile(r"[a-z0-9]+")  # what StemIndex calls a word
WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")


def stem_keys(patterns: list[GatedPattern]) -> dict[str, str | None]:
    """Per stem of ``patterns``, the word prefix ``StemIndex`` keys it on; None for a stem
    it tests with ``in`` alone (one of an unanchored pattern, or starting with punctuation).
    """
    anchored: set[str] = set()
    loose: set[str] = set()
    for pattern in patterns:
        stems = pattern.stems or frozenset()
        if pattern.anchored:
            anchored |= stems
        else:
            loose |= stems
    keys: dict[str, str | None] = dict.fromkeys(loose)
    for stem in anchored - loose:
        lead = WORD.match(stem)
        keys[stem] = lead.group(0)[:KEY_LENGTH] if lead else None
    return keys


class StemIndex:
    """All stems of a set of patterns, so one pass per text finds which are present.

    Testing each of several hundred stems with ``in`` scans the text once per stem. Most
    stems start a word (their pattern begins with ``\\b``), so the text's word prefixes (up to
    four characters) are collected once, and such a stem is only confirmed with ``in`` when
    its own leading prefix is among them: usually a small fraction. Other stems use ``in``.
    """

    def __init__(self, patterns: list[GatedPattern]) -> None:
        keys = stem_keys(patterns)
        self._keyed = tuple(sorted((s, k) for s, k in keys.items() if k is not None))
        self._loose = tuple(sorted(s for s, k in keys.items() if k is None))

    def present(self, text: str) -> frozenset[str]:
        """The stems that occur in ``text``."""
        words = set(WORD.findall(text))
        prefixes = set(words)
        for size in range(1, KEY_LENGTH + 1):
            prefixes.update({w[:size] for w in words})
        found = [s for s, key in self._keyed if key in prefixes]
        return frozenset(
            [*filter(text.__contains__, found), *filter(text.__contains__, self._loose)]
        )
