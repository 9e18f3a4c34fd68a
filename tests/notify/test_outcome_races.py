"""A send that outlives its claim: its outcome is recorded only where it cannot undo another
run's. Run A claims a row and sends; meanwhile run B re-claims it (after the lease, through
``recover``) or an operator acts on it. A late failure of A never overwrites B's ``sent`` nor
B's live claim; A's acceptance always ends ``sent``, and keeps an earlier ``sent`` as it is.

Both runs are this process here, so they share a ``claimed_by``: the claim's lease end and
attempt count tell them apart, as they must for a process that claims a row twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from notify.channels import DeliveryError, parse_channel
from storage.deliveries import (
    LEASE,
    Claimer,
    backoff,
    claim,
    confirm,
    mark_failed,
    mark_sent,
    recover,
    release,
)
from storage.enums import DeliveryStatus
from storage.models import Alert, Delivery
from tests.review.helpers import store_change
from tests.storage.helpers import at, stored_delivery
from tradewatch import outbox
from tradewatch.digest import deliver_due
from tradewatch.outbox import send_one

TOKEN = "R4ceH00kT0kenSecret"
URL = f"json://analyst:{TOKEN}@127.0.0.1:9/hook?tw-uncertain=resend"
CHANNEL = parse_channel(URL)
A_AT = at(25)  # run A claims
B_AT = A_AT + LEASE  # A's lease has run out: run B recovers and re-claims
ME = str(Claimer.current())

Step = Callable[[], None]


@pytest.fixture
def other(engine: Engine) -> Iterator[Session]:
    """Run B's session (or an operator's): another connection to the same database."""
    with Session(engine) as sess:
        yield sess


def _sending(monkeypatch: pytest.MonkeyPatch, meanwhile: Step, *, fails: bool) -> None:
    """Make run A's send run ``meanwhile`` (what others do while it is in flight), then fail
    or succeed. Any later send (run B's own) succeeds at once."""
    calls = []

    def fake_send(url: str, **_: object) -> None:
        calls.append(url)
        if len(calls) > 1:
            return  # run B's send, made from inside ``meanwhile``
        meanwhile()
        if fails:
            raise DeliveryError("json://127.0.0.1:9/… answered HTTP 500")

    monkeypatch.setattr(outbox, "send", fake_send)


def _b_claims(other: Session, row_id: int | None) -> Delivery:
    """Run B: A's lease has run out, so ``recover`` releases the row and B claims it."""
    assert recover(session=other, model=Delivery, channel_keys=[CHANNEL.key], now=B_AT) == [row_id]
    row = other.get(Delivery, row_id)
    assert row is not None and claim(session=other, row=row, now=B_AT)
    return row


def _current(session: Session, row: Delivery) -> Delivery:
    session.expire_all()  # read what the database holds now, not this session's copy
    fresh = session.get(Delivery, row.id)
    assert fresh is not None
    return fresh


def _superseded(caplog: pytest.LogCaptureFixture, row_id: int | None) -> str:
    (message,) = [
        r.getMessage()
        for r in caplog.records
        if r.name == "tradewatch.outbox" and "superseded" in r.getMessage()
    ]
    assert message.startswith(f"delivery {row_id} to {CHANNEL.label} failed")
    assert TOKEN not in message  # the channel is named by its redacted label only
    return message


def _b_sends_it_meanwhile(
    monkeypatch: pytest.MonkeyPatch, other: Session, *, a_fails: bool
) -> None:
    """While A's send is under way, B (after A's lease) sends the row and records it."""

    def b_sends_it() -> None:
        assert deliver_due(other, urls=[URL], now=B_AT) == (1, 0)

    _sending(monkeypatch, b_sends_it, fails=a_fails)


# (a) B takes over after the lease and sends; A's send then fails.


def test_late_failure_leaves_a_row_another_run_sent(
    session: Session,
    other: Session,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    row = stored_delivery(session, CHANNEL.key, label=CHANNEL.label)
    _b_sends_it_meanwhile(monkeypatch, other, a_fails=True)
    with caplog.at_level(logging.WARNING, logger="tradewatch.outbox"):
        # A counts neither: the row's outcome is B's
        assert deliver_due(session, urls=[URL], now=A_AT) == (0, 0)
    now = _current(session, row)
    assert (now.status, now.sent_at, now.attempts) == (DeliveryStatus.SENT, B_AT, 2)
    assert now.next_attempt_at is None  # nothing will send it a third time
    assert (now.last_error or "").startswith("re-sent after an interrupted send")
    assert "it is sent; not recorded" in _superseded(caplog, row.id)
    assert deliver_due(session, urls=[URL], now=B_AT + timedelta(days=1)) == (0, 0)


# (b) A's late failure while B holds a live claim; B's send then succeeds.


def test_late_failure_leaves_another_runs_live_claim(
    session: Session,
    other: Session,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    row = stored_delivery(session, CHANNEL.key, label=CHANNEL.label)
    b_rows: list[Delivery] = []
    _sending(monkeypatch, lambda: b_rows.append(_b_claims(other, row.id)), fails=True)
    with caplog.at_level(logging.WARNING, logger="tradewatch.outbox"):
        assert send_one(session, row, CHANNEL, row.digest, now=A_AT) is None
    # A's session now shows B's claim, and so does the database
    assert (row.status, row.claim_expires_at) == (DeliveryStatus.SENDING, B_AT + LEASE)
    now = _current(session, row)
    assert (now.status, now.claimed_by) == (DeliveryStatus.SENDING, ME)
    assert (now.claim_expires_at, now.attempts, now.last_attempt_at) == (B_AT + LEASE, 2, B_AT)
    assert (now.last_error or "").startswith("re-sent after an interrupted send")
    assert f"it is sending, claimed by {ME}; not recorded" in _superseded(caplog, row.id)

    (b_row,) = b_rows
    assert mark_sent(session=other, delivery=b_row, now=B_AT + timedelta(seconds=5))
    other.commit()
    now = _current(session, row)
    assert (now.status, now.attempts) == (DeliveryStatus.SENT, 2)
    assert now.sent_at == B_AT + timedelta(seconds=5)


# (c) A's send succeeds after B re-claimed; B's send then fails.


def test_late_success_is_recorded_over_a_live_claim_whose_failure_is_then_refused(
    session: Session, other: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = stored_delivery(session, CHANNEL.key, label=CHANNEL.label)
    b_rows: list[Delivery] = []
    _sending(monkeypatch, lambda: b_rows.append(_b_claims(other, row.id)), fails=False)
    assert send_one(session, row, CHANNEL, row.digest, now=A_AT) is True
    now = _current(session, row)
    # two claims, two attempts; A's acceptance adds none
    assert (now.status, now.sent_at, now.attempts) == (DeliveryStatus.SENT, A_AT, 2)
    assert (now.claimed_by, now.claim_expires_at, now.next_attempt_at) == (ME, None, None)

    (b_row,) = b_rows
    assert not mark_failed(session=other, delivery=b_row, error="HTTP 500", now=B_AT)
    other.commit()
    assert b_row.status is DeliveryStatus.SENT  # B's copy refreshed to the row's state
    now = _current(session, row)
    assert (now.status, now.sent_at, now.attempts) == (DeliveryStatus.SENT, A_AT, 2)
    assert (now.next_attempt_at, now.claim_expires_at) == (None, None)
    assert (now.last_error or "").startswith("re-sent after an interrupted send")


def test_late_success_after_another_run_sent_keeps_its_record(
    session: Session,
    other: Session,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    row = stored_delivery(session, CHANNEL.key, label=CHANNEL.label)
    _b_sends_it_meanwhile(monkeypatch, other, a_fails=False)
    with caplog.at_level(logging.WARNING, logger="tradewatch.outbox"):
        # A did send it (a second time, with the same idempotency key)
        assert deliver_due(session, urls=[URL], now=A_AT) == (1, 0)
    now = _current(session, row)
    assert (now.status, now.sent_at, now.attempts) == (DeliveryStatus.SENT, B_AT, 2)
    warnings = [r.getMessage() for r in caplog.records if r.name == "tradewatch.outbox"]
    assert f"delivery {row.id} to {CHANNEL.label} was sent again" in " ".join(warnings)
    assert TOKEN not in " ".join(warnings)


# An operator acts while A's send is in flight; the same process re-claims at one instant.


@pytest.mark.parametrize("operator", ["release", "confirm"])
def test_late_failure_leaves_what_an_operator_decided(
    operator: str, session: Session, other: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    row = stored_delivery(session, CHANNEL.key, label=CHANNEL.label)
    act = release if operator == "release" else confirm

    def operator_acts() -> None:
        assert row.id is not None
        act(session=other, model=Delivery, row_id=row.id, now=A_AT + timedelta(minutes=1))
        other.commit()

    _sending(monkeypatch, operator_acts, fails=True)
    assert send_one(session, row, CHANNEL, row.digest, now=A_AT) is None
    now = _current(session, row)
    expected = DeliveryStatus.PENDING if operator == "release" else DeliveryStatus.SENT
    assert (now.status, now.attempts, now.next_attempt_at) == (expected, 1, None)
    assert now.last_error == (
        "released by operator at 2025-03-11 07:01 UTC" if operator == "release" else None
    )


def test_a_reclaim_at_the_same_instant_by_this_process_is_told_apart(
    session: Session, other: Session
) -> None:
    row = stored_delivery(session, CHANNEL.key, label=CHANNEL.label)
    assert claim(session=session, row=row, now=A_AT)
    assert row.id is not None
    release(session=other, model=Delivery, row_id=row.id, now=A_AT)
    other.commit()
    b_row = other.get(Delivery, row.id)
    assert b_row is not None and claim(session=other, row=b_row, now=A_AT)
    # same claimer, same lease end: only the attempt count says this claim is not A's
    assert (b_row.claimed_by, b_row.claim_expires_at) == (row.claimed_by, row.claim_expires_at)
    assert not mark_failed(session=session, delivery=row, error="HTTP 500", now=A_AT)
    session.commit()
    now = _current(session, row)
    assert (now.status, now.attempts, now.claim_expires_at) == (
        DeliveryStatus.SENDING,
        2,
        A_AT + LEASE,
    )
    assert mark_failed(session=other, delivery=b_row, error="HTTP 500", now=A_AT)
    other.commit()
    now = _current(session, row)
    assert (now.status, now.attempts, now.last_error) == (DeliveryStatus.FAILED, 2, "HTTP 500")
    assert now.next_attempt_at == A_AT + backoff(2)


def test_alerts_get_the_same_protection(session: Session, other: Session) -> None:
    change = store_change(session)
    assert change.id is not None
    alert = Alert(policy_change_id=change.id, channel_key=CHANNEL.key, channel_label="A")
    session.add(alert)
    session.commit()
    assert claim(session=session, row=alert, now=A_AT)
    assert recover(session=other, model=Alert, channel_keys=[CHANNEL.key], now=B_AT) == [alert.id]
    b_alert = other.get(Alert, alert.id)
    assert b_alert is not None and claim(session=other, row=b_alert, now=B_AT)
    assert mark_sent(session=other, delivery=b_alert, now=B_AT)
    other.commit()
    assert not mark_failed(session=session, delivery=alert, error="HTTP 500", now=A_AT)
    session.commit()
    assert (alert.status, alert.sent_at, alert.attempts) == (DeliveryStatus.SENT, B_AT, 2)


# (d) Rows marked without a claim: the condition is "as this caller read it".


def test_unclaimed_rows_are_marked_and_counted_as_before(session: Session) -> None:
    row = stored_delivery(session, CHANNEL.key, label=CHANNEL.label)
    assert mark_failed(session=session, delivery=row, error="refused", now=A_AT)
    assert (row.status, row.attempts, row.next_attempt_at) == (
        DeliveryStatus.FAILED,
        1,
        A_AT + backoff(1),
    )
    assert mark_failed(session=session, delivery=row, error="refused", now=A_AT)
    assert (row.attempts, row.next_attempt_at) == (2, A_AT + backoff(2))
    assert mark_sent(session=session, delivery=row, now=B_AT)
    session.commit()
    now = _current(session, row)
    assert (now.status, now.attempts, now.sent_at, now.next_attempt_at) == (
        DeliveryStatus.SENT,
        3,
        B_AT,
        None,
    )
    # a sent row stays as it was recorded: not re-sent, not failed, not counted again
    assert not mark_sent(session=session, delivery=now, now=B_AT + LEASE)
    assert not mark_failed(session=session, delivery=now, error="late", now=B_AT + LEASE)
    session.commit()
    now = _current(session, row)
    assert (now.status, now.attempts, now.sent_at) == (DeliveryStatus.SENT, 3, B_AT)


def test_unclaimed_stale_reads_neither_clobber_a_claim_nor_lose_a_delivery(
    session: Session, other: Session, engine: Engine
) -> None:
    row = stored_delivery(session, CHANNEL.key, label=CHANNEL.label)
    with Session(engine) as third:
        # two callers read the row pending and send without claiming; meanwhile B claims it
        also = third.get(Delivery, row.id)
        assert also is not None and also.status is DeliveryStatus.PENDING
        b_row = other.get(Delivery, row.id)
        assert b_row is not None and claim(session=other, row=b_row, now=A_AT)
        # the pending row the first read is gone: its failure is not written over B's claim
        assert not mark_failed(session=session, delivery=row, error="refused", now=A_AT)
        session.commit()
        assert (row.status, row.attempts, row.claim_expires_at) == (
            DeliveryStatus.SENDING,
            1,
            A_AT + LEASE,
        )
        # the second got its message accepted: recorded, counting its own attempt too
        assert mark_sent(session=third, delivery=also, now=A_AT)
        third.commit()
    now = _current(session, row)
    assert (now.status, now.attempts, now.sent_at) == (DeliveryStatus.SENT, 2, A_AT)
    # and B's failure, arriving last, is refused
    assert not mark_failed(session=other, delivery=b_row, error="HTTP 500", now=A_AT)
    assert b_row.status is DeliveryStatus.SENT
