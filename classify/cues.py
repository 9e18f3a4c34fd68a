"""Cue matching in one clause, with negation, hedges, persistence and the actor applied.

A *hit* is one cue found in one clause, already turned into the direction it supports and
weighted:

- a negated loosening cue ("still cannot trade independently") says the restriction holds:
  it becomes a weak reaffirmation; a negated tightening cue ("did not crack down") is dropped;
- a move of either direction reported as unfounded, dismissed or denied ("rumours that the
  border would reopen proved unfounded", "dismissing reports that workers were ordered
  home") did not happen, so the line holds: reaffirmation;
- a tightening cue with a persistence marker ("remains tightly controlled") restates the
  current stance, and so does a loosening one that carries on ("continues to welcome
  investors"): reaffirmation; so is any directional cue in a clause that restates the line
  ("reiterated", "reissued the order");
- a clause about how things stood before ("until now", "previously", "in 2023 ...") is
  background and weighs little;
- a concessive clause ("although ...") and a hedged claim ("reportedly", "may") weigh less;
- in a clause where a foreign authority acts and no North Korean actor does, directional cues
  are dropped: another state's measures are not DPRK policy;
- a generic verb counts for every dimension with a topic in its clause, except where a
  specific cue already gives its direction: for that cue's dimension it adds nothing, and
  for the others it weighs for the item (``NO_DIMENSION``) without opening a signal;
- a clause that names no dimension but says the line holds ("nothing has changed, a trader
  said") is a reaffirmation ``CARRIED`` to the dimension the text around it is about.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from classify.actors import foreign_led
from classify.baseline import Dimension, WatchTopic
from classify.gate import GatedPattern, stem_keys
from classify.lexicon import (
    BACKGROUND,
    CESSATION_AFTER,
    CESSATION_BEFORE,
    DENIAL,
    DENIAL_AFTER,
    DENIAL_AFTER_WORDS,
    FOREIGN_ACTOR,
    GENERIC_LOOSENING,
    GENERIC_REAFFIRMATION,
    GENERIC_TIGHTENING,
    HEDGE,
    NEGATION_BEFORE,
    NO_PLANS,
    PERMISSION,
    PERSISTENCE,
    PERSISTENCE_BEFORE,
    RESTATEMENT,
    SINCE_BEFORE,
)
from classify.prefix_index import PrefixIndex, TextView
from classify.prefixes import Prefixes, WordCheck, required_prefixes, required_words
from classify.types import Direction

SPECIFIC_WEIGHT = 1.0
GENERIC_WEIGHT = 0.5  # a generic verb only counts next to a topic cue, and counts less
NEGATED_LOOSENING_WEIGHT = 0.6
# A report said to be unfounded or dismissed states that the line holds, as plainly as a
# restatement does.
DENIED_WEIGHT = 1.0
SUBORDINATE_FACTOR = 0.5
HEDGE_FACTOR = 0.6
BACKGROUND_FACTOR = 0.3  # "until now, firms were vetted": how things stood, not the news
NO_DIMENSION = ""
CARRIED = "^"  # a restatement whose dimension is the one the text around it is about
_NEGATION_WINDOW = 40  # characters searched around a cue ("not", "since" before; "eases" after)

# One hit: (dimension, direction, weight, cue). Plain tuples: an item yields dozens.
# A hit under NO_DIMENSION weighs for the item's direction but gives no dimension a signal.
Hit = tuple[str, Direction, float, str]


@dataclass(frozen=True)
class CompiledDimension:
    """A baseline dimension's cues, compiled once."""

    id: str
    topic: tuple[GatedPattern, ...]
    loosening: tuple[GatedPattern, ...]
    tightening: tuple[GatedPattern, ...]
    reaffirmation: tuple[GatedPattern, ...]

    @classmethod
    def from_dimension(cls, dim: Dimension | WatchTopic) -> CompiledDimension:
        def comp(patterns: tuple[str, ...]) -> tuple[GatedPattern, ...]:
            return tuple(GatedPattern(p) for p in patterns)

        return cls(
            id=dim.id,
            topic=comp(dim.cues.topic),
            loosening=comp(dim.cues.loosening),
            tightening=comp(dim.cues.tightening),
            reaffirmation=comp(dim.cues.reaffirmation),
        )

    @property
    def patterns(self) -> list[GatedPattern]:
        return [*self.topic, *self.loosening, *self.tightening, *self.reaffirmation]


# Owners in the ``PrefixIndex``: cue n is 2n under its stems and 2n + 1 under its required
# prefixes (once read, see ``_Cue``), so which kind of place the index reports is known and
# the cues still sort in order; language-level pattern k is 2 * (number of cues) + k.

_KINDS = (
    ("topic", None),
    ("loosening", Direction.LOOSENING),
    ("tightening", Direction.TIGHTENING),
    ("reaffirmation", Direction.REAFFIRMATION),
)

# Language-level patterns searched clause by clause, gated like the cues: their numbers in
# the ``PrefixIndex`` follow the cues'.
_LEXICON = (
    FOREIGN_ACTOR,
    GENERIC_LOOSENING,
    GENERIC_TIGHTENING,
    GENERIC_REAFFIRMATION,
    HEDGE,
    PERSISTENCE,
    RESTATEMENT,
    BACKGROUND,
)
(
    _FOREIGN,
    _LOOSENING,
    _TIGHTENING,
    _REAFFIRMATION,
    _HEDGE,
    _PERSISTENCE,
    _RESTATEMENT,
    _BACKGROUND,
) = range(8)
_GENERIC = (
    (Direction.LOOSENING, _LOOSENING),
    (Direction.TIGHTENING, _TIGHTENING),
    (Direction.REAFFIRMATION, _REAFFIRMATION),
)


# Places (in one item) a cue must have before it is read: with fewer, trying the pattern
# costs less than reading it, which a short-lived process would pay for hundreds of cues.
_READ_AT = 3


class _Cue:
    """One cue pattern and how to find its matches in a text.

    The classifier's matches are ``GatedPattern.finditer``'s with the stems
    ``StemIndex.present`` reports: ``pattern.match`` tried, left to right and without
    overlap, where a present stem occurs. Trying it only at those of the places where one of
    its required prefixes (``classify.prefixes``) also occurs finds the same matches, since
    every match starts with one. The ``PrefixIndex`` reports places under the cue's stems at
    first and, once the cue has been read, under its required prefixes, which are rarer;
    ``_cue_matches`` keeps the places where both occur whichever it was.
    """

    __slots__ = (
        "dimension",
        "direction",
        "found",
        "gated",
        "keys",
        "match",
        "prefixes",
        "stems",
        "words",
    )

    def __init__(self, dimension: str, direction: Direction | None, gated: GatedPattern) -> None:
        self.dimension = dimension
        self.direction = direction
        self.gated = gated
        self.match = gated.pattern.match
        # Read the first time the cue could match an item (``read``): reading a few hundred
        # patterns costs more than the rest of compiling them, and a process may need few.
        self.found: Prefixes | None = None
        self.prefixes: tuple[str, ...] | None = None  # () when none can be told
        self.words: tuple[WordCheck, ...] = ()  # words a text must have (``required_words``)
        # The stems a place is checked for: () when every required prefix starts with one.
        self.stems = tuple(sorted(gated.stems or ()))
        # For a cue the index does not cover: its stems with StemIndex's keys.
        self.keys: tuple[tuple[str, str | None], ...] = ()

    def read(self) -> tuple[str, ...]:
        """The cue's required prefixes, read once (() when none can be told)."""
        if self.prefixes is None:
            pattern = self.gated.pattern
            found = required_prefixes(pattern.pattern, pattern.flags)
            self.words = required_words(pattern.pattern, pattern.flags)
            self.found = found
            self.prefixes = () if found is None else found.strings
            if self.prefixes and all(p.startswith(self.stems) for p in self.prefixes):
                self.stems = ()
        return self.prefixes


def _present(stem: str, key: str | None, view: TextView) -> bool:
    """``StemIndex.present``'s verdict on one stem: a keyed stem needs a word of the text to
    start with its key; every stem must occur in the text."""
    if key is not None:
        if len(key) >= 4:
            if key not in view.keys:
                return False
        elif not any(word.startswith(key) for word in view.words):
            return False
    return stem in view.text


# Syntax where ``GatedPattern.anchored`` might not see the alternatives ``re`` does (a class
# opening with "]", a comment, inline flags): whether every alternative starts at \b is unsure.
_UNCLEAR = re.compile(r"\[\^?\]|\(\?[#a-zA-Z]")


class CueMatcher:
    """All cues of a baseline, compiled once; ``scan`` finds their hits clause by clause.

    An item's clauses are joined and every cue is matched over them once. A ``PrefixIndex``
    over all cues (and the language-level patterns of ``_LEXICON``) says where each may
    match, so that a cue none of whose strings is in the item costs nothing; the places are
    narrowed in ``_cue_matches`` and tried with ``re.Pattern.match``.
    """

    def __init__(self, dims: tuple[CompiledDimension, ...]) -> None:
        cues = [
            _Cue(dim.id, direction, gated)
            for dim in dims
            for kind, direction in _KINDS
            for gated in getattr(dim, kind)
        ]
        owners: list[tuple[int, Prefixes | None]] = []
        unclear: list[_Cue] = []
        unindexed: list[int] = []
        for number, cue in enumerate(cues):
            source = cue.gated.pattern.pattern
            if cue.gated.stems is None:
                # Scanned in full where a required prefix occurs (everywhere if none is known).
                cue.read()
                owners.append((2 * number, cue.found))
                if cue.found is None:
                    unindexed.append(2 * number)
            elif cue.gated.anchored and _UNCLEAR.search(source):
                unclear.append(cue)
                unindexed.append(2 * number)
            else:
                # A stem of an anchored pattern that starts with a letter or digit only
                # leads to a match at the start of a word: the index can check words for it.
                owners.append((2 * number, Prefixes(cue.stems, cue.gated.anchored)))
        self._lexicon_base = 2 * len(cues)
        lexicon = [required_prefixes(p.pattern, p.flags) for p in _LEXICON]
        owners.extend((self._lexicon_base + n, found) for n, found in enumerate(lexicon))
        self._cues = tuple(cues)
        self._index = PrefixIndex(owners)
        self._unindexed = tuple(unindexed)
        self._lexicon_gated = tuple(found is not None for found in lexicon)
        if unclear:
            keys = stem_keys([c.gated for c in cues])
            for cue in unclear:
                cue.keys = tuple((stem, keys[stem]) for stem in cue.stems)

    def scan(self, clauses: list[tuple[str, bool]]) -> list[list[Hit]]:
        """Hits per clause for normalised ``(clause, subordinate)`` pairs.

        Every pattern runs over all clauses joined by newlines; a match is credited to the
        clause where it starts, and one that runs on into the next clause is dropped. A
        clause's hits therefore depend on its own text alone, which is what lets the
        classifier keep each sentence's hits (``SentenceMemo``).
        """
        whole = "\n".join(c for c, _ in clauses)
        starts, pos = [], 0
        for clause, _ in clauses:
            starts.append(pos)
            pos += len(clause) + 1
        view = TextView(whole)
        occurs = self._index.find(view)
        base = self._lexicon_base
        found: list[dict[str, tuple[list[bool], list[tuple[Direction, str, int]]]]] = [
            {} for _ in clauses
        ]
        read: list[tuple[int, Prefixes | None]] = []
        for owner in sorted([*(n for n in occurs if n < base), *self._unindexed]):
            number = owner >> 1
            cue = self._cues[number]
            unread = cue.prefixes is None
            matches = _cue_matches(cue, whole, view, occurs.get(owner), owner & 1 == 1)
            if unread and cue.found is not None and owner in occurs:  # read just now: from
                read += [(owner, None), (owner | 1, cue.found)]  # the next item, its prefixes
            for at, text in matches:
                if "\n" in text:
                    continue
                i = bisect.bisect_right(starts, at) - 1
                topic, directional = found[i].setdefault(cue.dimension, ([False], []))
                if cue.direction is None:
                    topic[0] = True
                else:
                    directional.append((cue.direction, text, at - starts[i]))
        if read:
            self._index.replace(read)
        lexicon = _Lexicon(occurs, base, self._lexicon_gated, starts)
        hits: list[list[Hit]] = []
        for i, ((clause, subordinate), per_dim) in enumerate(zip(clauses, found, strict=True)):
            if per_dim:
                hits.append(_clause_hits(_Clause(clause, i, lexicon), subordinate, per_dim))
            elif lexicon.may_match(_REAFFIRMATION, i):
                hits.append(_carried_hits(_Clause(clause, i, lexicon), subordinate))
            else:
                hits.append([])
        return hits


def _cue_matches(
    cue: _Cue, whole: str, view: TextView, occurs: list[list[int]] | None, by_prefixes: bool
) -> list[tuple[int, str]]:
    """``GatedPattern.finditer``'s matches of one cue in ``whole``, given the places the
    index found for it (None when it is not indexed), under its required prefixes or not.
    A cue not read yet (see ``_Cue``) is read if it has places enough for that to pay."""
    if _lacks_a_required_word(cue, view):
        return []
    if cue.gated.stems is None:
        # No stems: the pattern scans the text (when a prefix of it occurs, if it has any).
        return [(m.start(), m.group(0)) for m in cue.gated.pattern.finditer(whole)]
    if occurs is None:  # not indexed: the stems' occurrences, as StemIndex gates them
        positions: list[int] = []
        for stem, key in cue.keys:
            if _present(stem, key, view):
                at = whole.find(stem)
                while at >= 0:
                    positions.append(at)
                    at = whole.find(stem, at + 1)
        positions = sorted(set(positions))
    else:
        positions = occurs[0] if len(occurs) == 1 else sorted({p for ps in occurs for p in ps})
    prefixes = cue.prefixes
    if prefixes is None:
        if len(positions) < _READ_AT:
            prefixes = ()
        else:
            prefixes = cue.read()
            if _lacks_a_required_word(cue, view):  # the words are known from now on
                return []
    # Only where both a required prefix and a stem occur, whichever the index went by.
    if prefixes and not by_prefixes:
        positions = [p for p in positions if whole.startswith(prefixes, p)]
    if cue.stems:
        positions = [p for p in positions if whole.startswith(cue.stems, p)]
    matches: list[tuple[int, str]] = []
    last_end = -1
    match = cue.match
    for at in positions:
        if at < last_end:
            continue
        m = match(whole, at)
        if m is not None:
            matches.append((at, m.group(0)))
            last_end = max(m.end(), at + 1)
    return matches


def _lacks_a_required_word(cue: _Cue, view: TextView) -> bool:
    """Whether ``view`` misses a word every match of ``cue`` has (of the words known so far:
    none before the cue is read)."""
    for needed, starting in cue.words:
        if needed.isdisjoint(view.words) and starting.isdisjoint(view.key_set):
            return True
    return False


class _Lexicon:
    """Per item: where each language-level pattern may match, clause by clause, from the
    prefix index."""

    __slots__ = ("_base", "_by_clause", "_gated", "_occurs", "_starts")

    def __init__(
        self,
        occurs: dict[int, list[list[int]]],
        base: int,
        gated: tuple[bool, ...],
        starts: list[int],
    ) -> None:
        self._occurs = occurs
        self._base = base
        self._gated = gated
        self._starts = starts
        self._by_clause: dict[int, dict[int, list[int]] | None] = {}

    def may_match(self, which: int, clause: int) -> bool:
        """False only when pattern ``which`` cannot match in clause number ``clause``."""
        places = self.places(which)
        return places is None or clause in places

    def places(self, which: int) -> dict[int, list[int]] | None:
        """Per clause (by index), the ascending positions in it where a match of pattern
        ``which`` may start; None when the pattern is not gated (search it everywhere)."""
        if which in self._by_clause:
            return self._by_clause[which]
        found: dict[int, list[int]] | None = None
        if self._gated[which]:
            found = {}
            lists = self._occurs.get(self._base + which, [])
            positions = lists[0] if len(lists) == 1 else sorted({p for ps in lists for p in ps})
            starts = self._starts
            for at in positions:
                i = bisect.bisect_right(starts, at) - 1
                if i in found:
                    found[i].append(at - starts[i])
                else:
                    found[i] = [at - starts[i]]
        self._by_clause[which] = found
        return found


class _Clause:
    """One clause and its clause-wide facts, each computed only if a cue needs it."""

    __slots__ = ("_facts", "_generic", "index", "lexicon", "text")

    def __init__(self, text: str, index: int, lexicon: _Lexicon) -> None:
        self.text = text
        self.index = index
        self.lexicon = lexicon
        self._facts: dict[int, bool] = {}
        self._generic: dict[int, tuple[Direction, float, str] | None] = {}

    def search(self, which: int) -> re.Match[str] | None:
        """``_LEXICON[which].search(self.text)``, tried only where the pattern may match."""
        pattern = _LEXICON[which]
        places = self.lexicon.places(which)
        if places is None:
            return pattern.search(self.text)
        for at in places.get(self.index, ()):
            m = pattern.match(self.text, at)
            if m is not None:
                return m
        return None

    def fact(self, which: int) -> bool:
        """Whether the clause has a match of ``_LEXICON[which]``."""
        known = self._facts.get(which)
        if known is None:
            known = self._facts[which] = self.search(which) is not None
        return known

    def may_match(self, which: int) -> bool:
        """False only when ``_LEXICON[which]`` cannot match in the clause."""
        return self.lexicon.may_match(which, self.index)

    @property
    def directional_ok(self) -> bool:
        """False when a foreign authority acts in the clause and no North Korean actor does."""
        led = self._facts.get(_FOREIGN)
        if led is None:
            led = self._facts[_FOREIGN] = self.may_match(_FOREIGN) and foreign_led(self.text)
        return not led

    def generic(self, direction: Direction, which: int) -> tuple[Direction, float, str] | None:
        """The first generic cue of ``direction`` in the clause, resolved."""
        if which not in self._generic:
            m = self.search(which)
            self._generic[which] = (
                None if m is None else _resolve(direction, self, m.group(0), m.start())
            )
        return self._generic[which]


# After a cue, a word that sets another actor beside it ("smugglers sentenced as state firms
# keep shipping", "arrests rose while exports continued"): what carries on there is theirs.
_CONTRAST_AFTER = re.compile(r"\b(as|while|whereas|but|yet)\b")


def _persists(clause: _Clause, end: int) -> bool:
    """Whether the clause says the restriction ending at ``end`` carries on: a persistence
    word before it, or after it with no contrast word between."""
    if not clause.fact(_PERSISTENCE):
        return False
    for m in PERSISTENCE.finditer(clause.text):
        if m.start() < end or _CONTRAST_AFTER.search(clause.text, end, m.start()) is None:
            return True
    return False


def _resolve(
    direction: Direction, clause: _Clause, text: str, start: int
) -> tuple[Direction, float, str] | None:
    """Apply background, cessation, negation and persistence to one directional match
    starting at ``start``."""
    cue = text.strip()
    if direction is Direction.REAFFIRMATION:
        return direction, 1.0, cue
    # The words just before the cue, where "not", "lifted" or "since" stands.
    before = clause.text[max(0, start - _NEGATION_WINDOW) : start]
    end = start + len(text)
    if direction is Direction.TIGHTENING:
        if SINCE_BEFORE.search(before) is not None:
            return None  # "since the border was closed in 2020": when, not what happened
        after = clause.text[end : end + 2 * _NEGATION_WINDOW].lstrip()
        if CESSATION_BEFORE.search(before) is not None or _ends_after(after):
            # "stopped confiscating flour", "lifted the ban on", "as the crackdown eases":
            # the restriction ends.
            return Direction.LOOSENING, 1.0, f"ended {cue}"
    if _denied_after(clause.text, end):
        # "talk of relaxed rules proved unfounded", "reports that the border was sealed
        # were dismissed": the reported move did not happen, so the line holds.
        return Direction.REAFFIRMATION, DENIED_WEIGHT, f"denied {cue}"
    negation = NEGATION_BEFORE.search(before)
    if negation is not None:
        if direction is Direction.LOOSENING:
            # "still cannot trade independently", "no plans to reopen" restate the
            # restriction outright.
            outright = clause.fact(_PERSISTENCE) or NO_PLANS.search(negation.group(0))
            weight = 1.0 if outright else NEGATED_LOOSENING_WEIGHT
            return Direction.REAFFIRMATION, weight, f"not {cue}"
        if DENIAL.search(negation.group(0)) is not None:
            return Direction.REAFFIRMATION, DENIED_WEIGHT, f"denied {cue}"
        return None
    if direction is Direction.TIGHTENING and _persists(clause, end):
        return Direction.REAFFIRMATION, 1.0, f"still {cue}"
    if direction is Direction.LOOSENING and PERSISTENCE_BEFORE.search(before) is not None:
        return Direction.REAFFIRMATION, 1.0, f"still {cue}"
    if clause.fact(_RESTATEMENT):
        # "reiterated the drive to diversify trade": the line restated, not a move
        return Direction.REAFFIRMATION, 1.0, f"restated {cue}"
    return direction, 1.0, cue


_WORD = re.compile(r"[\w'-]+\s+")
_ENDED_WITHIN = 6  # words that may stand between a restriction and "lifted"


def _ends_after(after: str) -> bool:
    """Whether the restriction named just before ``after`` ends in it: "eases", "was lifted",
    or a few words on ("the ban on importing 'domestically made' goods lifted")."""
    at = 0
    for _ in range(_ENDED_WITHIN + 1):
        if CESSATION_AFTER.match(after, at):
            return True
        word = _WORD.match(after, at)
        if word is None:
            return False
        at = word.end()
    return False


def _denied_after(text: str, end: int) -> bool:
    """Whether the clause says, after ``end``, that what it reports was denied or untrue."""
    rest = text[end:]
    # Most clauses have none of DENIAL_AFTER's words, and testing for a word is cheaper than
    # running the pattern over the rest of the clause.
    if not any(word in rest for word in DENIAL_AFTER_WORDS):
        return False
    return DENIAL_AFTER.search(rest) is not None


def _carried_hits(clause: _Clause, subordinate: bool) -> list[Hit]:
    """A clause that names no dimension but says the line holds ("nothing has changed", "the
    existing arrangement will continue"): a reaffirmation of whatever the text around it is
    about, under CARRIED for ``RuleClassifier`` to place."""
    if not clause.directional_ok:
        return []
    resolved = clause.generic(Direction.REAFFIRMATION, _REAFFIRMATION)
    if resolved is None:
        return []
    factor = _clause_factor(clause, subordinate)
    return [(CARRIED, Direction.REAFFIRMATION, GENERIC_WEIGHT * factor, resolved[2])]


def _granted(text: str) -> bool:
    """Whether the clause's only hedge is a "may" some decree or rules grant (``PERMISSION``)."""
    if PERMISSION.search(text) is None:
        return False
    return all(m.group(0) == "may" for m in HEDGE.finditer(text))


def _clause_factor(clause: _Clause, subordinate: bool) -> float:
    """What a clause's hits weigh: less in a subordinate, hedged or background clause."""
    factor = SUBORDINATE_FACTOR if subordinate else 1.0
    if clause.fact(_HEDGE) and not _granted(clause.text):
        factor *= HEDGE_FACTOR
    if clause.fact(_BACKGROUND):
        factor *= BACKGROUND_FACTOR
    return factor


def _clause_hits(
    clause: _Clause,
    subordinate: bool,
    per_dim: dict[str, tuple[list[bool], list[tuple[Direction, str, int]]]],
) -> list[Hit]:
    if not clause.directional_ok:
        return []
    raw: list[Hit] = []
    mine: dict[str, set[Direction]] = {}  # directions a dimension's specific cues gave
    for dim_id, (_, directional) in per_dim.items():
        mine[dim_id] = set()
        for direction, text, start in directional:
            resolved = _resolve(direction, clause, text, start)
            if resolved is None:
                continue
            final, weight, cue = resolved
            raw.append((dim_id, final, SPECIFIC_WEIGHT * weight, cue))
            mine[dim_id].add(final)
    specific = set().union(*mine.values())  # ...for any dimension
    for dim_id, (topic, _) in per_dim.items():
        if not topic[0]:
            continue
        for direction, which in _GENERIC:
            resolved = clause.generic(direction, which)
            if resolved is None:
                continue
            final, weight, cue = resolved
            if final in specific:
                if final in mine[dim_id]:
                    continue  # a specific cue already speaks for this direction here
                # ...for another dimension: in "allowed a trade delegation to negotiate
                # contracts", "allowed" is the delegation's news, not the contracts'.
                # The verb still weighs for the item's direction, under no dimension.
                raw.append((NO_DIMENSION, final, GENERIC_WEIGHT * weight, cue))
                continue
            raw.append((dim_id, final, GENERIC_WEIGHT * weight, cue))
    if not raw:
        return []
    factor = _clause_factor(clause, subordinate)
    return [(d, direction, w * factor, cue) for d, direction, w, cue in raw]
