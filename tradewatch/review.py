"""The review loop: an analyst accepts a suspected policy change or dismisses it.

Accepting writes the next baseline version: on the change's dimension the stance becomes the
reported one, the trend follows the change's direction, the statement says what moved, and
the reporting articles are cited (outlet, title, date, url). The version label is bumped
(``2024.1`` → ``2024.2``), ``as_of`` becomes the review day, the document is stored as a
``BaselineVersion`` and written back to the baseline file. The file is edited in place
(``tradewatch.baseline_file``): comments, key order and the text of everything that did not
change stay as the analysts wrote them; only when the file's shape rules that out is it
rewritten whole, with a warning in the log. Either way the file is validated before it
replaces the old one, and an in-place edit must read back exactly as the new version.
Dismissing marks the change a false alarm. Both feed the false-alert rate
(``storage.review.review_stats``).

The database is committed before the file is swapped in, and the file is written to a
temporary neighbour first, so a crash leaves either the old file or the new one, never half.
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml
from ruamel.yaml.error import YAMLError as RoundTripYAMLError
from sqlmodel import Session, select

from classify.baseline import Baseline, Citation, Trend, load_baseline
from classify.types import Direction
from storage.baselines import ensure_baseline_version
from storage.enums import PolicyChangeStatus
from storage.models import BaselineVersion, PolicyChange
from storage.queries import PolicyChangeView, policy_changes
from storage.review import (
    ReportedEvidence,
    ReviewError,
    decide,
    get_change,
    reported_evidence,
)
from tradewatch.baseline_file import (
    InPlaceEditError,
    edit_baseline_text,
    generated_header,
    strip_generated_header,
)
from tradewatch.configfile import ConfigError

__all__ = [
    "AcceptResult",
    "ChangeForReview",
    "ReviewError",
    "accept_change",
    "changes_for_review",
    "dismiss_change",
    "next_baseline",
    "next_version",
]

log = logging.getLogger(__name__)

MAX_NOTE_CHARS = 2000

_TREND_OF = {Direction.LOOSENING: Trend.LOOSENING, Direction.TIGHTENING: Trend.TIGHTENING}


@dataclass(frozen=True)
class ChangeForReview:
    """An open change as a reviewer sees it: the baseline's view against the reports."""

    change: PolicyChangeView
    dimension_title: str
    baseline_stance: str
    baseline_statement: str
    reports: tuple[ReportedEvidence, ...]


@dataclass(frozen=True)
class AcceptResult:
    """The change accepted and the baseline version it produced."""

    change_id: int
    previous_version: str
    version: str
    path: Path


def changes_for_review(
    *, session: Session, baseline: Baseline, status: PolicyChangeStatus | None = None
) -> list[ChangeForReview]:
    """Open changes (or those with ``status``), oldest first, each with its evidence."""
    views = policy_changes(session=session, status=status or PolicyChangeStatus.OPEN)
    evidence = reported_evidence(session=session, change_ids=[v.id for v in views])
    out = []
    for view in views:
        dim = baseline.dimension(view.dimension)
        out.append(
            ChangeForReview(
                change=view,
                dimension_title=dim.title if dim else view.dimension,
                baseline_stance=view.from_stance or (dim.stance if dim else "(not in baseline)"),
                baseline_statement=dim.statement if dim else "",
                reports=tuple(evidence.get(view.id, [])),
            )
        )
    return out


def next_version(version: str, taken: set[str]) -> str:
    """The next free label: ``2024.1`` → ``2024.2``, ``v3`` → ``v4``, ``draft`` → ``draft.1``."""
    match = re.fullmatch(r"(.*?)(\d+)", version)
    prefix, number = (match.group(1), int(match.group(2))) if match else (f"{version}.", 0)
    candidate = f"{prefix}{number + 1}"
    while candidate in taken:
        number += 1
        candidate = f"{prefix}{number + 1}"
    return candidate


def next_baseline(
    baseline: Baseline,
    *,
    change: PolicyChange,
    reports: list[ReportedEvidence],
    note: str | None,
    today: date,
    version: str,
) -> Baseline:
    """``baseline`` with ``change`` accepted on its dimension, as version ``version``."""
    dim = baseline.dimension(change.dimension)
    if dim is None:
        raise ReviewError(
            f"dimension {change.dimension!r} is not in the baseline file; add it there first"
        )
    trend = _TREND_OF.get(change.direction, dim.trend)
    stance = change.to_stance or (
        dim.loosened_stance if trend is Trend.LOOSENING else dim.tightened_stance
    )
    stance = stance or f"{dim.stance}, {change.direction}"
    live = [r for r in reports if not r.article.historical] or reports
    outlets = sorted({r.article.outlet for r in live})
    since = min((r.article.published_at or r.article.first_seen_at for r in live), default=None)
    statement = (note or "").strip() or (
        f"Reporting {f'since {since:%d %B %Y} ' if since else ''}by {', '.join(outlets)} "
        f"indicates a move from {dim.stance} to {stance} ({change.direction}); accepted on "
        f"review {today:%d %B %Y}. Previously: {dim.statement}"
    )
    citations = [
        Citation(
            outlet=r.article.outlet,
            title=r.article.title,
            date=r.article.published_at.date() if r.article.published_at else None,
            url=r.article.url if r.article.url.startswith(("http://", "https://")) else None,
            note=f"reported the change accepted as policy change {change.id}",
        )
        for r in reports
    ]
    # The earlier sources stay cited, marked as the basis of the superseded statement.
    basis = f"basis of baseline {baseline.version}"
    earlier = [
        c.model_copy(update={"note": f"{basis}: {c.note}" if c.note else basis})
        for c in dim.citations
    ]
    updated = dim.model_copy(
        update={
            "stance": stance,
            "trend": trend,
            "statement": statement,
            "citations": (*citations, *earlier),
            # a move back would restore the stance just left
            **(
                {"loosened_stance": stance, "tightened_stance": dim.stance}
                if trend is Trend.LOOSENING
                else {"tightened_stance": stance, "loosened_stance": dim.stance}
                if trend is Trend.TIGHTENING
                else {}
            ),
        }
    )
    dimensions = tuple(updated if d.id == dim.id else d for d in baseline.dimensions)
    data = baseline.model_dump(mode="json")
    data.update(
        version=version,
        as_of=today.isoformat(),
        dimensions=[d.model_dump(mode="json") for d in dimensions],
    )
    # Validating the dumped form proves the written file will load.
    return Baseline.model_validate(data)


def accept_change(
    *,
    session: Session,
    change_id: int,
    baseline_path: Path,
    note: str | None = None,
    now: datetime | None = None,
) -> AcceptResult:
    """Accept an open change: next baseline version stored, file rewritten. Commits.

    Raises ``ReviewError`` when the change is missing, already reviewed, or on a dimension
    the baseline file lacks; ``ConfigError`` when the baseline file does not validate.
    """
    note = _clean(note)
    at = now or datetime.now(UTC)
    change = get_change(session=session, change_id=change_id)
    if change.status is not PolicyChangeStatus.OPEN:
        raise ReviewError(f"policy change {change_id} is already {change.status}")
    baseline = load_baseline(baseline_path)
    taken = set(session.exec(select(BaselineVersion.version)))
    version = next_version(baseline.version, taken | {baseline.version})
    reports = reported_evidence(session=session, change_ids=[change_id]).get(change_id, [])
    updated = next_baseline(
        baseline, change=change, reports=reports, note=note, today=at.date(), version=version
    )
    temp = _write_temp(
        baseline, updated, baseline_path, dimension_id=change.dimension, change_id=change_id, at=at
    )
    try:
        ensure_baseline_version(session=session, baseline=baseline, source_path=str(baseline_path))
        ensure_baseline_version(session=session, baseline=updated, source_path=str(baseline_path))
        decide(
            session=session,
            change_id=change_id,
            status=PolicyChangeStatus.ACCEPTED,
            note=note or f"accepted; baseline {version}",
            now=at,
        )
        session.commit()
    except BaseException:
        session.rollback()
        temp.unlink(missing_ok=True)
        raise
    temp.replace(baseline_path)
    return AcceptResult(
        change_id=change_id, previous_version=baseline.version, version=version, path=baseline_path
    )


def dismiss_change(
    *, session: Session, change_id: int, reason: str, now: datetime | None = None
) -> PolicyChange:
    """Mark an open change a false alarm, with the reason. Commits."""
    cleaned = _clean(reason)
    if not cleaned:
        raise ReviewError("a dismissal needs a reason")
    change = decide(
        session=session,
        change_id=change_id,
        status=PolicyChangeStatus.DISMISSED,
        note=cleaned,
        now=now,
    )
    session.commit()
    return change


def _clean(text: str | None) -> str | None:
    if text is None:
        return None
    text = " ".join(text.split())
    return text[:MAX_NOTE_CHARS] or None


def _write_temp(
    previous: Baseline,
    updated: Baseline,
    path: Path,
    *,
    dimension_id: str,
    change_id: int,
    at: datetime,
) -> Path:
    """``updated`` written to a validated temporary neighbour of ``path``, edited in place if
    the file allows it (see ``tradewatch.baseline_file``), else rewritten whole."""
    header = generated_header(updated.version, change_id=change_id, at=at)
    try:
        text = strip_generated_header(path.read_text(encoding="utf-8"))
        body = edit_baseline_text(text, old=previous, new=updated, dimension_id=dimension_id)
        return _validated_temp(header + body, path, expected=updated)
    except (InPlaceEditError, RoundTripYAMLError, ConfigError) as exc:
        # Not silent: the analysts' comments and formatting are about to be lost.
        log.warning(
            "%s: cannot edit the baseline in place (%s); rewriting the whole file, "
            "which drops its comments and formatting",
            path,
            " ".join(str(exc).split()),
        )
    body = yaml.safe_dump(
        _plain(updated), sort_keys=False, allow_unicode=True, width=100, default_flow_style=False
    )
    return _validated_temp(header + body, path, expected=None)


def _validated_temp(text: str, path: Path, *, expected: Baseline | None) -> Path:
    """``text`` in a temporary file beside ``path`` that loads (as ``expected``, if given)."""
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        # The file on disk must validate before it replaces the old one.
        written = load_baseline(temp)
        if expected is not None and written != expected:
            raise InPlaceEditError("the edited file does not read back as the new baseline")
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    return temp


def _plain(baseline: Baseline) -> dict[str, Any]:
    """The document without empty optional fields, so the file stays readable."""
    data: dict[str, Any] = baseline.model_dump(mode="json", exclude_none=True)
    return data
