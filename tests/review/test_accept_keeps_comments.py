"""Accepting a change edits the hand-maintained baseline file in place: comments, key order,
anchors and the text of untouched dimensions survive; the file reads back exactly as
``next_baseline`` computes; a file that cannot be edited in place is rewritten whole, loudly."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from itertools import takewhile
from pathlib import Path

import pytest
import yaml
from sqlmodel import Session

from classify.baseline import Baseline, load_baseline
from classify.types import Direction
from storage.models import PolicyChange
from storage.review import reported_evidence
from tests.review.helpers import store_change, write_baseline
from tests.storage.helpers import at
from tradewatch import review
from tradewatch.baseline_file import edit_baseline_text
from tradewatch.review import accept_change, next_baseline

HEADER = "# Policy baseline "

TOP = """\
# DPRK trade baseline (test copy).
# Analysts: keep cue regexes narrow.
"""

HEAD = """\
version: "2024.9"  # bumped by review accept
as_of: 2025-01-15
title: DPRK foreign-trade policy (test)
description: >-
  A baseline with comments everywhere, to prove that an accept keeps them.

dimensions:
  # Trade rights first: most changes land here.
"""

ACCEPTED_TOP = """\
  - id: trade_authority
    title: Who may trade  # short on purpose
"""

ACCEPTED_CUES = """\
    cues:
      topic:
        - 'trading compan(y|ies)'  # companies, singular or plural
        # - 'waku'  (too noisy, see issue 12)
      loosening: [directly, 'on their own']
"""

ACCEPTED = (
    ACCEPTED_TOP
    + """\
    stance: centralizing
    trend: tightening
    statement: >-
      Trade licences are recentralized.
    # the loosened stance is a guess
    loosened_stance: licences delegated to provinces
    tightened_stance: licences held by the centre
    citations:
      # Chosen because it is the only primary source.
      - &primary
        outlet: Test Analysis
        title: "A test citation"  # quoted by hand
        note: section 2
"""
    + ACCEPTED_CUES
)

# Aliases the accepted dimension's anchor, and uses flow style.
UNTOUCHED = """\

  # Borders: steady since 2023.
  - id: border_customs
    title: Border and customs
    stance: closed
    trend: steady
    statement: "Borders stay closed."
    citations:
      - *primary
      - <<: *primary
        note: section 3
    cues: {topic: ['\\bcustoms\\b']}  # flow style on purpose

watch_topics:
  - id: tourism
    title: Tourism
    cues:
      topic: ['\\btouris\\w+']
# end of file: nothing below this line
"""

# Every comment, from its `#` to the end of its line.
COMMENTS = [
    line[line.index("#") :]
    for part in (TOP, HEAD, ACCEPTED, UNTOUCHED)
    for line in part.splitlines()
    if "#" in line
]


def _commented_baseline(directory: Path) -> Path:
    path = directory / "baseline.yaml"
    path.write_text(TOP + HEAD + ACCEPTED + UNTOUCHED, "utf-8")
    return path


def _keys(text: str) -> list[str]:
    """The keys of the first dimension in ``text``, in the order written."""
    section = text[text.index("  - id: ") :]
    end = section.find("\n  - id: ")
    section = section if end < 0 else section[:end]
    return [m.group(1) for m in re.finditer(r"^(?:  - |    )([a-z_]+):", section, re.M)]


def _expected(
    session: Session, before: Baseline, change: PolicyChange, *, now: datetime, version: str
) -> Baseline:
    assert change.id is not None
    reports = reported_evidence(session=session, change_ids=[change.id])[change.id]
    return next_baseline(
        before, change=change, reports=reports, note=None, today=now.date(), version=version
    )


def _accept(session: Session, path: Path, change: PolicyChange, now: datetime) -> Baseline:
    """Accept ``change``; returns what ``next_baseline`` says the file must now hold."""
    assert change.id is not None
    before = load_baseline(path)
    result = accept_change(session=session, change_id=change.id, baseline_path=path, now=now)
    return _expected(session, before, change, now=now, version=result.version)


def test_accept_keeps_comments_and_untouched_text(
    session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _commented_baseline(tmp_path)
    change = store_change(session, outlets=("Daily NK", "NK News"))
    with caplog.at_level(logging.WARNING, logger="tradewatch.review"):
        expected = _accept(session, path, change, at(48))
    assert not caplog.records  # edited in place, no fallback

    text = path.read_text("utf-8")
    assert load_baseline(path) == expected  # semantically what next_baseline computed
    for comment in COMMENTS:
        assert comment in text, comment
    assert text.endswith(UNTOUCHED)  # byte-identical, aliases to the moved anchor included
    # The end-of-line comment keeps its column; a longer value leaves it one space.
    head = HEAD.replace('"2024.9"  #', '"2024.10" #').replace("01-15", "03-12")
    assert text.startswith(HEADER) and TOP + head in text
    assert ACCEPTED_TOP in text and ACCEPTED_CUES in text
    assert _keys(text) == _keys(ACCEPTED)  # the accepted dimension's key order is kept
    # The anchor stays where the analyst defined it; the superseded note is merged over it.
    assert "      - <<: &primary\n" in text


def test_long_statement_is_folded_near_100_columns(session: Session, tmp_path: Path) -> None:
    path = _commented_baseline(tmp_path)
    change = store_change(session, outlets=("Daily NK", "NK News"))
    _accept(session, path, change, at(48))
    lines = path.read_text("utf-8").splitlines()
    start = lines.index("    statement: >-") + 1
    block = list(takewhile(lambda line: line.startswith("      "), lines[start:]))
    assert len(block) >= 2  # a ~200-character statement, folded
    assert all(len(line) <= 100 for line in block)


def test_generated_header_is_replaced_not_repeated(session: Session, tmp_path: Path) -> None:
    path = _commented_baseline(tmp_path)
    first = store_change(session)
    _accept(session, path, first, at(48))
    second = store_change(session, direction=Direction.TIGHTENING, first=10)
    assert second.id is not None
    expected = _accept(session, path, second, at(72))

    text = path.read_text("utf-8")
    assert text.count(HEADER) == 1
    assert text.startswith(f"{HEADER}2024.11, written by `tradewatch review accept {second.id}`")
    assert text.count(TOP) == 1  # the analysts' own leading comments stay, once
    assert load_baseline(path) == expected
    assert text.endswith(UNTOUCHED)


def test_plain_file_is_edited_in_place_too(
    session: Session, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = write_baseline(tmp_path)  # as yaml.safe_dump writes it: no comments but one
    change = store_change(session)
    with caplog.at_level(logging.WARNING, logger="tradewatch.review"):
        expected = _accept(session, path, change, at(48))
    assert not caplog.records
    assert load_baseline(path) == expected
    assert "# test baseline\n" in path.read_text("utf-8")


@pytest.mark.parametrize(
    ("edit", "reason"),
    [
        # PyYAML lets the last duplicate key win; the round-trip parser refuses it.
        (lambda text: text.replace("title: DPRK", "title: x\ntitle: DPRK"), "duplicate key"),
        # Editing a dimension that carries an anchor could edit whatever merges it.
        (
            lambda text: text.replace("- id: trade_authority", "- &ta\n    id: trade_authority"),
            "anchor",
        ),
    ],
)
def test_file_that_cannot_be_edited_in_place_is_rewritten_with_a_warning(
    session: Session,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    edit: Callable[[str], str],
    reason: str,
) -> None:
    path = _commented_baseline(tmp_path)
    path.write_text(edit(path.read_text("utf-8")), "utf-8")
    change = store_change(session)
    with caplog.at_level(logging.WARNING, logger="tradewatch.review"):
        expected = _accept(session, path, change, at(48))
    assert load_baseline(path) == expected
    [record] = caplog.records
    assert "rewriting the whole file" in record.getMessage()
    assert reason in record.getMessage()
    assert "# Analysts: keep cue regexes narrow." not in path.read_text("utf-8")


def test_edit_that_reads_back_wrong_is_not_written(
    session: Session,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The in-place result must load as next_baseline's document, not merely validate."""
    path = _commented_baseline(tmp_path)
    change = store_change(session)
    monkeypatch.setattr(review, "edit_baseline_text", lambda text, **_: text)  # a no-op "edit"
    with caplog.at_level(logging.WARNING, logger="tradewatch.review"):
        expected = _accept(session, path, change, at(48))
    assert load_baseline(path) == expected
    [record] = caplog.records
    assert "does not read back as the new baseline" in record.getMessage()


def test_failed_accept_leaves_the_commented_file_untouched(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _commented_baseline(tmp_path)
    original = path.read_bytes()
    change = store_change(session)
    assert change.id is not None

    def fail(**_: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(review, "decide", fail)
    with pytest.raises(RuntimeError, match="went away"):
        accept_change(session=session, change_id=change.id, baseline_path=path, now=at(48))
    assert path.read_bytes() == original
    assert not list(tmp_path.glob(".*.tmp"))


FLOW = """\
version: v3
as_of: 2025-01-15
title: Flow-style test baseline
dimensions:
- id: trade_authority
  title: Who may trade
  stance: centralizing
  trend: tightening
  statement: Trade licences are recentralized.
  citations: [{outlet: Test Analysis, title: A test citation}]  # one source only
  cues: {topic: [trading compan]}
"""


def test_missing_stance_keys_are_inserted_beside_the_statement() -> None:
    """No database: the text edit on its own, on a flow-style file without the stance keys."""
    before = Baseline.model_validate(yaml.safe_load(FLOW))
    change = PolicyChange(
        id=5,
        dimension="trade_authority",
        direction=Direction.LOOSENING,
        baseline_version="v3",
        to_stance="delegating to provinces",
        first_seen_at=at(0),
        last_seen_at=at(0),
    )
    after = next_baseline(
        before, change=change, reports=[], note="Provinces sign.", today=at(48).date(), version="v4"
    )
    text = edit_baseline_text(FLOW, old=before, new=after, dimension_id="trade_authority")

    assert Baseline.model_validate(yaml.safe_load(text)) == after
    assert "  statement: Provinces sign.\n  loosened_stance: delegating to provinces\n" in text
    [citations] = [line for line in text.splitlines() if line.startswith("  citations:")]
    assert citations.startswith("  citations: [{")  # flow style kept, with its comment
    assert citations.endswith("}] # one source only")
    assert "  tightened_stance: centralizing\n  citations:" in text
    assert text.endswith("  cues: {topic: [trading compan]}\n")
