"""Who an item is about, and who acts in a clause.

The actor matters: a Chinese customs crackdown on North Korea-bound cargo is not a North
Korean tightening, and South Korea's export controls are not DPRK trade policy at all.
"""

from __future__ import annotations

import re

from classify.lexicon import (
    BARE_COUNTRY,
    BARE_COUNTRY_NAMES,
    COORDINATED_BEFORE,
    DPRK_ACTOR,
    DPRK_MENTION,
    FOREIGN_ACTOR,
    OBJECT_MODIFIER,
    PREPOSITION_BEFORE,
    VERB_BEFORE,
)


def mentions_dprk(normalised: str) -> bool:
    """True when the normalised text names North Korea, its leaders, media or places."""
    # Most items name the country outright: a match where "north korea" first occurs settles
    # it without trying every alternative at every position before it.
    at = normalised.find("north korea")
    if at >= 0 and DPRK_MENTION.match(normalised, at) is not None:
        return True
    return DPRK_MENTION.search(normalised) is not None


def _subject_at(
    pattern: re.Pattern[str], clause: str, *, not_after: re.Pattern[str] | None = None
) -> int | None:
    """Where the first match of ``pattern`` in ``clause`` that is not the object of a
    preposition (nor preceded by a match of ``not_after``) starts, if any."""
    for match in pattern.finditer(clause):
        if PREPOSITION_BEFORE.search(clause, 0, match.start()) is not None:
            continue
        if not_after is None or not_after.search(clause, 0, match.start()) is None:
            return match.start()
    return None


def _bare_country_at(clause: str) -> int | None:
    # A bare name after "and" or "or" is one of a pair ("between North Korea and China"),
    # whose other member decides.
    if not any(name in clause for name in BARE_COUNTRY_NAMES):  # most clauses: no regex scan
        return None
    return _subject_at(BARE_COUNTRY, clause, not_after=COORDINATED_BEFORE)


def _dprk_acts(clause: str, *, after_foreign: int) -> bool:
    """Whether a North Korean actor acts in ``clause``, whose first foreign actor starts at
    ``after_foreign``. After the foreign actor, "North Korean ..." or "North Korea's ..."
    right after a verb names what the foreign actor acts on ("China banned North Korean coal
    imports"), not another actor ("Beijing said North Korean firms halted exports", "an
    agency said its North Korean counterparts told it...")."""
    for match in DPRK_ACTOR.finditer(clause):
        at = match.start()
        if PREPOSITION_BEFORE.search(clause, 0, at) is not None:
            continue
        if (
            at > after_foreign
            and OBJECT_MODIFIER.match(clause, at) is not None
            and VERB_BEFORE.search(clause, 0, at) is not None
        ):
            continue
        return True
    return False


def foreign_led(clause: str) -> bool:
    """True when a foreign authority acts in the clause and no North Korean actor does.

    "Chinese customs stepped up inspections of goods bound for North Korea", "China
    suspended trade with North Korea" and "China banned North Korean coal imports" are
    foreign-led; "Beijing and Pyongyang agreed to resume trade" is not (both act), nor is
    "Beijing said North Korean firms halted exports".
    """
    starts = [
        at
        for at in (_subject_at(FOREIGN_ACTOR, clause), _bare_country_at(clause))
        if at is not None
    ]
    if not starts:
        return False
    return not _dprk_acts(clause, after_foreign=min(starts))
