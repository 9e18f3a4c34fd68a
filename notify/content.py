"""What a digest says, as plain frozen values: no database, no Prefect, no formatting.

The digest builder fills a `DigestContent`; `notify.render` turns it into Markdown, HTML and
text. Every string here is untrusted (it comes from fetched pages) and is escaped by the
renderer, never here.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import datetime

__all__ = [
    "AlertContent",
    "DeliveryNote",
    "DepartureGroup",
    "DigestContent",
    "DigestItem",
    "DigestSummary",
    "EvidenceQuote",
    "FalseAlertNote",
    "RevisionNote",
    "SourceHealthNote",
    "word_diff",
]


@dataclass(frozen=True)
class EvidenceQuote:
    """A sentence that decided a verdict and the cue phrases found in it."""

    sentence: str
    cues: tuple[str, ...] = ()


@dataclass(frozen=True)
class DigestItem:
    """One article's verdict on one dimension, as the reader sees it."""

    title: str
    url: str
    outlet: str
    published: datetime | None
    dimension: str | None
    dimension_title: str | None
    direction: str
    relation: str
    confidence: float
    evidence: tuple[EvidenceQuote, ...]
    corroboration: int = 1
    outlets: tuple[str, ...] = ()
    historical: bool = False
    # short strings such as "state_oversight: tightening (confirms)" for mixed items
    other_signals: tuple[str, ...] = ()


@dataclass(frozen=True)
class DepartureGroup:
    """The items departing from the baseline on one dimension."""

    dimension: str
    dimension_title: str
    baseline_stance: str
    baseline_statement: str
    reported_stance: str
    direction: str
    corroboration: int
    items: tuple[DigestItem, ...]
    outlets: tuple[str, ...] = ()  # the distinct outlets behind ``corroboration``
    confidence: float = 0.0  # the highest confidence among the items
    policy_change_id: int | None = None  # what ``tradewatch review accept|dismiss`` takes


@dataclass(frozen=True)
class SourceHealthNote:
    """A source's state change or error in the window.

    ``kind`` is one of ``"unhealthy"``, ``"recovered"``, ``"silent"`` or ``"error"``.
    """

    source: str
    kind: str
    detail: str
    at: datetime | None


@dataclass(frozen=True)
class RevisionNote:
    """An article whose text changed after it was first stored."""

    title: str
    url: str
    revision_no: int
    word_diff: str
    previous_title: str = ""

    @property
    def headline_changed(self) -> bool:
        """True when the headline itself was edited."""
        return bool(self.previous_title) and self.previous_title != self.title


@dataclass(frozen=True)
class FalseAlertNote:
    """Review outcomes on one dimension (``"all"`` for the total), for the digest's foot."""

    dimension: str
    accepted: int
    dismissed: int

    @property
    def rate(self) -> str:
        """The false-alert rate as a percentage, or "n/a" before any review."""
        reviewed = self.accepted + self.dismissed
        return f"{100 * self.dismissed / reviewed:.0f}%" if reviewed else "n/a"


@dataclass(frozen=True)
class DeliveryNote:
    """A delivery or alert whose outcome is unknown (the sender died mid-send)."""

    kind: str  # "delivery" or "alert"
    id: int
    channel: str  # redacted label
    subject: str
    since: datetime | None


# not slots: the digest builder stores ``vars(summary)``
@dataclass(frozen=True)
class DigestSummary:
    """The counts shown on the digest's first line."""

    departures: int
    confirmations: int
    new_items: int
    sources_healthy: int
    sources_unhealthy: int


@dataclass(frozen=True)
class DigestContent:
    """Everything one digest shows, in reading order."""

    title: str
    window_start: datetime
    window_end: datetime
    generated_at: datetime
    baseline_version: str
    summary: DigestSummary
    departures: tuple[DepartureGroup, ...]
    confirmations: tuple[DigestItem, ...]
    new_items: tuple[DigestItem, ...]
    source_health: tuple[SourceHealthNote, ...]
    revisions: tuple[RevisionNote, ...]
    footer: str = ""
    false_alerts: tuple[FalseAlertNote, ...] = ()  # per dimension, then "all"
    uncertain: tuple[DeliveryNote, ...] = ()

    @property
    def is_empty(self) -> bool:
        """True when there is nothing to read but source health (a heartbeat digest)."""
        return not (self.departures or self.confirmations or self.new_items or self.revisions)


@dataclass(frozen=True)
class AlertContent:
    """An immediate alert: one departure, short, with its strongest evidence."""

    policy_change_id: int
    dimension: str
    dimension_title: str
    baseline_version: str
    baseline_stance: str
    reported_stance: str
    direction: str
    corroboration: int
    confidence: float
    outlets: tuple[str, ...]
    items: tuple[DigestItem, ...]

    @property
    def title(self) -> str:
        return f"tradewatch alert: {self.dimension_title} departs from the baseline"


_CONTEXT_WORDS = 3
_GAP = " … "


def _diff_tokens(old_words: list[str], new_words: list[str]) -> list[list[str]]:
    """Each changed stretch with its context, as tokens; one list per stretch."""
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    stretches: list[list[str]] = []
    for group in matcher.get_grouped_opcodes(_CONTEXT_WORDS):
        tokens: list[str] = []
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                tokens.extend(old_words[i1:i2])
                continue
            if tag in ("replace", "delete"):
                tokens.append("[-" + " ".join(old_words[i1:i2]) + "-]")
            if tag in ("replace", "insert"):
                tokens.append("{+" + " ".join(new_words[j1:j2]) + "+}")
        stretches.append(tokens)
    return stretches


def word_diff(old: str, new: str, *, max_chars: int = 400) -> str:
    """A short word-level diff: ``[-removed words-] {+added words+}`` with a little context.

    Only the changed stretches are shown, each with up to three words either side, joined by
    " … ". Whitespace-only changes count as no change and give ``""``. The result is cut at
    a token boundary to at most ``max_chars`` characters, ending in "…" when cut.
    """
    stretches = _diff_tokens(old.split(), new.split())
    pieces: list[str] = []
    for tokens in stretches:
        for m, token in enumerate(tokens):
            sep = "" if not pieces else (_GAP if m == 0 else " ")
            pieces.append(sep + token)
    full = "".join(pieces)
    if len(full) <= max_chars:
        return full
    budget = max(max_chars - 2, 0)  # room for " …"
    out = ""
    for piece in pieces:
        if len(out) + len(piece) > budget:
            break
        out += piece
    if not out:  # a single huge first token: cut inside it
        return pieces[0][: max(max_chars - 1, 0)] + "…"
    return out + " …"
