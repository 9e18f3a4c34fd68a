"""Word shingles of an article's text: what story clustering compares (``storage.clusters``).

A module of its own, importing neither the ORM nor the database driver, so analysis worker
processes (``tradewatch.analysis``) can shingle the articles they parse, off the process that
stores them.
"""

from __future__ import annotations

import operator
import re
import zlib
from dataclasses import dataclass
from itertools import accumulate, islice, repeat

from classify.text import normalise

MAX_WORDS = 600  # the head of an article carries the story; long tails add cost, not signal
SHINGLE = 5

_WORD = re.compile(r"[^\W_]+")
# In ASCII text _WORD matches runs of letters and digits: every other byte separates them.
_ASCII_SEPARATORS = bytes(b if chr(b).isascii() and chr(b).isalnum() else 32 for b in range(256))


def shingles(title: str, text: str) -> frozenset[int]:
    """Hashed word shingles of an article (stable across processes: crc32, not ``hash``).

    A shingle's hash is the crc32 of its words joined by single spaces, UTF-8 encoded. Here
    each is a slice of all the words joined once, so the work per shingle runs in C.
    """
    normalised = normalise(f"{title}\n{text}")
    if normalised.isascii():  # the common case: what _WORD matches, found by C loops
        words = normalised.encode().translate(_ASCII_SEPARATORS).split()[:MAX_WORDS]
    else:
        words = [word.encode() for word in _WORD.findall(normalised)[:MAX_WORDS]]
    data = b" ".join(words)
    if len(words) < SHINGLE:
        return frozenset({zlib.crc32(data)}) if words else frozenset()
    # Shingle i starts where word i does and ends before the space ahead of word i + SHINGLE.
    steps = list(map(operator.add, map(len, words), repeat(1)))
    starts = accumulate(steps, initial=0)
    ends = islice(accumulate(steps, initial=-1), SHINGLE, None)
    return frozenset(map(zlib.crc32, map(data.__getitem__, map(slice, starts, ends))))


@dataclass(frozen=True)
class Shingled:
    """An article's shingles with the title and text they were computed from, so a process
    that did not compute them can tell they are still the stored article's."""

    title: str
    text: str
    hashes: frozenset[int]

    @classmethod
    def of(cls, title: str, text: str) -> Shingled:
        return cls(title, text, shingles(title, text))

    def of_text(self, title: str, text: str) -> frozenset[int] | None:
        """The shingles, if computed from this ``title`` and ``text``; else None."""
        return self.hashes if (self.title, self.text) == (title, text) else None
