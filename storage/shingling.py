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
from typing import NamedTuple

from classify.text import normalise

MAX_WORDS = 600  # the head of an article carries the story; long tails add cost, not signal
SHINGLE = 5

# The sketch story clustering pre-filters candidates with (``storage.clusters._possible``).
# 4,096 bits: shingles sharing a bit (the slack of the bound) stay a few percent of a
# full-length text, and unrelated texts still fall far below the bound, while an AND and a
# popcount take a fraction of a microsecond. Twice the bits doubled the scan's cost on the
# backfill benchmark and saved only a few exact comparisons.
SKETCH_BITS = 4096
_SKETCH_SHIFT = 32 - (SKETCH_BITS.bit_length() - 1)
assert 1 << (32 - _SKETCH_SHIFT) == SKETCH_BITS, "SKETCH_BITS must be a power of two"
_HALF_BITS = SKETCH_BITS // 2
_HALF_MASK = (1 << _HALF_BITS) - 1
_DIGITS = bytes.maketrans(b"\x00\x01", b"01")

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


class SketchBits(NamedTuple):
    """A shingle set's bitmaps (see ``storage.clusters._possible`` for the bound they give)."""

    bits: int  # bit (h * golden) >> shift set for each shingle h
    lost: int  # shingles sharing a bit with another one: size - popcount(bits)
    half: int  # ``bits`` folded in two (bit i and bit i + SKETCH_BITS / 2 in one)
    half_lost: int  # as ``lost``, for ``half``


def sketch_bits(items: frozenset[int]) -> SketchBits:
    """The ``SKETCH_BITS``-bit sketch of a shingle set, and the sketch folded in two."""
    flags = bytearray(SKETCH_BITS)
    for h in items:
        # Fibonacci hashing: the top bits of the product mix all 32 bits of the crc.
        flags[((h * 0x9E3779B1) & 0xFFFFFFFF) >> _SKETCH_SHIFT] = 1
    # One ASCII digit per bit, the highest first: bit i of the number is flags[i].
    bits = int(flags.translate(_DIGITS)[::-1], 2)
    half = (bits | bits >> _HALF_BITS) & _HALF_MASK
    size = len(items)
    return SketchBits(bits, size - bits.bit_count(), half, size - half.bit_count())


@dataclass(frozen=True)
class Shingled:
    """An article's shingles with the title and text they were computed from, so a process
    that did not compute them can tell they are still the stored article's."""

    title: str
    text: str
    hashes: frozenset[int]
    bits: SketchBits  # sketch_bits(hashes)

    @classmethod
    def of(cls, title: str, text: str) -> Shingled:
        """Shingles and sketch: what clustering needs, computed ahead (~0.1 ms of sketching
        taken off the writing process)."""
        hashes = shingles(title, text)
        return cls(title, text, hashes, sketch_bits(hashes))

    def of_text(self, title: str, text: str) -> frozenset[int] | None:
        """The shingles, if computed from this ``title`` and ``text``; else None."""
        return self.hashes if (self.title, self.text) == (title, text) else None
