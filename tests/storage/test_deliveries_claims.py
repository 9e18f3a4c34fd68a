"""Who holds an outbox claim and until when; recovering abandoned claims exactly once; the
idempotency key; migration 0003 on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, inspect, text
from sqlmodel import Session, select

from storage.db import current_revision, get_engine, upgrade
from storage.deliveries import (
    LEASE,
    Claimer,
    abandoned,
    claim,
    claimer_gone,
    idempotency_key,
    mark_failed,
    mark_sent,
    recover,
    release,
    release_abandoned,
)
from storage.enums import DeliveryStatus, DigestKind
from storage.models import Alert, Delivery, Digest
from tests.storage.helpers import at, downgrade, stored_delivery

HOST = socket.gethostname()
# Above Linux's PID_MAX_LIMIT (2**22): no process can ever have this pid.
NO_SUCH_PID = 2**22 + 1


def _abandon(session: Session, row: Delivery, claimed_by: str | None, expires_h: float) -> None:
    """Leave ``row`` as a sender that claimed it and died would: ``sending``, its claim."""
    row.status = DeliveryStatus.SENDING
    row.attempts = 1
    row.last_attempt_at = at(expires_h) - LEASE
    row.claimed_by = claimed_by
    row.claim_expires_at = at(expires_h) if claimed_by is not None else None
    session.add(row)
    session.commit()


def test_claim_records_this_process_and_the_lease(session: Session) -> None:
    row = stored_delivery(session)
    assert claim(session=session, row=row, now=at(25))
    me = Claimer.current()
    assert row.claimed_by == str(me) == f"{HOST}:{os.getpid()}:{me.start}"
    assert row.claim_expires_at == at(25) + LEASE
    assert timedelta(minutes=10) <= LEASE  # outlasts any send
    mark_sent(session=session, delivery=row, now=at(25.01))
    session.commit()
    sent = session.get(Delivery, row.id)
    # the claim is over; who sent it stays
    assert sent is not None and (sent.claim_expires_at, sent.claimed_by) == (None, str(me))


def test_failed_and_released_rows_hold_no_lease(session: Session) -> None:
    row = stored_delivery(session)
    claim(session=session, row=row, now=at(25))
    mark_failed(session=session, delivery=row, error="HTTP 500", now=at(25))
    session.commit()
    assert row.claim_expires_at is None
    claim(session=session, row=row, now=at(26))
    assert row.id is not None and row.claim_expires_at == at(26) + LEASE
    release(session=session, model=Delivery, row_id=row.id, now=at(27))
    session.commit()
    assert (row.status, row.claim_expires_at) == (DeliveryStatus.PENDING, None)


def test_this_process_is_alive_and_a_missing_or_reused_pid_is_gone() -> None:
    me = Claimer.current()
    assert not claimer_gone(str(me))
    assert claimer_gone(f"{HOST}:{NO_SUCH_PID}:12345")
    if me.start != "-":  # Linux: a live pid with another start time is a later process
        assert claimer_gone(f"{HOST}:{me.pid}:{int(me.start) + 1}")
    # another host, or something that is not a claimer: never provably gone
    assert not claimer_gone(f"elsewhere.example.org:{NO_SUCH_PID}:12345")
    assert not claimer_gone("garbage")
    assert not claimer_gone(f"{HOST}:0:1")
    assert Claimer.parse(str(me)) == me


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_killed_unreaped_child_is_gone() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = str(Claimer(HOST, child.pid, _start_of_child(child.pid)))
        assert not claimer_gone(live)
        os.kill(child.pid, signal.SIGKILL)
        # until the parent reaps it, the child is a zombie: it runs nothing any more
        deadline = time.monotonic() + 10
        while _state(child.pid) != "Z" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _state(child.pid) == "Z"
        assert claimer_gone(live)
    finally:
        child.kill()
        child.wait()
    assert claimer_gone(live)


def _stat_fields(pid: int) -> list[str]:
    stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii")
    return stat[stat.rfind(")") + 1 :].split()


def _state(pid: int) -> str:
    return _stat_fields(pid)[0]


def _start_of_child(pid: int) -> str:
    return _stat_fields(pid)[19]


def test_abandoned_finds_gone_claimers_and_ended_leases_only(session: Session) -> None:
    me = str(Claimer.current())
    gone = stored_delivery(session, "gone", 24)
    _abandon(session, gone, f"{HOST}:{NO_SUCH_PID}:1", expires_h=30)
    live = stored_delivery(session, "live", 48)
    _abandon(session, live, me, expires_h=30)
    far = stored_delivery(session, "far", 72)
    _abandon(session, far, f"elsewhere.example.org:{NO_SUCH_PID}:1", expires_h=30)
    legacy = stored_delivery(session, "legacy", 96)  # claimed before claims were recorded
    _abandon(session, legacy, None, expires_h=30)
    keys = ["gone", "live", "far", "legacy"]

    within = abandoned(session=session, model=Delivery, channel_keys=keys, now=at(29))
    assert [(r.id, r.reason) for r in within] == [(gone.id, "its process is gone")]
    after = abandoned(session=session, model=Delivery, channel_keys=keys, now=at(30))
    assert [r.id for r in after] == [gone.id, live.id, far.id, legacy.id]
    assert after[1].reason == "its lease ended 2025-03-11 12:00 UTC"
    # channels not passed (hold channels) are never looked at
    assert abandoned(session=session, model=Delivery, channel_keys=["live"], now=at(29)) == []
    assert abandoned(session=session, model=Delivery, channel_keys=[], now=at(99)) == []


def test_two_recoveries_release_a_row_once(session: Session, engine: Engine) -> None:
    row = stored_delivery(session)
    _abandon(session, row, f"{HOST}:{NO_SUCH_PID}:1", expires_h=30)
    with Session(engine) as first, Session(engine) as second:
        # both read the abandoned claim before either acts
        (seen_1,) = abandoned(session=first, model=Delivery, channel_keys=["a"], now=at(25))
        (seen_2,) = abandoned(session=second, model=Delivery, channel_keys=["a"], now=at(25))
        assert release_abandoned(session=first, model=Delivery, row=seen_1, now=at(25))
        first.commit()
        assert not release_abandoned(session=second, model=Delivery, row=seen_2, now=at(25))
        second.commit()
    session.refresh(row)
    assert row.status is DeliveryStatus.PENDING
    assert row.last_error is not None
    assert row.last_error.startswith("re-sent after an interrupted send (claimed by ")
    assert f":{NO_SUCH_PID}:1; its process is gone" in row.last_error


def test_a_stale_read_does_not_release_a_row_claimed_again(
    session: Session, engine: Engine
) -> None:
    row = stored_delivery(session)
    _abandon(session, row, f"{HOST}:{NO_SUCH_PID}:1", expires_h=30)
    with Session(engine) as slow:
        (stale,) = abandoned(session=slow, model=Delivery, channel_keys=["a"], now=at(25))
        # meanwhile another run recovers it and claims it: a live claim now
        assert recover(session=session, model=Delivery, channel_keys=["a"], now=at(25)) == [row.id]
        assert claim(session=session, row=row, now=at(25))
        assert not release_abandoned(session=slow, model=Delivery, row=stale, now=at(25))
        slow.commit()
    session.refresh(row)
    assert (row.status, row.claimed_by) == (DeliveryStatus.SENDING, str(Claimer.current()))


def test_recover_alerts_too(session: Session) -> None:
    from tests.review.helpers import store_change

    change = store_change(session)
    assert change.id is not None
    alert = Alert(policy_change_id=change.id, channel_key="a", channel_label="A")
    session.add(alert)
    session.commit()
    alert.status = DeliveryStatus.SENDING
    alert.claimed_by = f"{HOST}:{NO_SUCH_PID}:1"
    alert.claim_expires_at = at(30)
    session.add(alert)
    session.commit()
    assert recover(session=session, model=Alert, channel_keys=["b"], now=at(25)) == []
    assert recover(session=session, model=Alert, channel_keys=["a"], now=at(25)) == [alert.id]
    session.refresh(alert)
    assert alert.status is DeliveryStatus.PENDING and alert.claim_expires_at is None


def test_idempotency_key_identifies_message_and_channel() -> None:
    created = datetime(2025, 3, 2, 6, 0, 1, 123456, tzinfo=UTC)

    def key(digest_id: int, channel: str, created_at: datetime = created) -> str:
        digest = Digest(
            id=digest_id,
            kind=DigestKind.SCHEDULED,
            window_start=at(0),
            window_end=at(24),
            created_at=created_at,
            title="t",
            markdown="",
            html="",
            text="",
        )
        return idempotency_key(
            Delivery(digest_id=digest_id, channel_key=channel, channel_label="", digest=digest)
        )

    assert key(7, "a") == key(7, "a")
    assert key(7, "a").startswith("tw-digest-7-") and len(key(7, "a")) == len("tw-digest-7-") + 32
    # another channel, digest, or database (same id, another creation time): another key
    assert len({key(7, "a"), key(7, "b"), key(8, "a"), key(7, "a", created + LEASE)}) == 4
    alert = Alert(policy_change_id=3, channel_key="a", channel_label="", created_at=created)
    assert idempotency_key(alert).startswith("tw-alert-3-")
    assert idempotency_key(alert) != idempotency_key(
        Alert(policy_change_id=3, channel_key="b", channel_label="", created_at=created)
    )


def test_key_survives_reload_and_attempts(session: Session, engine: Engine) -> None:
    row = stored_delivery(session)
    before = idempotency_key(row)
    claim(session=session, row=row, now=at(25))
    mark_failed(session=session, delivery=row, error="HTTP 500", now=at(25))
    session.commit()
    claim(session=session, row=row, now=at(26))
    with Session(engine) as other:
        reloaded = other.get(Delivery, row.id)
        assert reloaded is not None and idempotency_key(reloaded) == before


def test_migration_0003_adds_claim_columns_keeping_rows(db_url: str) -> None:
    upgrade(db_url, "0002")  # a fresh SQLite file
    engine = get_engine(db_url)
    try:
        downgrade(engine, db_url, "0002")  # the session's PostgreSQL database is at head
        assert current_revision(db_url) == "0002"
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO digest (kind, window_start, window_end, created_at, title, "
                    "markdown, html, text, summary) VALUES ('scheduled', :t, :t, :t, 't', '', "
                    "'', '', '{}')"
                ),
                {"t": datetime(2025, 1, 1)},
            )
            conn.execute(
                text(
                    "INSERT INTO delivery (digest_id, channel_key, channel_label, status, "
                    "attempts) VALUES (1, 'k', 'K', 'sending', 1)"
                )
            )
        upgrade(db_url, "0003")
        assert current_revision(db_url) == "0003"
        for table in ("delivery", "alert"):
            columns = {c["name"]: c for c in inspect(engine).get_columns(table)}
            assert columns["claimed_by"]["nullable"] and columns["claim_expires_at"]["nullable"]
        with Session(engine) as session:
            legacy = session.exec(select(Delivery)).one()
            assert (legacy.status, legacy.claimed_by, legacy.claim_expires_at) == (
                DeliveryStatus.SENDING,
                None,
                None,
            )
        # and back: the downgrade drops them again, keeping the row
        downgrade(engine, db_url, "0002")
        assert "claimed_by" not in {c["name"] for c in inspect(engine).get_columns("delivery")}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT status FROM delivery")).scalar_one() == "sending"
    finally:
        engine.dispose()
        upgrade(db_url)  # leave the schema at head for the tests after this one


def test_an_operator_release_read_before_a_claim_does_not_land_on_the_send(
    session: Session, engine: Engine
) -> None:
    from storage.deliveries import OutboxError

    row = stored_delivery(session)
    assert claim(session=session, row=row, now=at(25))
    mark_failed(session=session, delivery=row, error="refused", now=at(25))
    session.commit()
    assert row.id is not None
    with Session(engine) as operator:
        seen = operator.get(Delivery, row.id)  # the operator's command has read it: failed
        assert seen is not None and seen.status is DeliveryStatus.FAILED
        # meanwhile a run finds it due and claims it for its retry
        assert claim(session=session, row=row, now=at(26))
        with pytest.raises(OutboxError, match="changed meanwhile \\(it is now sending\\)"):
            release(session=operator, model=Delivery, row_id=row.id, now=at(26))
        operator.commit()
    session.refresh(row)
    assert (row.status, row.attempts) == (DeliveryStatus.SENDING, 2)


def test_an_operator_confirm_read_before_a_recovery_does_not_undo_it(
    session: Session, engine: Engine
) -> None:
    from storage.deliveries import OutboxError, confirm

    row = stored_delivery(session)
    _abandon(session, row, f"{HOST}:{NO_SUCH_PID}:1", expires_h=30)
    assert row.id is not None
    with Session(engine) as operator:
        seen = operator.get(Delivery, row.id)
        assert seen is not None and seen.status is DeliveryStatus.SENDING
        # meanwhile a run on a resend channel releases the abandoned row and claims it
        assert recover(session=session, model=Delivery, channel_keys=["a"], now=at(25)) == [row.id]
        assert claim(session=session, row=row, now=at(25))
        with pytest.raises(OutboxError, match="changed meanwhile"):
            confirm(session=operator, model=Delivery, row_id=row.id, now=at(25))
        operator.commit()
    session.refresh(row)
    assert (row.status, row.sent_at) == (DeliveryStatus.SENDING, None)
    assert row.claimed_by == str(Claimer.current())
