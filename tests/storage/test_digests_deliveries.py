"""Digests keyed by window; deliveries idempotent per channel, retried with backoff."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, func, select

from notify.channels import channel_key, redact_url
from storage.deliveries import (
    backoff,
    due_deliveries,
    ensure_deliveries,
    mark_failed,
    mark_sent,
)
from storage.digests import last_digest, save_digest
from storage.enums import DeliveryStatus, DigestKind
from storage.models import Delivery, Digest
from tests.storage.helpers import T0, at

SECRET_URL = "json://user:s3cret@127.0.0.1:8080/hook?token=abc"


def _digest(session: Session, start_h: float, end_h: float, title: str = "Digest") -> Digest:
    return save_digest(
        session=session,
        kind=DigestKind.SCHEDULED,
        window_start=at(start_h),
        window_end=at(end_h),
        title=title,
        markdown=f"# {title}",
        html=f"<h1>{title}</h1>",
        text=title,
        summary={"items": 2},
        path=None,
    )


def test_save_digest_updates_the_same_window(session: Session) -> None:
    first = _digest(session, 0, 24, "Draft")
    session.commit()
    again = _digest(session, 0, 24, "Final")
    session.commit()
    assert again.id == first.id
    assert session.exec(select(func.count()).select_from(Digest)).one() == 1
    assert again.title == "Final" and again.markdown == "# Final"
    assert again.summary == {"items": 2}
    assert again.window_start == T0


def test_last_digest_is_the_latest_window_of_its_kind(session: Session) -> None:
    assert last_digest(session=session, kind=DigestKind.SCHEDULED) is None
    _digest(session, 0, 24)
    newest = _digest(session, 24, 48)
    save_digest(
        session=session,
        kind="demo",
        window_start=at(0),
        window_end=at(100),
        title="demo",
        markdown="",
        html="",
        text="",
        summary={},
        path="var/digests/demo.md",
    )
    session.commit()
    found = last_digest(session=session, kind="scheduled")
    assert found is not None and found.id == newest.id and found.window_end == at(48)
    demo = last_digest(session=session, kind=DigestKind.DEMO)
    assert demo is not None and demo.path == "var/digests/demo.md"


def test_ensure_deliveries_is_idempotent_and_stores_no_url(session: Session) -> None:
    digest = _digest(session, 0, 24)
    channels = [(channel_key(SECRET_URL), redact_url(SECRET_URL)), ("k2", "mailto://…")]
    first = ensure_deliveries(session=session, digest=digest, channels=channels)
    session.commit()
    mark_sent(session=session, delivery=first[0], now=at(25))
    second = ensure_deliveries(session=session, digest=digest, channels=channels)
    session.commit()

    assert [d.id for d in second] == [d.id for d in first]
    assert second[0].status is DeliveryStatus.SENT  # not reset to pending
    rows = session.exec(select(Delivery)).all()
    assert len(rows) == 2
    assert all("s3cret" not in (r.channel_key + r.channel_label) for r in rows)


def test_due_deliveries_pending_and_failed_after_backoff(session: Session) -> None:
    d1 = _digest(session, 0, 24)
    d2 = _digest(session, 24, 48)
    a, b = ensure_deliveries(session=session, digest=d1, channels=[("a", "A"), ("b", "B")])
    (c,) = ensure_deliveries(session=session, digest=d2, channels=[("a", "A")])
    session.commit()
    assert [d.id for d in due_deliveries(session=session, now=at(25))] == [a.id, b.id, c.id]

    mark_sent(session=session, delivery=a, now=at(25))
    mark_failed(session=session, delivery=b, error="connection refused", now=at(25))
    session.commit()
    assert b.status is DeliveryStatus.FAILED and b.attempts == 1
    assert b.next_attempt_at == at(25) + timedelta(minutes=5)
    assert b.last_error == "connection refused"
    assert a.sent_at == at(25) and a.status is DeliveryStatus.SENT

    just_before = at(25) + timedelta(minutes=4)
    assert [d.id for d in due_deliveries(session=session, now=just_before)] == [c.id]
    after = at(25) + timedelta(minutes=5)
    due = due_deliveries(session=session, now=after)
    assert [d.id for d in due] == [b.id, c.id]
    assert [d.digest.window_end for d in due] == [at(24), at(48)]


def test_backoff_doubles_and_caps_at_six_hours(session: Session) -> None:
    digest = _digest(session, 0, 24)
    (delivery,) = ensure_deliveries(session=session, digest=digest, channels=[("a", "A")])
    waits = []
    for _ in range(8):
        mark_failed(session=session, delivery=delivery, error="HTTP 500", now=T0)
        assert delivery.next_attempt_at is not None
        waits.append(delivery.next_attempt_at - T0)
    minutes = [int(w.total_seconds() // 60) for w in waits]
    assert minutes == [5, 10, 20, 40, 80, 160, 320, 360]
    assert delivery.attempts == 8
    assert backoff(10_000) == timedelta(hours=6)


def test_claim_commits_sending_and_only_one_caller_wins(session: Session, engine: object) -> None:
    from sqlalchemy import Engine

    from storage.deliveries import claim, uncertain

    assert isinstance(engine, Engine)
    digest = _digest(session, 0, 24)
    (delivery,) = ensure_deliveries(session=session, digest=digest, channels=[("a", "A")])
    session.commit()
    assert claim(session=session, row=delivery, now=at(25))
    assert delivery.status is DeliveryStatus.SENDING and delivery.attempts == 1
    # committed: a second session (another run) sees it claimed and cannot claim it
    with Session(engine) as other:
        row = other.get(Delivery, delivery.id)
        assert row is not None and row.status is DeliveryStatus.SENDING
        assert not claim(session=other, row=row, now=at(25))
        # ... and it is not due: a row in "sending" is uncertain, never re-sent blindly
        assert due_deliveries(session=other, now=at(100)) == []
        assert [d.id for d in uncertain(session=other, model=Delivery)] == [delivery.id]
    mark_sent(session=session, delivery=delivery, now=at(25))
    session.commit()
    assert (delivery.attempts, delivery.status) == (1, DeliveryStatus.SENT)


def test_operator_release_and_confirm(session: Session) -> None:
    import pytest

    from storage.deliveries import OutboxError, claim, confirm, release

    digest = _digest(session, 0, 24)
    a, b = ensure_deliveries(session=session, digest=digest, channels=[("a", "A"), ("b", "B")])
    session.commit()
    claim(session=session, row=a, now=at(25))
    claim(session=session, row=b, now=at(25))
    assert a.id is not None and b.id is not None
    release(session=session, model=Delivery, row_id=a.id, now=at(26))
    confirm(session=session, model=Delivery, row_id=b.id, now=at(26))
    session.commit()
    assert a.status is DeliveryStatus.PENDING and a.next_attempt_at is None
    assert [d.id for d in due_deliveries(session=session, now=at(26))] == [a.id]
    assert b.status is DeliveryStatus.SENT and b.sent_at == at(26)
    with pytest.raises(OutboxError, match="is sent"):
        release(session=session, model=Delivery, row_id=b.id)
    with pytest.raises(OutboxError, match="is pending"):
        confirm(session=session, model=Delivery, row_id=a.id)
    with pytest.raises(OutboxError, match="no delivery with id 999"):
        release(session=session, model=Delivery, row_id=999)
