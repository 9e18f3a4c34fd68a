"""The storage layer's words: outcomes, kinds and statuses kept in the tables."""

from __future__ import annotations

from enum import StrEnum


class ArticleOutcome(StrEnum):
    """What an upsert did to an article."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


class FetchOutcome(StrEnum):
    """What one fetch of one URL amounted to (``FetchLog.outcome``)."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"
    NOT_MODIFIED = "not_modified"
    ERROR = "error"
    SKIPPED = "skipped"


class SourceEventKind(StrEnum):
    """A change in a source's health, recorded once per change."""

    UNHEALTHY = "unhealthy"
    RECOVERED = "recovered"
    SILENT = "silent"


class PolicyChangeStatus(StrEnum):
    """Review state of a suspected policy change."""

    OPEN = "open"
    ACCEPTED = "accepted"
    DISMISSED = "dismissed"


class DigestKind(StrEnum):
    """Why a digest was made."""

    SCHEDULED = "scheduled"
    RETROSPECTIVE = "retrospective"
    DEMO = "demo"


class DeliveryStatus(StrEnum):
    """Where one digest stands on one channel."""

    PENDING = "pending"
    SENDING = "sending"  # claimed and committed before the send: never sent again blindly
    SENT = "sent"
    FAILED = "failed"


class BackfillStatus(StrEnum):
    """Where one (source, window) of a backfill stands; done windows are not fetched again."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
