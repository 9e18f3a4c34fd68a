"""What every match of a pattern starts with: a sound reading of a regular expression's start.

The classifier tries a cue only where one of its stems occurs (``classify.gate``), which for
stems like "re" or "trad" is often. ``required_prefixes`` reads further: every match of
``\\b(re-?open\\w*|resum\\w*)`` starts with "re-open", "reopen" or "resum", so the other places
"re" occurs need no regex call. It is used only to skip work, never to decide a match, and so
must be sound: the prefixes it gives are prefixes of every match, in any text. It reads the
syntax the baseline and lexicon use; anything else (backreferences, inline flags, unusual
escapes, IGNORECASE) yields None, meaning "no information". ``tests/classify/test_prefixes.py``
checks it against a reading of ``re``'s own parse trees and against real matches.

It is a reader written for this rather than ``re._parser`` because that parser is private
and costs several times more: the classifier reads a few hundred patterns as it starts.
"""

from __future__ import annotations

import functools
import re

from classify.gate import KEY_LENGTH, WORD, WORD_CHARS

_MAX_PREFIXES = 64  # per pattern; beyond it the prefixes are shortened until they fit
_MAX_PREFIX_LEN = 24

_TOKEN = re.compile(
    r"\\(?P<esc>[\s\S]?)"
    r"|(?P<cls>\[\^?\]?(?:\\[\s\S]|[^\]\\])*\])"
    r"|(?P<open>\((?:\?(?::|=|!|<=|<!|P<[A-Za-z_][A-Za-z0-9_]*>)|(?!\?)))"
    r"|(?P<close>\))"
    r"|(?P<bar>\|)"
    r"|(?P<quant>(?:[?*+]|\{(?:\d+(?:,\d*)?|,\d*)\})[?+]?)"
    r"|(?P<any>\.)"
    r"|(?P<edge>[\^$])"
    r"|(?P<char>[^\\\[\](){}|?*+.^$]+)"
    r"|(?P<bad>[\s\S])"
)
_ZERO_WIDTH_ESCAPES = frozenset("BAZ")
_CLASS_ESCAPES = frozenset("wWsSdD")

_QUANTIFIER = re.compile(r"[?*+]|\{(?:\d+(?:,\d*)?|,\d*)\}")
# Text without "(", ")" or "|" that counts (escaped, or in a class), skipped in one step.
_FLAT = re.compile(r"(?:\\[\s\S]|\[\^?\]?(?:\\[\s\S]|[^\]\\])*\]|[^\\\[()|])+")
_ENDS = frozenset({"bar", "close", "end"})


class _Unsupported(Exception):
    pass


class _Tokens:
    """A pattern's tokens, one at a time (``_kind`` and ``_text`` of the current one)."""

    def __init__(self, source: str) -> None:
        self._source = source
        self._pos = 0
        self._start = 0  # where the current token starts
        self._kind = ""
        self._text = ""
        self._next()

    def _next(self) -> None:
        self._start = self._pos
        found = _TOKEN.match(self._source, self._pos)
        if found is None:
            self._kind, self._text = "end", ""
            return
        kind = found.lastgroup or "bad"
        text = found[kind]
        end = found.end()
        if kind == "char" and len(text) > 1 and _QUANTIFIER.match(self._source, end):
            text, end = text[:-1], end - 1  # a quantifier binds the last character alone
        self._kind, self._text, self._pos = kind, text, end


class _PrefixReader(_Tokens):
    """Reads a pattern from the left, carrying the prefixes that lead to each point in it:
    those still growing (``live``) and those that stopped (``done``). Once none grows, the
    rest of the branch is skipped: what follows cannot change how a match starts.
    """

    def _skip(self) -> None:
        """Move to the ``|`` or ``)`` that ends the current branch, or to the end."""
        depth = 0
        while self._kind != "end" and not (depth == 0 and self._kind in {"bar", "close"}):
            if self._kind == "open":
                depth += 1
            elif self._kind == "close":
                depth -= 1
            elif self._text.startswith("("):
                raise _Unsupported("group syntax")  # "(?#...)" and others could hide a ")"
            flat = _FLAT.match(self._source, self._pos)
            if flat is not None:
                self._pos = flat.end()
            self._next()

    def read(self) -> tuple[set[str], bool]:
        live, done, anchored = self._alternation({""})
        if self._kind != "end":
            raise _Unsupported("unbalanced parenthesis")
        return live | done, anchored

    def _alternation(self, live: set[str]) -> tuple[set[str], set[str], bool]:
        """Prefixes after a ``|``-separated alternation, and whether every branch starts
        with ``\\b``."""
        out_live: set[str] = set()
        out_done: set[str] = set()
        anchored = True
        while True:
            got_live, got_done, branch_anchored = self._sequence(live)
            out_live |= got_live
            out_done |= got_done
            anchored = anchored and branch_anchored
            if self._kind != "bar":
                return (*_fit(out_live, out_done), anchored)
            self._next()

    def _sequence(self, live: set[str]) -> tuple[set[str], set[str], bool]:
        done: set[str] = set()
        anchored: bool | None = None
        while self._kind not in _ENDS:
            if not live:
                self._skip()
                break
            before = live
            live, stopped, boundary = self._atom(live)
            if self._kind == "quant":
                quantifier = self._text
                self._next()
                live, stopped = self._repeat(before, live, stopped, quantifier)
                boundary = False
            done |= stopped
            if anchored is None:
                anchored = boundary
        return live, done, bool(anchored)

    @staticmethod
    def _repeat(
        before: set[str], live: set[str], done: set[str], quantifier: str
    ) -> tuple[set[str], set[str]]:
        low, high = _bounds(quantifier)
        if not (low <= 1 and high == 1):
            done, live = done | live, set()  # further repetitions are not followed
        if low == 0:
            live = live | before  # zero repetitions
        return _fit(live, done)

    def _atom(self, live: set[str]) -> tuple[set[str], set[str], bool]:
        """Growing and stopped prefixes after one atom, and whether the atom is ``\\b`` (or a
        group that starts with it in every branch)."""
        kind, text = self._kind, self._text
        self._next()
        if kind == "char":
            return *_grow(live, text), False
        if kind == "esc":
            if text == "b":
                return live, set(), True
            if text in _ZERO_WIDTH_ESCAPES:
                return live, set(), False
            if text in _CLASS_ESCAPES:
                return set(), live, False
            if len(text) == 1 and text.isascii() and not text.isalnum():
                return *_grow(live, text), False
            raise _Unsupported(f"escape \\{text}")
        if kind == "cls":
            body = text[1:-1]
            if _plain_class(body):
                out_live: set[str] = set()
                out_done: set[str] = set()
                for ch in body:
                    grown, full = _grow(live, ch)
                    out_live |= grown
                    out_done |= full
                return *_fit(out_live, out_done), False
            return set(), live, False
        if kind == "open":
            look = text[1:3] in {"?=", "?!", "?<"}
            # A lookaround consumes nothing: it is read for its extent only.
            got_live, got_done, anchored = self._alternation(set() if look else live)
            if self._kind != "close":
                raise _Unsupported("unbalanced parenthesis")
            self._next()
            return (live, set(), False) if look else (got_live, got_done, anchored)
        if kind == "any":
            return set(), live, False
        if kind == "edge":
            return live, set(), False
        raise _Unsupported(f"token {text!r}")


def _plain_class(body: str) -> bool:
    """Whether a character class body lists plain characters ("sz", "- "): no negation,
    escape, range or "[" ("]" cannot be in a body as ``_TOKEN`` reads it, but is excluded)."""
    return (
        bool(body)
        and not body.startswith("^")
        and not any(ch in body for ch in "\\[]")
        and "-" not in body[1:-1]
    )


def _grow(live: set[str], chars: str) -> tuple[set[str], set[str]]:
    """``live`` prefixes extended by ``chars``; those that reach the length limit stop."""
    grown = {text + chars for text in live}
    if max(map(len, grown), default=0) < _MAX_PREFIX_LEN:
        return grown, set()
    full = {text[:_MAX_PREFIX_LEN] for text in grown if len(text) >= _MAX_PREFIX_LEN}
    return {text for text in grown if len(text) < _MAX_PREFIX_LEN}, full


def _fit(live: set[str], done: set[str]) -> tuple[set[str], set[str]]:
    """At most ``_MAX_PREFIXES`` prefixes: beyond, all are shortened (and stop) to the
    longest length at which they fit, which keeps them prefixes of every match."""
    if len(live) + len(done) <= _MAX_PREFIXES:
        return live, done
    every = live | done
    low, high = 0, _MAX_PREFIX_LEN  # fewer distinct prefixes as they get shorter: bisect
    while low < high:
        size = (low + high + 1) // 2
        if len({text[:size] for text in every}) <= _MAX_PREFIXES:
            low = size
        else:
            high = size - 1
    return set(), {text[:low] for text in every}


class Prefixes:
    """What every match of a pattern starts with: one of ``strings`` (none a prefix of
    another), at a ``\\b`` word boundary when ``anchored``."""

    __slots__ = ("anchored", "strings")

    def __init__(self, strings: tuple[str, ...], anchored: bool) -> None:
        self.strings = strings
        self.anchored = anchored


@functools.lru_cache(maxsize=4096)
def required_prefixes(source: str, flags: int = 0) -> Prefixes | None:
    """The prefixes every match of ``re.compile(source, flags)`` starts with, or None when
    they cannot be told (unknown syntax, flags other than UNICODE, or an empty match)."""
    if flags & ~re.UNICODE:
        return None
    try:
        strings, anchored = _PrefixReader(source).read()
    except (_Unsupported, ValueError, RecursionError):
        return None
    found = sorted(strings, key=lambda t: (len(t), t))
    if not found or found[0] == "":
        return None
    kept: list[str] = []
    for text in found:
        if not text.startswith(tuple(kept)):
            kept.append(text)
    return Prefixes(tuple(sorted(kept)), anchored)


# --- Words a match must contain ---------------------------------------------------------------
#
# Past its start, a cue like r"\b(trade|exports?) ([\w'-]+ ){0,6}(rose|grew|increas\w*)"
# still needs a word: "rose", "grew" or one starting "incr". A text without any of them
# cannot match, and its set of words says so without running the pattern. Only the start of
# a word is certain, where the pattern has just consumed a character that is not a letter or
# digit ("word" here: a run of ``[a-z0-9]``, as the classifier's word sets hold); that is
# followed along the pattern's top level.

_NOT_WORD_CLASSES = frozenset("sW")  # escapes for classes with no letter or digit


class _Node:
    """An item of a pattern: its token kind and text, for a group its pattern and branches,
    and the fewest times it repeats."""

    __slots__ = ("body", "branches", "kind", "low", "text")

    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind
        self.text = text
        self.body = ""
        self.branches: list[list[_Node]] = []
        self.low = 1


class _TreeReader(_Tokens):
    """Reads a pattern into ``_Node`` sequences, one per top-level branch, with the tokens
    ``_PrefixReader`` reads (and the same refusals)."""

    def read(self) -> list[list[_Node]]:
        branches = self._branches()
        if self._kind != "end":
            raise _Unsupported("unbalanced parenthesis")
        return branches

    def _branches(self) -> list[list[_Node]]:
        branches = [self._sequence()]
        while self._kind == "bar":
            self._next()
            branches.append(self._sequence())
        return branches

    def _sequence(self) -> list[_Node]:
        items: list[_Node] = []
        while self._kind not in _ENDS:
            node = _Node(self._kind, self._text)
            self._next()
            if node.kind == "open":
                begin = self._start
                node.branches = self._branches()
                if self._kind != "close":
                    raise _Unsupported("unbalanced parenthesis")
                node.body = self._source[begin : self._start]
                self._next()
            elif node.kind == "esc":
                text = node.text
                known = text in _ZERO_WIDTH_ESCAPES or text in _CLASS_ESCAPES or text == "b"
                if not known and not (len(text) == 1 and text.isascii() and not text.isalnum()):
                    raise _Unsupported(f"escape \\{text}")
            elif node.kind not in {"char", "cls", "any", "edge"}:
                raise _Unsupported(f"token {node.text!r}")
            if self._kind == "quant":
                node.low = _bounds(self._text)[0]
                self._next()
            items.append(node)
        return items


def _bounds(quantifier: str) -> tuple[int, int]:
    """(minimum, maximum or -1) repetitions a quantifier token allows."""
    if len(quantifier) > 1 and quantifier[-1] in "?+" and quantifier[-2] in "?*+}":
        quantifier = quantifier[:-1]
    if quantifier == "?":
        return 0, 1
    if quantifier == "*":
        return 0, -1
    if quantifier == "+":
        return 1, -1
    first, comma, last = quantifier[1:-1].partition(",")
    low = int(first) if first else 0
    return low, (int(last) if last else -1) if comma else low


def _zero_width(node: _Node) -> bool:
    if node.kind == "open":
        return node.text[1:3] in {"?=", "?!", "?<"}  # a lookaround
    return node.kind == "edge" or (node.kind == "esc" and node.text in {"b", "B", "A", "Z"})


def _after(node: _Node, after: bool) -> bool:
    """Whether the last character consumed once ``node`` is matched is surely not a letter
    or digit, given whether that was so before it."""
    if _zero_width(node):
        return after
    if node.kind == "char":
        once = node.text[-1] not in WORD_CHARS
    elif node.kind == "esc":
        once = node.text in _NOT_WORD_CLASSES or node.text not in _CLASS_ESCAPES
    elif node.kind == "cls":
        body = node.text[1:-1]
        once = _plain_class(body) and not (set(body) & WORD_CHARS)
    elif node.kind == "open":
        once = all(_after_all(branch, after) for branch in node.branches)
    else:
        once = False
    return once and (after or node.low > 0)


def _after_all(items: list[_Node], after: bool) -> bool:
    for node in items:
        after = _after(node, after)
    return after


def _witness(text: str) -> tuple[str, str] | None:
    """What a text needs for ``text`` to occur at the start of one of its words: that first
    word whole (("word", w)) when ``text`` goes on past it, else a word starting with its
    first four characters (("start", s)); None when ``text`` does not start with a letter or
    digit, or its only word is shorter than four characters."""
    run = WORD.match(text)
    if run is None:
        return None
    if run.end() < len(text):
        return "word", run.group(0)
    if run.end() >= KEY_LENGTH:
        return "start", run.group(0)[:KEY_LENGTH]
    return None


# Words a text must have, one of them at least: (whole words, first four characters of words).
WordCheck = tuple[frozenset[str], frozenset[str]]


def _checks(node: _Node, after: bool) -> list[WordCheck]:
    """The word checks a match of ``node`` implies, ``after`` being whether the character
    before it is surely not a letter or digit."""
    checks: list[WordCheck] = []
    if node.kind == "char":  # every word in it that starts after a non-word character
        text = node.text
        for run in WORD.finditer(text):
            begin, end = run.span()
            if not (after if begin == 0 else text[begin - 1] not in WORD_CHARS):
                continue
            if end < len(text):
                checks.append((frozenset({run.group(0)}), frozenset()))
            elif end - begin >= KEY_LENGTH:
                checks.append((frozenset(), frozenset({run.group(0)[:KEY_LENGTH]})))
    elif node.kind == "open":  # one of the words its prefixes start with
        found = required_prefixes(node.body)
        if found is None or not (after or found.anchored):
            return []
        words: set[str] = set()
        starts: set[str] = set()
        for text in found.strings:
            witness = _witness(text)
            if witness is None:
                return []
            (words if witness[0] == "word" else starts).add(witness[1])
        checks.append((frozenset(words), frozenset(starts)))
    return checks


@functools.lru_cache(maxsize=4096)
def required_words(source: str, flags: int = 0) -> tuple[WordCheck, ...]:
    """Word checks every text that ``re.compile(source, flags)`` matches in passes: in each
    ``(words, starts)``, the text has a word in ``words`` or a word whose first four
    characters are in ``starts``. Empty when none can be told (top-level alternatives,
    unknown syntax, flags other than UNICODE)."""
    if flags & ~re.UNICODE:
        return ()
    try:
        branches = _TreeReader(source).read()
    except (_Unsupported, ValueError, RecursionError):
        return ()
    if len(branches) != 1:
        return ()
    checks: list[WordCheck] = []
    after = False  # nothing is known of the character before a match
    for node in branches[0]:
        if node.low > 0 and not _zero_width(node):
            checks.extend(_checks(node, after))
        after = _after(node, after)
    return tuple(checks)
