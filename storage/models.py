"""The tables. One class per table; ``*Base`` classes hold the fields a caller supplies.

Datetimes are ``UTCDateTime`` (aware UTC on every backend); word-valued columns are
``StrEnum``s stored as VARCHAR; lists and evidence are JSON. Table names are spelled out so
migrations and ad-hoc SQL read naturally.
"""

# No ``from __future__ import annotations``: SQLModel reads these annotations at runtime.

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Index, Text, UniqueConstraint, text
from sqlmodel import Field, Relationship, SQLModel

from classify.types import Direction, Relation
from storage.enums import (
    BackfillStatus,
    DeliveryStatus,
    DigestKind,
    FetchOutcome,
    PolicyChangeStatus,
    SourceEventKind,
)
from storage.types import UTCDateTime, enum_type, utcnow

# Named constraints, so later migrations can drop or alter them (SQLite batch mode needs names).
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class SourceState(SQLModel, table=True):
    """Per-source memory between runs: conditional-GET validators and health."""

    __tablename__ = "source_state"

    name: str = Field(primary_key=True)
    etag: str | None = None
    last_modified: str | None = None
    last_body_sha256: str | None = None
    consecutive_failures: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    last_error_kind: str | None = None
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_success_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_new_item_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    healthy: bool = True
    unhealthy_since: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When tradewatch first heard of the source: the start of its first silent spell.
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class SourceEvent(SQLModel, table=True):
    """A source turned unhealthy, recovered, or went silent (once per change)."""

    __tablename__ = "source_event"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    kind: SourceEventKind = Field(sa_type=enum_type(SourceEventKind))
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    detail: str = Field(default="", sa_type=Text)


class FetchLog(SQLModel, table=True):
    """One fetch of one URL and what came of it."""

    __tablename__ = "fetch_log"

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    url: str
    at: datetime = Field(sa_type=UTCDateTime, index=True)
    status: int | None = None
    outcome: FetchOutcome = Field(sa_type=enum_type(FetchOutcome))
    error_kind: str | None = None
    error: str | None = Field(default=None, sa_type=Text)
    bytes: int | None = None
    elapsed: float | None = None


class ArticleBase(SQLModel):
    """What a parser tells us about an article."""

    url: str = Field(unique=True)  # canonical URL: the article's identity
    source: str = Field(index=True)
    outlet: str
    title: str = Field(sa_type=Text)
    published_at: datetime | None = Field(default=None, sa_type=UTCDateTime, index=True)
    authors: list[str] = Field(default_factory=list, sa_type=JSON)
    text: str = Field(sa_type=Text)
    historical: bool = False  # came from a backfill, not from monitoring


class Article(ArticleBase, table=True):
    """An article's current content; earlier contents are in ``ArticleRevision``."""

    __tablename__ = "article"

    id: int | None = Field(default=None, primary_key=True)
    content_hash: str
    first_seen_at: datetime = Field(sa_type=UTCDateTime, index=True)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    revision_count: int = 1
    # Articles telling the same story (reprints, near-identical text) share a cluster key, so
    # corroboration counts stories, not copies.
    cluster_key: str | None = Field(default=None, index=True)
    # What its listing said when it was last fetched, for the next listing to be compared
    # with: the headline (a page may spell it otherwise: Yonhap's feed titles carry wire
    # markers its pages do not) and the update time (a site's clock may run ahead of ours).
    # NULL before migration 0004, or where the listing gave none.
    listed_title: str | None = Field(default=None, sa_type=Text)
    listed_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ArticleAlias(SQLModel, table=True):
    """A URL a listing gave for an article stored under another one: the page's rel=canonical
    dropped a query the listing adds (Yonhap's ``?section=``, a ``?ref=rss``). Listings are
    checked against these too, so such a page is not fetched again on every pass."""

    __tablename__ = "article_alias"

    url: str = Field(primary_key=True)  # canonical form of the listed URL
    article_id: int = Field(foreign_key="article.id", index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)


class SkippedPage(SQLModel, table=True):
    """A listed page fetched and dropped, not stored: only a paywalled teaser of an article,
    gone (404, 410), or over the size cap. Remembered with what its listing said, so that it
    is fetched again only when the listing changes or ``storage.skipped.recheck_after`` its
    reason has passed."""

    __tablename__ = "skipped_page"

    url: str = Field(primary_key=True)  # canonical form of the listed URL
    source: str = Field(index=True)
    reason: str  # "paywall", "gone", "too_large"
    listed_title: str | None = Field(default=None, sa_type=Text)
    listed_updated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    skipped_at: datetime = Field(sa_type=UTCDateTime)


class ArticleRevision(SQLModel, table=True):
    """One version of an article's content, with the diff from the version before."""

    __tablename__ = "article_revision"
    __table_args__ = (UniqueConstraint("article_id", "revision_no"),)

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    revision_no: int
    content_hash: str
    title: str = Field(sa_type=Text)
    text: str = Field(sa_type=Text)
    diff: str = Field(default="", sa_type=Text)  # unified diff from revision_no - 1
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class BaselineVersion(SQLModel, table=True):
    """A baseline document as it was when items were assessed against it."""

    __tablename__ = "baseline_version"

    id: int | None = Field(default=None, primary_key=True)
    version: str = Field(index=True)
    content_hash: str = Field(unique=True)
    as_of: date
    loaded_at: datetime = Field(sa_type=UTCDateTime)
    document: dict[str, Any] = Field(sa_type=JSON)
    source_path: str | None = None


class Assessment(SQLModel, table=True):
    """The classifier's verdict on one revision against one baseline version."""

    __tablename__ = "assessment"
    __table_args__ = (
        UniqueConstraint(
            "article_id",
            "content_hash",
            "baseline_version",
            "classifier_version",
            name="uq_assessment_key",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    revision_id: int = Field(foreign_key="article_revision.id")
    content_hash: str
    baseline_version: str
    classifier_version: str
    relevant: bool
    direction: Direction = Field(sa_type=enum_type(Direction))
    relation: Relation = Field(sa_type=enum_type(Relation))
    confidence: float
    dimensions: list[str] = Field(default_factory=list, sa_type=JSON)
    evidence: list[str] = Field(default_factory=list, sa_type=JSON)
    historical: bool = False
    created_at: datetime = Field(sa_type=UTCDateTime, index=True)


class Signal(SQLModel, table=True):
    """An assessment's signal on one policy dimension."""

    __tablename__ = "signal"

    id: int | None = Field(default=None, primary_key=True)
    assessment_id: int = Field(foreign_key="assessment.id", index=True)
    dimension: str
    direction: Direction = Field(sa_type=enum_type(Direction))
    relation: Relation = Field(sa_type=enum_type(Relation))
    score: float
    evidence: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSON)
    baseline_stance: str | None = None
    reported_stance: str | None = None


class PolicyChange(SQLModel, table=True):
    """A suspected departure from the baseline on one dimension, awaiting review."""

    __tablename__ = "policy_change"
    # At most one open change per (dimension, direction, baseline): later items corroborate it.
    __table_args__ = (
        Index(
            "uq_policy_change_open",
            "dimension",
            "direction",
            "baseline_version",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    dimension: str
    direction: Direction = Field(sa_type=enum_type(Direction))
    baseline_version: str
    from_stance: str | None = None
    to_stance: str | None = None
    status: PolicyChangeStatus = Field(
        default=PolicyChangeStatus.OPEN, sa_type=enum_type(PolicyChangeStatus), index=True
    )
    first_seen_at: datetime = Field(sa_type=UTCDateTime)
    last_seen_at: datetime = Field(sa_type=UTCDateTime)
    outlets: list[str] = Field(default_factory=list, sa_type=JSON)  # every outlet reporting it
    # Independent reports: outlets credited with a story of their own, so a reprint adds
    # nothing (``storage.assessments.independent_outlet_count``); at most len(outlets).
    corroboration: int = 0
    confidence: float = 0.0  # highest assessment confidence seen
    review_note: str | None = Field(default=None, sa_type=Text)
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class PolicyChangeEvidence(SQLModel, table=True):
    """Links a policy change to an article (and the signal) that reported it."""

    __tablename__ = "policy_change_evidence"
    __table_args__ = (UniqueConstraint("policy_change_id", "article_id"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_change_id: int = Field(foreign_key="policy_change.id", index=True)
    article_id: int = Field(foreign_key="article.id", index=True)
    signal_id: int = Field(foreign_key="signal.id")


class Digest(SQLModel, table=True):
    """A rendered digest for one window, in every format we deliver."""

    __tablename__ = "digest"
    __table_args__ = (UniqueConstraint("kind", "window_start", "window_end"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: DigestKind = Field(sa_type=enum_type(DigestKind))
    window_start: datetime = Field(sa_type=UTCDateTime)
    window_end: datetime = Field(sa_type=UTCDateTime, index=True)
    created_at: datetime = Field(sa_type=UTCDateTime)
    title: str
    markdown: str = Field(sa_type=Text)
    html: str = Field(sa_type=Text)
    text: str = Field(sa_type=Text)
    summary: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    path: str | None = None


class Delivery(SQLModel, table=True):
    """One digest on one channel (the outbox row). Never holds the channel's raw URL."""

    __tablename__ = "delivery"
    __table_args__ = (UniqueConstraint("digest_id", "channel_key"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digest.id", index=True)
    channel_key: str  # sha256(url)[:16]: the URL itself carries secrets
    channel_label: str  # redacted, for people
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=enum_type(DeliveryStatus), index=True
    )
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    next_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Who holds the claim ("host:pid:process start"), kept after it ends to show who sent
    # it; and until when a send may take (``storage.deliveries.LEASE``) before others may
    # re-send on a ``resend`` channel. A pid alone could be a later process reusing it.
    claimed_by: str | None = None
    claim_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    # The only relationship: senders need the digest's content with each due delivery.
    digest: Digest = Relationship()


class Alert(SQLModel, table=True):
    """An immediate alert of one policy change on one channel: at most one per pair."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("policy_change_id", "channel_key"),)

    id: int | None = Field(default=None, primary_key=True)
    policy_change_id: int = Field(foreign_key="policy_change.id", index=True)
    channel_key: str
    channel_label: str
    status: DeliveryStatus = Field(
        default=DeliveryStatus.PENDING, sa_type=enum_type(DeliveryStatus), index=True
    )
    attempts: int = 0
    last_error: str | None = Field(default=None, sa_type=Text)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_attempt_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    claimed_by: str | None = None  # as on Delivery
    claim_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BackfillWindow(SQLModel, table=True):
    """Progress of a backfill, per source and window, so an interrupted one can resume."""

    __tablename__ = "backfill_window"
    __table_args__ = (UniqueConstraint("source", "window_start", "window_end"),)

    id: int | None = Field(default=None, primary_key=True)
    source: str = Field(index=True)
    window_start: datetime = Field(sa_type=UTCDateTime)
    window_end: datetime = Field(sa_type=UTCDateTime)
    status: BackfillStatus = Field(
        default=BackfillStatus.RUNNING, sa_type=enum_type(BackfillStatus)
    )
    new_articles: int = 0
    error: str | None = Field(default=None, sa_type=Text)
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RobotsCache(SQLModel, table=True):
    """A host's robots.txt as last fetched (shared by runs and workers, refreshed daily)."""

    __tablename__ = "robots_cache"

    host: str = Field(primary_key=True)  # scheme://host[:port]
    status: int
    body: str = Field(default="", sa_type=Text)
    fetched_at: datetime = Field(sa_type=UTCDateTime)
