"""The outbox: one ``Delivery`` per (digest, channel), retried with backoff until sent.

A channel is known by a key derived from its URL, never by the URL itself: Apprise URLs carry
tokens and passwords. ``notify.channels.channel_key`` and ``redact_url`` make the pair
callers pass in.

Claim, send, record
-------------------
A channel cannot take part in our transaction, so "send, then record" always leaves a gap in
which the process can die: the channel has the message and the database does not know. The
protocol makes that gap *visible* instead of guessing:

1. ``claim`` moves a due row (``pending``, or ``failed`` past its backoff) to ``sending`` with
   one conditional UPDATE and **commits** it before the channel is called. Two runs racing for
   the same row cannot both win: the loser's UPDATE matches no row. The claim records who
   holds it (``claimed_by``: host name, pid and the process's start time, so a later process
   that reuses the pid is not taken for the claimer) and a lease (``claim_expires_at``: claim
   time + ``LEASE``, longer than any send may take).
2. The caller sends, passing ``idempotency_key(row)``: the same key on every attempt of one
   message to one channel (see below). ``mark_sent`` records acceptance; ``mark_failed``
   records a definite refusal (the channel answered no, or could not be reached), which is
   retried later with backoff (5 min × 2^(attempts-1), at most 6 h). Both are conditional
   UPDATEs, because a send can outlive its claim (another run re-claims the row after the
   lease, or an operator releases it): a failure is recorded only while the caller's claim
   is still the current one, so a late failure never turns a ``sent`` row into a retry nor
   clobbers another run's claim; an acceptance always ends ``sent`` (the message arrived)
   but keeps an earlier ``sent`` record as it is.
3. A row still ``sending`` when a later run looks is **uncertain**: its sender died between
   the send and the record (or is still sending), and the database cannot tell whether the
   message arrived. What happens next is the channel's policy (``tw-uncertain=`` in its URL,
   parsed by ``notify.channels.parse_channel``):

   - ``hold`` (the default): never sent again automatically. ``uncertain`` lists it
     (``tradewatch status``, ``tradewatch deliveries``, the next digest's footer), and an
     operator either releases it (send again: ``release``) or confirms it (it did arrive:
     ``confirm``) with ``tradewatch deliveries retry|confirm ID``. A channel is never sent
     the same message twice, also when the process dies between sending and recording.
   - ``resend``: before sending, ``recover`` makes the row due again once its claimer is
     *provably* gone (same host, and no process with that pid and start time is running) or
     its lease has run out, with one conditional UPDATE that matches the claim it read, so
     of two recovering runs only one releases it; the claim race then decides who sends.
     ``last_error`` notes the interrupted send. The message may then reach the channel
     twice, both times with the same idempotency key.

Why exactly-once needs the receiver
-----------------------------------
No sender can make delivery exactly-once on its own: whether a message that was sent when
the process died arrived is known only to the receiver. ``hold`` gives *at most once* (and
asks a person about the uncertain ones); ``resend`` gives *at least once*, and the receiver
makes it *exactly once* by dropping a message whose key it has already processed. The key
is derived from the message and the channel (``idempotency_key``), not from the attempt, so
every retry, recovery and operator ``retry`` carries the same one; it includes the digest's
or alert's creation time, so two databases numbering their rows alike still differ. Webhooks
get it as an ``Idempotency-Key`` header, e-mail as ``X-Tradewatch-Delivery-Id``; services
that cannot carry a header get no key, and ``resend`` there means a possible repeat.

Assumptions: host names are unique among the processes that share a database (a claimer on
another host is judged by its lease alone), and ``LEASE`` outlasts any send.

Immediate alerts (``storage.alerts``) use the same functions on the ``alert`` table.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import selectinload
from sqlmodel import Session, and_, col, or_, select

from storage.enums import DeliveryStatus
from storage.models import Alert, Delivery, Digest
from storage.types import as_utc

Outbox = TypeVar("Outbox", Delivery, Alert)

# Only these may be claimed: ``sending`` is uncertain and ``sent`` is final.
_CLAIMABLE = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)

BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_CAP = timedelta(hours=6)
MAX_ERROR_CHARS = 2000
# How long a claim is held: longer than any send can take (Apprise's HTTP timeouts are
# seconds, SMTP's 15 s a step), so a claim past it is abandoned even if its holder lives.
LEASE = timedelta(minutes=10)


def ensure_outbox(
    *,
    session: Session,
    existing: Iterable[Outbox],
    channels: list[tuple[str, str]],
    make: Callable[[str, str], Outbox],
) -> list[Outbox]:
    """The rows of one message to ``channels`` ((key, label) pairs): ``existing`` ones keep
    their status, missing ones are made pending with ``make(key, label)``. Returned in
    ``channels`` order; flushes, never commits. Shared by digests and alerts."""
    by_key = {row.channel_key: row for row in existing}
    out: list[Outbox] = []
    for key, label in dict(channels).items():
        row = by_key.get(key)
        if row is None:
            row = by_key[key] = make(key, label)
            session.add(row)
        out.append(row)
    session.flush()
    return out


def ensure_deliveries(
    *, session: Session, digest: Digest, channels: list[tuple[str, str]]
) -> list[Delivery]:
    """The deliveries of ``digest`` to ``channels`` ((key, label) pairs), creating missing ones
    as pending; existing rows keep their status. Returned in ``channels`` order."""
    digest_id = digest.id
    assert digest_id is not None, "save the digest first"
    return ensure_outbox(
        session=session,
        existing=session.exec(select(Delivery).where(Delivery.digest_id == digest_id)),
        channels=channels,
        make=lambda key, label: Delivery(digest_id=digest_id, channel_key=key, channel_label=label),
    )


def due_deliveries(*, session: Session, now: datetime | None = None) -> list[Delivery]:
    """Deliveries to attempt now, of any digest: pending ones, and failed ones whose backoff
    has run out. Oldest first, each with ``delivery.digest`` loaded."""
    at = as_utc(now, what="now")
    stmt = (
        select(Delivery)
        .where(
            or_(
                Delivery.status == DeliveryStatus.PENDING,
                and_(
                    col(Delivery.status) == DeliveryStatus.FAILED,
                    col(Delivery.next_attempt_at) <= at,
                ),
            )
        )
        .order_by(col(Delivery.id))
        # Senders read ``delivery.digest``: load them all in one more query, not one each.
        .options(selectinload(Delivery.digest))  # type: ignore[arg-type]  # SQLModel types relationships as their target class
    )
    return list(session.exec(stmt))


def claim(*, session: Session, row: Outbox, now: datetime | None = None) -> bool:
    """Move ``row`` (a Delivery or an Alert) to ``sending`` and COMMIT; True if this caller
    won it. False when it is no longer claimable (another run claimed or sent it).

    Counts the attempt now: an attempt that dies mid-send still happened. Records this
    process as the claimer and the lease's end (``now`` + ``LEASE``).
    """
    at = as_utc(now, what="now")
    model = type(row)
    result = session.execute(
        update(model)
        .where(col(model.id) == row.id, col(model.status).in_(_CLAIMABLE))
        .values(
            status=DeliveryStatus.SENDING,
            attempts=model.attempts + 1,
            last_attempt_at=at,
            claimed_by=str(Claimer.current()),
            claim_expires_at=at + LEASE,
        )
    )
    session.commit()
    session.refresh(row)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def idempotency_key(row: Delivery | Alert) -> str:
    """The key a receiver deduplicates on: the same for every attempt of one message to one
    channel, different for any other message or channel, also across databases.

    ``tw-digest-<digest id>-<hash>`` or ``tw-alert-<policy change id>-<hash>``; the hash
    covers what identifies the message (the digest's kind, window and creation time; the
    alert's policy change and creation time) and the channel key. The ids keep it readable
    next to ``tradewatch deliveries``; the creation times keep it unique across databases.
    """
    if isinstance(row, Delivery):
        digest = row.digest
        prefix = f"tw-digest-{digest.id}"
        fields = [
            "digest",
            str(digest.id),
            str(digest.kind),
            as_utc(digest.window_start).isoformat(),
            as_utc(digest.window_end).isoformat(),
            as_utc(digest.created_at).isoformat(),
        ]
    else:
        prefix = f"tw-alert-{row.policy_change_id}"
        fields = ["alert", str(row.policy_change_id), as_utc(row.created_at).isoformat()]
    digest_hex = hashlib.sha256("|".join([*fields, row.channel_key]).encode()).hexdigest()
    return f"{prefix}-{digest_hex[:32]}"


def mark_sent(*, session: Session, delivery: Outbox, now: datetime | None = None) -> bool:
    """The channel accepted the message: the row ends ``sent``, never to be sent there again.

    True if this call recorded it; False if the row was already ``sent`` (another run, or an
    operator's ``confirm``, got there first): its ``sent_at`` and attempts are kept, and this
    send was a repeat the receiver can drop by its idempotency key. A live claim of another
    run is overridden, since the message did arrive: that run's ``mark_failed`` then matches
    nothing. ``delivery`` is this caller's view of the row (see ``mark_failed``); it is
    refreshed afterwards. One conditional UPDATE; flushes, never commits.
    """
    at = as_utc(now, what="now")
    model = type(delivery)
    values: dict[str, object] = {
        "status": DeliveryStatus.SENT,
        "last_attempt_at": at,
        "sent_at": at,
        "claim_expires_at": None,  # the claim is over; claimed_by says who sent it
    }
    if delivery.status is DeliveryStatus.SENDING:
        # Claimed: the attempt was counted by ``claim``. Name this claimer as the sender, also
        # where another run has claimed the row since.
        values["claimed_by"] = delivery.claimed_by
    else:
        values["attempts"] = model.attempts + 1  # not claimed first: count the attempt here
    if model is Delivery:
        values["next_attempt_at"] = None
    return _record(session, delivery, values, col(model.status) != DeliveryStatus.SENT)


def mark_failed(
    *, session: Session, delivery: Outbox, error: str, now: datetime | None = None
) -> bool:
    """The channel refused or was unreachable: retry after 5 min × 2^(attempts-1), at most 6 h.

    Recorded only if the row is still as this caller read it; True if it was. ``delivery`` is
    that view: as ``claim`` left it (refreshed, so it holds the claim this caller won), or as
    read before an unclaimed send; do not expire it (commit) in between. For a claimed row
    this means the claim is still the current one: ``sending``, the same ``claimed_by`` and
    ``claim_expires_at``, and the same attempt count (every claim adds one, so a re-claim by
    this same process at the same instant still differs). False, nothing written, when the
    row moved on: sent by another run, released and re-claimed (``recover``), or released or
    confirmed by an operator. A ``sent`` row is never marked failed. ``delivery`` is
    refreshed either way. One conditional UPDATE; flushes, never commits.

    ``error`` is stored as given: callers must not put the channel URL in it.
    """
    at = as_utc(now, what="now")
    model = type(delivery)
    claimed = delivery.status is DeliveryStatus.SENDING
    # Not claimed first: count the attempt here. The condition pins ``attempts``, so the
    # value (and the backoff computed from it) is exact.
    attempts = delivery.attempts if claimed else delivery.attempts + 1
    values: dict[str, object] = {
        "status": DeliveryStatus.FAILED,
        "attempts": attempts,
        "last_attempt_at": at,
        "last_error": error[:MAX_ERROR_CHARS],
        "claim_expires_at": None,
    }
    if model is Delivery:
        values["next_attempt_at"] = at + backoff(attempts)
    return _record(
        session,
        delivery,
        values,
        col(model.status) != DeliveryStatus.SENT,
        *_as_read(delivery),
    )


def _as_read(row: Outbox) -> tuple[ColumnElement[bool], ...]:
    """Conditions true only while the row in the database is as ``row`` shows it: the status,
    the attempt count and the claim (for a claimed row, exactly what ``claim`` wrote)."""
    model = type(row)
    return (
        col(model.status) == row.status,
        col(model.attempts) == row.attempts,
        col(model.claimed_by).is_not_distinct_from(row.claimed_by),
        col(model.claim_expires_at).is_not_distinct_from(row.claim_expires_at),
    )


def _record(
    session: Session, row: Outbox, values: dict[str, object], *where: ColumnElement[bool]
) -> bool:
    """Write ``values`` to ``row`` if ``where`` still holds, in one UPDATE (atomic also under
    concurrent writers on PostgreSQL), then reload ``row``; True if it was written."""
    model = type(row)
    result = session.execute(
        update(model)
        .where(col(model.id) == row.id, *where)
        .values(**values)
        # The row is refreshed below; evaluating the condition against the stale in-memory
        # object, as the default would, could even "apply" an UPDATE that matched nothing.
        .execution_options(synchronize_session=False)
    )
    session.refresh(row)
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def retry_due(row: Outbox, *, now: datetime | None = None) -> bool:
    """Whether a row may be attempted now: pending, or failed and past its backoff."""
    if row.status is DeliveryStatus.PENDING:
        return True
    if row.status is not DeliveryStatus.FAILED or row.last_attempt_at is None:
        return False
    at = as_utc(now, what="now")
    if isinstance(row, Delivery) and row.next_attempt_at is not None:
        return row.next_attempt_at <= at
    return row.last_attempt_at + backoff(row.attempts) <= at


def uncertain(*, session: Session, model: type[Outbox]) -> list[Outbox]:
    """Rows left in ``sending``: sent or not, nobody knows. Oldest first."""
    stmt = (
        select(model)
        .where(model.status == DeliveryStatus.SENDING)
        .order_by(col(model.last_attempt_at), col(model.id))
    )
    return list(session.exec(stmt))


@dataclass(frozen=True)
class Abandoned:
    """An uncertain row as ``abandoned`` read it: the claim it found, and why it is over."""

    id: int
    claimed_by: str | None
    claim_expires_at: datetime | None
    reason: str


def abandoned(
    *,
    session: Session,
    model: type[Outbox],
    channel_keys: Collection[str],
    now: datetime | None = None,
) -> list[Abandoned]:
    """Rows of these channels left ``sending`` whose claim is over: the claimer is provably
    gone, or the lease has run out. Only pass channels whose policy is ``resend``.

    Reads only; ``release_abandoned`` acts on what was read. A row claimed before claims were
    recorded (no ``claimed_by``) is judged by ``last_attempt_at`` + ``LEASE``.
    """
    if not channel_keys:
        return []
    at = as_utc(now, what="now")
    stmt = (
        select(model)
        .where(model.status == DeliveryStatus.SENDING)
        .where(col(model.channel_key).in_(list(channel_keys)))
        .order_by(col(model.id))
    )
    found: list[Abandoned] = []
    for row in session.exec(stmt):
        assert row.id is not None
        expires = row.claim_expires_at or ((row.last_attempt_at or at) + LEASE)
        if expires <= at:
            reason = f"its lease ended {expires:%Y-%m-%d %H:%M} UTC"
        elif row.claimed_by is not None and claimer_gone(row.claimed_by):
            reason = "its process is gone"
        else:
            continue  # the claimer may still be sending
        found.append(Abandoned(row.id, row.claimed_by, row.claim_expires_at, reason))
    return found


def release_abandoned(
    *, session: Session, model: type[Outbox], row: Abandoned, now: datetime | None = None
) -> bool:
    """Make an abandoned row due again (``pending``) if nobody changed its claim since it was
    read; True if this caller released it. Flushes, never commits.

    The UPDATE matches the status and the claim read by ``abandoned``: a second recovering
    run, or one that read the row before another run released and re-claimed it, matches
    nothing. The note in ``last_error`` stays once the re-send succeeds.
    """
    at = as_utc(now, what="now")
    note = (
        f"re-sent after an interrupted send (claimed by {row.claimed_by or 'unknown'}; "
        f"{row.reason}; seen {at:%Y-%m-%d %H:%M} UTC)"
    )
    values: dict[str, object] = {
        "status": DeliveryStatus.PENDING,
        "claim_expires_at": None,
        "last_error": note[:MAX_ERROR_CHARS],
    }
    if model is Delivery:
        values["next_attempt_at"] = None
    result = session.execute(
        update(model)
        .where(
            col(model.id) == row.id,
            col(model.status) == DeliveryStatus.SENDING,
            col(model.claimed_by).is_not_distinct_from(row.claimed_by),
            col(model.claim_expires_at).is_not_distinct_from(row.claim_expires_at),
        )
        .values(**values)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]  # CursorResult of an UPDATE


def recover(
    *,
    session: Session,
    model: type[Outbox],
    channel_keys: Collection[str],
    now: datetime | None = None,
) -> list[int]:
    """Release every abandoned row of these (``resend``) channels and COMMIT; returns the ids
    this caller released. Call it before picking due rows: the claim then decides who sends."""
    released = [
        row.id
        for row in abandoned(session=session, model=model, channel_keys=channel_keys, now=now)
        if release_abandoned(session=session, model=model, row=row, now=now)
    ]
    session.commit()
    return released


class OutboxError(ValueError):
    """An operator action on a row that does not exist or is not in a state that allows it."""


def release(
    *, session: Session, model: type[Outbox], row_id: int, now: datetime | None = None
) -> Outbox:
    """An operator's "send it again": an uncertain or failed row becomes pending (due now).

    Flushes, never commits. Raises ``OutboxError`` for a missing row, one already sent, or
    one that changed between reading and writing (a run claimed, sent or failed it): one
    conditional UPDATE, so the release never lands on a send in progress.
    """
    row = _get(session, model, row_id)
    if row.status not in (DeliveryStatus.SENDING, DeliveryStatus.FAILED):
        raise OutboxError(f"{_name(model)} {row_id} is {row.status}; only sending or failed rows")
    values: dict[str, object] = {
        "status": DeliveryStatus.PENDING,
        "claim_expires_at": None,
        "last_error": f"released by operator at {as_utc(now, what='now'):%Y-%m-%d %H:%M} UTC",
    }
    if model is Delivery:
        values["next_attempt_at"] = None
    _operator_write(session, row, values)
    return row


def _operator_write(session: Session, row: Outbox, values: dict[str, object]) -> None:
    """``values`` written if ``row`` is still as the operator's command read it."""
    if not _record(session, row, values, *_as_read(row)):
        raise OutboxError(
            f"{_name(type(row))} {row.id} changed meanwhile (it is now {row.status}); "
            "list it again and decide on what it is now"
        )


def confirm(
    *, session: Session, model: type[Outbox], row_id: int, now: datetime | None = None
) -> Outbox:
    """An operator's "it did arrive": an uncertain row is recorded as sent. Flushes only.

    Raises ``OutboxError`` as ``release`` does, also when the row changed meanwhile.
    """
    row = _get(session, model, row_id)
    if row.status is not DeliveryStatus.SENDING:
        raise OutboxError(f"{_name(model)} {row_id} is {row.status}; only sending rows")
    values: dict[str, object] = {
        "status": DeliveryStatus.SENT,
        "sent_at": as_utc(now, what="now"),
        "claim_expires_at": None,
    }
    _operator_write(session, row, values)
    return row


def _get(session: Session, model: type[Outbox], row_id: int) -> Outbox:
    row = session.get(model, row_id)
    if row is None:
        raise OutboxError(f"no {_name(model)} with id {row_id}")
    return row


def _name(model: type[Delivery] | type[Alert]) -> str:
    return "delivery" if model is Delivery else "alert"


def backoff(attempts: int) -> timedelta:
    """Wait before the next try after ``attempts`` failed tries (1 → 5 min, 2 → 10 min...)."""
    # Cap the exponent first: 2**n for a large n is a huge int before min() sees it.
    exponent = min(max(attempts - 1, 0), 16)
    wait: timedelta = BACKOFF_BASE * (2**exponent)
    return min(wait, BACKOFF_CAP)


# Who holds a claim. A pid alone is not enough: pids are reused, so the process's start time
# (clock ticks since boot, /proc/<pid>/stat field 22) is recorded with it. Where there is no
# /proc, the start is "-" and only a pid that runs nothing at all proves the claimer gone.
_PROC = Path("/proc")
UNKNOWN_START = "-"


@dataclass(frozen=True)
class Claimer:
    """A process that may claim rows: ``host:pid:start``."""

    host: str
    pid: int
    start: str

    def __str__(self) -> str:
        return f"{self.host}:{self.pid}:{self.start}"

    @classmethod
    def current(cls) -> Claimer:
        """This process (looked up on every call: a forked child has its own pid)."""
        pid = os.getpid()
        return cls(socket.gethostname(), pid, _start_of(pid) or UNKNOWN_START)

    @classmethod
    def parse(cls, text: str) -> Claimer | None:
        """The claimer a ``claimed_by`` value names, or None if it is not one."""
        host, _, rest = text.rpartition(":")
        host, _, pid = host.rpartition(":")
        start = rest
        if not host or not pid.isdigit() or int(pid) <= 0 or not start:
            return None  # pid 0 would make os.kill signal our own process group
        return cls(host, int(pid), start)


def claimer_gone(claimed_by: str) -> bool:
    """True only when the claimer provably no longer runs: it is on this host, and no process
    with its pid and start time is alive (a zombie is not). A claimer on another host, or
    one this system cannot check, is never called gone: its lease decides."""
    claimer = Claimer.parse(claimed_by)
    if claimer is None or claimer.host != socket.gethostname():
        return False
    running = _start_of(claimer.pid)
    if running is None:
        return True
    if UNKNOWN_START in (running, claimer.start):
        return False
    return running != claimer.start


def _start_of(pid: int) -> str | None:
    """The start time of the live process ``pid`` (clock ticks since boot), ``UNKNOWN_START``
    where this system cannot tell, or None when no live process has that pid."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text(encoding="ascii", errors="replace")
    except FileNotFoundError:
        if (_PROC / "self" / "stat").exists():
            return None  # /proc works and has no such process
        return UNKNOWN_START if _pid_exists(pid) else None
    except OSError:
        return UNKNOWN_START
    # "pid (comm) state ... starttime ...": comm may hold spaces and parentheses, so fields
    # are counted from the last ")"; state is field 3, starttime field 22.
    fields = stat[stat.rfind(")") + 1 :].split()
    if len(fields) < 20:
        return UNKNOWN_START
    if fields[0] in ("Z", "X"):
        return None  # exited, not yet reaped by its parent: it sends nothing more
    return fields[19]


def _pid_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    except OSError:  # pids out of range and the like: nothing of ours runs there
        return False
    return True
