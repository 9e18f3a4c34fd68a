"""Where many patterns' prefixes occur in one text, found with few passes over it.

Each pattern (an *owner*, by number) is indexed under literal strings one of which begins
each of its possible matches: its stems (``classify.gate``) or its required prefixes
(``classify.prefixes``). ``PrefixIndex.find`` reports, per owner, the positions where one of
them occurs; the caller tries the pattern there.

Passing over a 2 KB item with ``str.find`` costs about the same whether it finds something or
not, and an item would need dozens. Instead its words and where they start are collected in
one pass (``TextView``). A string that an anchored pattern (every match at ``\\b``) starts
with a letter or digit can only occur where a word starts: one that is the start of a word
("decentrali") is found where the words beginning with it start; one that opens with a whole
word ("trade compan") where that word starts, confirmed with ``str.startswith`` (many strings
share a first word, so they are filed by the few characters after it). Other strings are
looked for with ``str.find``, and only when the words they contain are in the text.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterable

from classify.gate import KEY_LENGTH, WORD, WORD_CHARS
from classify.prefixes import Prefixes

_NOT_WORD = str.maketrans({chr(i): " " for i in range(128) if chr(i) not in WORD_CHARS})


class TextView:
    """A text with its words (runs of ``[a-z0-9]``, as ``StemIndex`` reads them), where each
    starts, and the words by their first four characters, collected in one pass."""

    __slots__ = ("_by_key", "_key_set", "_sorted", "_starts", "_words", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self._starts: dict[str, list[int]] = {}
        self._by_key: dict[str, list[str]] = {}
        self._words: set[str] | None = None
        self._key_set: set[str] | None = None
        self._sorted: list[str] | None = None
        starts = self._starts
        by_key = self._by_key
        if text.isascii():
            # Mapping every other character to a space keeps positions, and splitting at single
            # spaces then finds the runs several times faster than ``WORD`` does.
            at = 0
            for run in text.translate(_NOT_WORD).split(" "):
                if not run:
                    at += 1
                    continue
                if run in starts:
                    starts[run].append(at)
                else:
                    starts[run] = [at]
                    key = run[:KEY_LENGTH]
                    if key in by_key:
                        by_key[key].append(run)
                    else:
                        by_key[key] = [run]
                at += len(run) + 1
        else:
            for found in WORD.finditer(text):
                run = found.group(0)
                if run not in starts:
                    by_key.setdefault(run[:KEY_LENGTH], []).append(run)
                starts.setdefault(run, []).append(found.start())

    @property
    def starts(self) -> dict[str, list[int]]:
        """Each word, with the positions where it occurs as a word, ascending."""
        return self._starts

    @property
    def words(self) -> set[str]:
        if self._words is None:
            self._words = set(self._starts)
        return self._words

    @property
    def keys(self) -> dict[str, list[str]]:
        """The words by their first four characters (all of a shorter one)."""
        return self._by_key

    @property
    def key_set(self) -> set[str]:
        """The first four characters of every word, as a set."""
        if self._key_set is None:
            self._key_set = set(self._by_key)
        return self._key_set

    def starting(self, start: str) -> list[str]:
        """The words that start with ``start``."""
        if len(start) >= KEY_LENGTH:
            return [w for w in self._by_key.get(start[:KEY_LENGTH], ()) if w.startswith(start)]
        if self._sorted is None:
            self._sorted = sorted(self._starts)
        words = self._sorted
        at = bisect.bisect_left(words, start)
        found = []
        while at < len(words) and words[at].startswith(start):
            found.append(words[at])
            at += 1
        return found


def _word_checks(prefix: str, anchored: bool) -> tuple[frozenset[str], frozenset[str]]:
    """What a text must have for ``prefix`` to occur in it where a match can start: the
    words the prefix contains whole, and the first four characters of words it contains
    the start of. A run of ``[a-z0-9]`` starts a word of the text when the prefix has
    another character before it (or, in an anchored pattern, when it opens the prefix: a
    match starts at ``\\b``); it ends one when the prefix has another character after it.
    """
    whole: set[str] = set()
    starts: set[str] = set()
    for run in WORD.finditer(prefix):
        begin, end = run.span()
        if not (anchored if begin == 0 else prefix[begin - 1] not in WORD_CHARS):
            continue
        if end < len(prefix):
            whole.add(run.group(0))
        elif end - begin >= KEY_LENGTH:
            starts.add(run.group(0)[:KEY_LENGTH])
    return frozenset(whole), frozenset(starts)


class _Entry:
    """One indexed string, the owners it stands for, and (for a loose one) the words and
    word starts a text must have for it to occur."""

    __slots__ = ("owners", "prefix", "starts", "whole")

    def __init__(
        self, prefix: str, whole: frozenset[str], starts: frozenset[str], owners: tuple[int, ...]
    ) -> None:
        self.prefix = prefix
        self.whole = whole
        self.starts = starts
        self.owners = owners


# Where a string is filed: ("led", word) when it opens with that whole word, ("begun", key)
# when it is the start of one word (keyed on its first four characters), ("short",) when that
# start is shorter, ("loose",) otherwise (no anchored word start to key on).
_Slot = tuple[str, ...]
# A string as indexed: (its text, whether its owners are anchored).
_Key = tuple[str, bool]
# Where a string is filed, and (for a loose one) the whole words and word starts it needs.
_Filing = tuple[_Slot, frozenset[str], frozenset[str]]
_TAIL = 3  # characters after its first word a string led by one is filed under


class _State:
    """The index as ``find`` reads it. Never changed once published: ``PrefixIndex.replace``
    builds the next one, so a thread reading this one is never disturbed."""

    __slots__ = ("begun", "led", "loose", "short")

    def __init__(
        self,
        led: dict[str, tuple[dict[str, tuple[_Entry, ...]], tuple[_Entry, ...]]],
        begun: dict[str, tuple[_Entry, ...]],
        short: tuple[_Entry, ...],
        loose: tuple[_Entry, ...],
    ) -> None:
        # per first word: its strings by the characters that follow it (``_TAIL`` of them),
        # and those with fewer
        self.led = led
        self.begun = begun
        self.short = short
        self.loose = loose


class PrefixIndex:
    """Which owners may match a text, and where (see the module docstring).

    Owners can be re-indexed under other strings at any time (``replace``), from any thread:
    ``find`` works on the state published when it starts.
    """

    def __init__(self, owners: Iterable[tuple[int, Prefixes | None]] = ()) -> None:
        self._lock = threading.Lock()
        self._state = _State({}, {}, (), ())
        # What the published states are built from; changed only under the lock.
        self._owners: dict[_Key, list[int]] = {}
        self._filed: dict[_Key, _Filing] = {}
        self._slots: dict[_Slot, list[_Key]] = {}
        self._held: dict[int, list[_Key]] = {}
        self.replace(owners)

    def replace(self, owners: Iterable[tuple[int, Prefixes | None]]) -> None:
        """Index each owner under its given strings instead of those it had (None: none)."""
        with self._lock:
            touched: set[_Slot] = set()
            for owner, prefixes in owners:
                for key in self._held.pop(owner, []):
                    self._owners[key].remove(owner)
                    touched.add(self._filed[key][0])
                if prefixes is None:
                    continue
                held = self._held[owner] = []
                for text in prefixes.strings:
                    key = (text, prefixes.anchored)
                    if key not in self._filed:
                        self._filed[key] = self._file(text, prefixes.anchored)
                        self._slots.setdefault(self._filed[key][0], []).append(key)
                        self._owners[key] = []
                    self._owners[key].append(owner)
                    held.append(key)
                    touched.add(self._filed[key][0])
            self._state = self._publish(touched)

    @staticmethod
    def _file(text: str, anchored: bool) -> _Filing:
        lead = WORD.match(text) if anchored else None
        word = lead.group(0) if lead else ""
        nothing: frozenset[str] = frozenset()
        if word and len(word) < len(text):
            return ("led", word), nothing, nothing
        if len(word) >= KEY_LENGTH:
            return ("begun", word[:KEY_LENGTH]), nothing, nothing
        if word:
            return ("short",), nothing, nothing
        return ("loose",), *_word_checks(text, anchored)

    def _publish(self, touched: set[_Slot]) -> _State:
        old = self._state
        led = dict(old.led) if any(slot[0] == "led" for slot in touched) else old.led
        begun = dict(old.begun) if any(slot[0] == "begun" for slot in touched) else old.begun
        short, loose = old.short, old.loose
        for slot in touched:
            entries = tuple(
                _Entry(key[0], *self._filed[key][1:], tuple(self._owners[key]))
                for key in self._slots[slot]
                if self._owners[key]
            )
            if slot[0] == "led":
                after = len(slot[1])
                by_tail: dict[str, list[_Entry]] = {}
                for entry in entries:
                    tail = entry.prefix[after : after + _TAIL]
                    if len(tail) == _TAIL:
                        by_tail.setdefault(tail, []).append(entry)
                rest = tuple(e for e in entries if len(e.prefix) < after + _TAIL)
                led[slot[1]] = ({k: tuple(v) for k, v in by_tail.items()}, rest)
                if not entries:
                    del led[slot[1]]
            elif slot[0] == "begun":
                begun[slot[1]] = entries
                if not entries:
                    del begun[slot[1]]
            elif slot[0] == "short":
                short = entries
            else:
                loose = entries
        return _State(led, begun, short, loose)

    def find(self, view: TextView) -> dict[int, list[list[int]]]:
        """Per owner, lists of positions (each ascending) where its strings occur, where a
        match can start; owners none of whose strings occur are absent."""
        state = self._state
        text = view.text
        starts = view.starts
        words = view.words
        keys = view.key_set
        found: dict[int, list[list[int]]] = {}
        placed: list[tuple[_Entry, list[int]]] = []
        # Strings that are the start of a word: where the words starting with them start.
        by_key = view.keys
        for key in keys & state.begun.keys():
            candidates = by_key[key]
            for entry in state.begun[key]:
                matching = [word for word in candidates if word.startswith(entry.prefix)]
                if len(matching) == 1:
                    placed.append((entry, starts[matching[0]]))
                elif matching:
                    placed.append((entry, sorted(p for word in matching for p in starts[word])))
        for entry in state.short:
            matching = view.starting(entry.prefix)
            if len(matching) == 1:
                placed.append((entry, starts[matching[0]]))
            elif matching:
                placed.append((entry, sorted(p for word in matching for p in starts[word])))
        # Strings that open with a whole word: where that word starts and they follow,
        # picked by the characters after it.
        led: dict[_Entry, list[int]] = {}
        for word in words & state.led.keys():
            by_tail, rest = state.led[word]
            after = len(word)
            for at in starts[word]:
                for entry in by_tail.get(text[at + after : at + after + _TAIL], ()):
                    if text.startswith(entry.prefix, at):
                        led.setdefault(entry, []).append(at)
                for entry in rest:
                    if text.startswith(entry.prefix, at):
                        led.setdefault(entry, []).append(at)
        placed.extend(led.items())
        # The rest: looked for in the text.
        for entry in state.loose:
            if not (entry.whole <= words and entry.starts <= keys):
                continue
            at = text.find(entry.prefix)
            positions = []
            while at >= 0:
                positions.append(at)
                at = text.find(entry.prefix, at + 1)
            if positions:
                placed.append((entry, positions))
        for entry, positions in placed:
            for owner in entry.owners:
                if owner in found:
                    found[owner].append(positions)
                else:
                    found[owner] = [positions]
        return found
