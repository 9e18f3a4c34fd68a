"""The policy baseline: a versioned, cited description of where policy stands, per dimension.

Loaded from YAML (``config/baseline/dprk-trade.yaml``) and validated here; the classifier reads
``Dimension.cues`` and compares an item's signal with ``Dimension.trend``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, HttpUrl, field_validator, model_validator

from tradewatch.configfile import load_model


class Trend(StrEnum):
    """Where a stance points: an item moving the other way departs from the baseline."""

    LOOSENING = "loosening"
    TIGHTENING = "tightening"
    STEADY = "steady"


class Citation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    outlet: str
    title: str
    # ``dt.date``: a bare ``date`` annotation would resolve to this field's default (None).
    date: dt.date | None = None
    url: HttpUrl | None = None
    note: str | None = None  # where in the source, e.g. "section 'Decentralizing Trade'"


class Cues(BaseModel):
    """Phrases (case-insensitive regular expressions) that signal this dimension.

    ``topic`` puts an item on the dimension; ``loosening``/``tightening`` say which way it
    moves; ``reaffirmation`` marks restatements of current policy.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    topic: tuple[str, ...] = ()
    loosening: tuple[str, ...] = ()
    tightening: tuple[str, ...] = ()
    reaffirmation: tuple[str, ...] = ()

    @field_validator("topic", "loosening", "tightening", "reaffirmation")
    @classmethod
    def _patterns_compile(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        # A typo in a cue should fail at load time with the field named, not mid-run.
        bad = []
        for pattern in value:
            try:
                re.compile(pattern)
            except re.error as exc:
                bad.append(f"{pattern!r}: {exc}")
        if bad:
            raise ValueError("invalid regular expression " + "; ".join(bad))
        return value


class Dimension(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    stance: str
    trend: Trend
    statement: str
    citations: tuple[Citation, ...] = Field(min_length=1)
    cues: Cues
    # How the stance would be described after a departure either way (for digests/review).
    loosened_stance: str | None = None
    tightened_stance: str | None = None
    # Caveats on the stance, e.g. that it is inferred rather than read in a cited source.
    note: str | None = None


class WatchTopic(BaseModel):
    """A topic the baseline takes no stance on yet; signals on it have relation NEW.

    No stance, trend or citations: a watch topic records that analysts follow the subject,
    not where policy stands on it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: str
    cues: Cues
    note: str | None = None


class Baseline(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str
    as_of: dt.date
    title: str
    description: str = ""
    dimensions: tuple[Dimension, ...] = Field(min_length=1)
    # Optional so that baselines stored before watch topics existed still validate.
    watch_topics: tuple[WatchTopic, ...] = ()

    @field_validator("version", mode="before")
    @classmethod
    def _version_is_text(cls, value: object) -> object:
        # YAML reads 2024.1 as a float; a version is a label, keep it as written.
        return str(value) if isinstance(value, int | float) else value

    @model_validator(mode="after")
    def _unique_ids(self) -> Baseline:
        ids = [d.id for d in self.dimensions] + [t.id for t in self.watch_topics]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(
                f"dimension and watch topic ids must be unique; repeated: {', '.join(dupes)}"
            )
        return self

    def dimension(self, dimension_id: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)

    def content_hash(self) -> str:
        """Stable hash of the validated content (not of the file's formatting)."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()


def load_baseline(path: Path) -> Baseline:
    """Load and validate a baseline file; raises ``ConfigError`` naming file and field."""
    return load_model(path, Baseline)
