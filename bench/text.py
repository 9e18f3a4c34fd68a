"""Deterministic invented news text: sentences about trade policy and about other things.

Nothing here is copied from any outlet; the words are combined at random from small banks, so
the classifier sees a realistic mix of relevant and unrelated items.
"""

from __future__ import annotations

import random

_SUBJECTS = (
    "Trading companies in the northern provinces",
    "North Korean trading companies",
    "State trade bureaus in North Korea",
    "Officials in a border county",
    "Market vendors in a provincial city",
    "Customs officers at a river crossing",
    "A delegation of trade officials",
    "Smugglers working the border",
    "Factory managers in the capital",
    "Fishing cooperatives on the east coast",
    "Students at an agricultural college",
)
_TRADE_CLAUSES = (
    "were told to remit a larger share of their foreign currency earnings to the state",
    "lost their trading licences after an inspection by the security services",
    "were allowed to sign contracts with Chinese partners directly for the first time",
    "must now route every import permit through the central trade authority",
    "reported that bilateral trade with China picked up after the border reopened",
    "were ordered to stop buying goods from private traders at the market",
    "said negotiations with a Russian delegation ended without an agreement",
    "described new rules that give enterprises more freedom to set prices",
    "expect exports to China to fall as the state tightens oversight of trade",
    "were warned against ideological contamination from capitalist countries",
    "were allowed to sign contracts with Chinese partners directly,"
    " loosening state control of trade",
    "face tighter state control of trade as trading licences are cut back",
)
_OTHER_CLAUSES = (
    "spent the week preparing the fields for the spring planting season",
    "held a performance to mark an anniversary of the founding of a school",
    "repaired a stretch of road that had been damaged by summer floods",
    "were praised in a newspaper editorial for exceeding their quotas",
    "organised a sports competition for workers from several factories",
    "reported heavy snow that closed mountain passes for several days",
    "opened a new library in a renovated building near the station",
    "planted trees along the river as part of a national campaign",
)
_TAILS = (
    "according to a source in the region",
    "a resident told the outlet on condition of anonymity",
    "though the report could not be independently verified",
    "in a change observers say had been expected for months",
    "the source added",
    "",
)
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_NAV = (
    "Economy",
    "Politics",
    "Society",
    "Human Rights",
    "Military",
    "Opinion",
    "Analysis",
    "Photos",
    "Podcast",
    "About",
    "Contact",
    "Subscribe",
)


def sentence(rng: random.Random, *, trade_share: float = 0.3) -> str:
    """One invented news sentence; ``trade_share`` of them speak of trade policy.

    Each names a date, as news does, so that sentences repeat across a corpus about as rarely
    as real ones (~5% of 250,000): the classifier keeps the hits of sentences it has read,
    and a corpus of a few thousand distinct sentences would measure that memo instead of
    the classifier. ("May" is left out: it reads as a hedge.)
    """
    clauses = _TRADE_CLAUSES if rng.random() < trade_share else _OTHER_CLAUSES
    tail = rng.choice(_TAILS)
    when = f"on {rng.choice(_MONTHS)} {rng.randint(1, 28)}, {rng.randint(2019, 2024)}"
    text = f"{rng.choice(_SUBJECTS)} {rng.choice(clauses)} {when}"
    return f"{text}, {tail}." if tail else f"{text}."


def paragraph(rng: random.Random, *, trade_share: float = 0.3) -> str:
    return " ".join(sentence(rng, trade_share=trade_share) for _ in range(rng.randint(2, 5)))


def headline(rng: random.Random) -> str:
    words = rng.choice(_SUBJECTS).split()[:4]
    return " ".join(words) + " " + " ".join(rng.choice(_TRADE_CLAUSES).split()[:6])


def item_text(rng: random.Random, size: int) -> str:
    """About ``size`` characters of paragraphs separated by blank lines."""
    parts: list[str] = []
    total = 0
    while total < size:
        para = paragraph(rng)
        parts.append(para)
        total += len(para) + 2
    return "\n\n".join(parts)


def nav_labels() -> tuple[str, ...]:
    return _NAV
