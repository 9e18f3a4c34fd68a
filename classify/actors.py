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
    PREPOSITION_BEFORE,
)


def mentions_dprk(normalised: str) -> bool:
    """True when the normalised text names North Korea, its leaders, media or places."""
    # Most items name the country outright: a match where "north korea" first occurs settles
    # it without trying every alternative at every position before it.
    at = normalised.find("north korea")
    if at >= 0 and DPRK_MENTION.match(normalised, at) is not None:
        return True
    return DPRK_MENTION.search(normalised) is not None


def _subject_mentions(
    pattern: re.Pattern[str], clause: str, *, not_after: re.Pattern[str] | None = None
) -> bool:
    """Whether a match of ``pattern`` in ``clause`` is not the object of a preposition (nor
    preceded by a match of ``not_after``)."""
    for match in pattern.finditer(clause):
        if PREPOSITION_BEFORE.search(clause, 0, match.start()) is not None:
            continue
        if not_after is None or not_after.search(clause, 0, match.start()) is None:
            return True
    return False


def _bare_country_acts(clause: str) -> bool:
    # A bare name after "and" or "or" is one of a pair ("between North Korea and China"),
    # whose other member decides.
    if not any(name in clause for name in BARE_COUNTRY_NAMES):  # most clauses: no regex scan
        return False
    return _subject_mentions(BARE_COUNTRY, clause, not_after=COORDINATED_BEFORE)


def foreign_led(clause: str) -> bool:
    """True when a foreign authority acts in the clause and no North Korean actor does.

    "Chinese customs stepped up inspections of goods bound for North Korea" and "China
    suspended trade with North Korea" are foreign-led; "Beijing and Pyongyang agreed to
    resume trade" is not (both act).
    """
    if not (_subject_mentions(FOREIGN_ACTOR, clause) or _bare_country_acts(clause)):
        return False
    return not _subject_mentions(DPRK_ACTOR, clause)
