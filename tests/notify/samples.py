"""Digest content for the notify tests: our own invented items, modelled on the field's language."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from notify.content import (
    DepartureGroup,
    DigestContent,
    DigestItem,
    DigestSummary,
    EvidenceQuote,
    RevisionNote,
    SourceHealthNote,
)

WINDOW_START = datetime(2025, 3, 1, 6, 0, tzinfo=UTC)
WINDOW_END = datetime(2025, 3, 2, 6, 0, tzinfo=UTC)

DEPARTURE_SENTENCE = (
    "Provincial trading companies may now sign contracts with Chinese partners "
    "without prior approval from the Ministry of External Economic Relations."
)


def departure_item(**changes: object) -> DigestItem:
    item = DigestItem(
        title="Provinces gain room to sign border trade deals",
        url="https://news.example.org/2025/03/provinces-border-trade",
        outlet="Example Daily",
        published=datetime(2025, 3, 1, 9, 30, tzinfo=UTC),
        dimension="trade_authority",
        dimension_title="Trade authority",
        direction="loosening",
        relation="departs",
        confidence=0.82,
        evidence=(
            EvidenceQuote(
                sentence=DEPARTURE_SENTENCE,
                cues=("without prior approval", "provincial trading companies"),
            ),
        ),
        corroboration=2,
        other_signals=("state_oversight: tightening (confirms)",),
    )
    return replace(item, **changes)  # type: ignore[arg-type]  # test-only convenience


def confirmation_item() -> DigestItem:
    return DigestItem(
        title="Cabinet meeting stresses unified guidance over external trade",
        url="https://watch.example.net/cabinet-unified-guidance",
        outlet="Example Watch",
        published=datetime(2025, 3, 1, 14, 0, tzinfo=UTC),
        dimension="state_oversight",
        dimension_title="State oversight",
        direction="tightening",
        relation="confirms",
        confidence=0.71,
        evidence=(
            EvidenceQuote(
                sentence="The meeting called for unified state guidance over all trade units.",
                cues=("unified state guidance",),
            ),
        ),
    )


def new_item() -> DigestItem:
    return DigestItem(
        title="Shipping insurance rules appear in new regulation",
        url="https://news.example.org/2025/03/shipping-insurance",
        outlet="Example Daily",
        published=None,
        dimension="maritime_insurance",
        dimension_title=None,
        direction="tightening",
        relation="new",
        confidence=0.55,
        evidence=(),
    )


def content(**changes: object) -> DigestContent:
    group = DepartureGroup(
        dimension="trade_authority",
        dimension_title="Trade authority",
        baseline_stance="centralizing",
        baseline_statement="Trade licences are being pulled back to the centre.",
        reported_stance="devolving to provinces",
        direction="loosening",
        corroboration=2,
        items=(departure_item(),),
    )
    value = DigestContent(
        title="tradewatch digest 2025-03-01",
        window_start=WINDOW_START,
        window_end=WINDOW_END,
        generated_at=WINDOW_END,
        baseline_version="2025.1",
        summary=DigestSummary(
            departures=1, confirmations=1, new_items=1, sources_healthy=4, sources_unhealthy=1
        ),
        departures=(group,),
        confirmations=(confirmation_item(),),
        new_items=(new_item(),),
        source_health=(
            SourceHealthNote(
                source="kcnawatch",
                kind="unhealthy",
                detail="SourceUnavailable: HTTP 503 three times",
                at=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
            ),
        ),
        revisions=(
            RevisionNote(
                title="Provinces gain room to sign border trade deals",
                url="https://news.example.org/2025/03/provinces-border-trade",
                revision_no=2,
                word_diff="may now [-sign-] {+negotiate+} contracts",
            ),
        ),
        footer="Baseline 2025.1 cites 38 North; reply to this mail to reach the analyst on duty.",
    )
    return replace(value, **changes)  # type: ignore[arg-type]  # test-only convenience


def empty_content() -> DigestContent:
    return content(
        departures=(),
        confirmations=(),
        new_items=(),
        revisions=(),
        summary=DigestSummary(
            departures=0, confirmations=0, new_items=0, sources_healthy=4, sources_unhealthy=1
        ),
    )
