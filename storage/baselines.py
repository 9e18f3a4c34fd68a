"""Baseline versions as stored: every assessment names the version it was made against."""

from __future__ import annotations

from sqlmodel import Session, select

from classify.baseline import Baseline
from storage.models import BaselineVersion
from storage.types import utcnow


class BaselineConflict(ValueError):
    """A baseline reuses a stored version label with different content."""


def ensure_baseline_version(
    *, session: Session, baseline: Baseline, source_path: str | None = None
) -> BaselineVersion:
    """The stored row for ``baseline``, created on first sight (idempotent by content hash).

    Raises ``BaselineConflict`` when the file was edited without bumping ``version``:
    assessments are keyed by the version label, so edited cues would otherwise never be
    applied to items already assessed under that label.
    """
    digest = baseline.content_hash()
    existing = session.exec(
        select(BaselineVersion).where(BaselineVersion.content_hash == digest)
    ).first()
    if existing is not None:
        if existing.source_path is None and source_path is not None:
            existing.source_path = source_path
            session.add(existing)
            session.flush()
        return existing

    clash = session.exec(
        select(BaselineVersion).where(BaselineVersion.version == baseline.version)
    ).first()
    if clash is not None:
        where = f" ({source_path})" if source_path else ""
        raise BaselineConflict(
            f"baseline{where}: version {baseline.version!r} is already stored with different "
            f"content (loaded {clash.loaded_at:%Y-%m-%d}); bump `version` after editing"
        )

    row = BaselineVersion(
        version=baseline.version,
        content_hash=digest,
        as_of=baseline.as_of,
        loaded_at=utcnow(),
        document=baseline.model_dump(mode="json"),
        source_path=source_path,
    )
    session.add(row)
    session.flush()
    return row
