"""Cheap pre-checks that let the classifier skip regular expressions that cannot match.

Python's ``re`` scans text slowly for patterns without a literal prefix (``\\b(...)``), and
the baseline holds a few hundred of them. Most cues begin with a word or one of a few words;
``literal_stems`` extracts those, and a pattern is only run on an item whose text contains
one of its stems (a fast substring test). Patterns whose start is not literal always run.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_MIN_STEM = 2
_LITERAL = re.compile(r"[a-z0-9 '\-,.]*")


def _structural(pattern: str) -> Iterator[tuple[int, str, int]]:
    """``(index, char, depth)`` for each character outside escapes and character classes;
    ``depth`` is the group nesting just after the character (a ``(`` counts itself)."""
    depth, i, in_class = 0, 0, False
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        else:
            if ch == "(":
                depth += 1
            elif ch == ")":
                depth -= 1
            yield i, ch, depth
        i += 1


def _split_top(pattern: str) -> list[str]:
    """Split at ``|`` characters outside groups, classes and escapes."""
    parts, start = [], 0
    for i, ch, depth in _structural(pattern):
        if ch == "|" and depth == 0:
            parts.append(pattern[start:i])
            start = i + 1
    parts.append(pattern[start:])
    return parts


def _group_end(pattern: str) -> int:
    """Index of the ``)`` closing the group that opens at index 0, or -1."""
    for i, ch, depth in _structural(pattern):
        if ch == ")" and depth == 0:
            return i
    return -1


def literal_stems(pattern: str) -> frozenset[str] | None:
    """Substrings one of which any match must contain, or None when none can be derived."""
    alternatives = _split_top(pattern)
    if len(alternatives) > 1:
        found: set[str] = set()
        for alt in alternatives:
            stems = literal_stems(alt)
            if stems is None:
                return None
            found |= stems
        return frozenset(found)
    body = pattern.removeprefix(r"\b")
    if body.startswith("("):
        end = _group_end(body)
        if end < 0 or (body.startswith("(?") and not body.startswith("(?:")):
            return None
        if body[end + 1 : end + 2] in {"?", "*", "{"}:
            return None  # the group is optional: its words are not required
        return literal_stems(body[3:end] if body.startswith("(?:") else body[1:end])
    literal = _LITERAL.match(body)
    stem = literal.group(0) if literal else ""
    if body[len(stem) : len(stem) + 1] in {"?", "*", "{"}:
        stem = stem[:-1]  # the last character is optional
    stem = stem.strip()
    return frozenset({stem}) if len(stem) >= _MIN_STEM else None


class GatedPattern:
    """A compiled pattern with the stems that gate it."""

    __slots__ = ("pattern", "stems")

    def __init__(self, source: str) -> None:
        # Matching runs on lower-cased text; only a cue written with capitals needs IGNORECASE,
        # which makes ``re`` several times slower.
        unescaped = re.sub(r"\\.", "", source)
        flags = re.IGNORECASE if any(c.isupper() for c in unescaped) else 0
        self.pattern = re.compile(source, flags)
        self.stems = None if flags else literal_stems(source)

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


_PREFIX = 4
_WORD = re.compile(r"[a-z0-9]+")


def _anchored(source: str) -> bool:
    """True when every top-level alternative starts with ``\\b``: matches begin a word."""
    return all(alt.startswith(r"\b") for alt in _split_top(source))


class StemIndex:
    """All stems of a set of patterns, so one pass per text finds which are present.

    Testing each of several hundred stems with ``in`` scans the text once per stem. Most
    stems start a word (their pattern begins with ``\\b``), so the text's word prefixes (up to
    four characters) are collected once, and such a stem is only confirmed with ``in`` when
    its own leading prefix is among them: usually a small fraction. Other stems use ``in``.
    """

    def __init__(self, patterns: list[GatedPattern]) -> None:
        anchored: set[str] = set()
        loose: set[str] = set()
        for pattern in patterns:
            stems = pattern.stems or frozenset()
            if _anchored(pattern.pattern.pattern):
                anchored |= stems
            else:
                loose |= stems
        keyed: list[tuple[str, str]] = []
        for stem in sorted(anchored - loose):
            lead = _WORD.match(stem)
            if lead is None:
                loose.add(stem)  # starts with punctuation: no word prefix to key on
            else:
                keyed.append((stem, lead.group(0)[:_PREFIX]))
        self._stems = tuple(sorted(anchored | loose))
        self._keyed = tuple(keyed)
        self._loose = tuple(sorted(loose))

    def present(self, text: str) -> frozenset[str]:
        """The stems that occur in ``text``."""
        words = set(_WORD.findall(text))
        prefixes = set(words)
        for size in range(1, _PREFIX + 1):
            prefixes.update({w[:size] for w in words})
        found = [s for s, key in self._keyed if key in prefixes]
        return frozenset(
            [*filter(text.__contains__, found), *filter(text.__contains__, self._loose)]
        )
