"""Source state: validators kept, failures counted, health events written once each."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, col, select

from storage.enums import FetchOutcome, SourceEventKind
from storage.models import FetchLog, SourceEvent
from storage.source_state import (
    CheckState,
    check_states,
    get_source_state,
    record_fetch_failure,
    record_fetch_success,
    record_silence,
)
from tests.storage.helpers import T0, at

URL = "https://example.org/feed.xml"


def _ok(session: Session, hour: float, **kw: object) -> SourceEvent | None:
    args: dict[str, object] = {
        "status": 200,
        "outcome": FetchOutcome.CHANGED,
        "etag": None,
        "last_modified": None,
        "body_sha256": None,
        "size": 1024,
        "elapsed": 0.25,
    }
    args.update(kw)
    return record_fetch_success(
        session=session,
        name="dailynk",
        url=URL,
        now=at(hour),
        **args,  # type: ignore[arg-type]  # test shorthand
    )


def _fail(session: Session, hour: float) -> SourceEvent | None:
    return record_fetch_failure(
        session=session,
        name="dailynk",
        url=URL,
        error_kind="SourceUnavailable",
        error="HTTP 503 from example.org",
        status=503,
        now=at(hour),
    )


def test_get_source_state_creates_once(session: Session) -> None:
    first = get_source_state(session=session, name="dailynk", now=T0)
    session.commit()
    again = get_source_state(session=session, name="dailynk")
    assert again is first
    assert again.healthy and again.consecutive_failures == 0
    assert again.created_at == T0


def test_success_keeps_validators_and_logs(session: Session) -> None:
    _ok(session, 0, etag='"abc"', last_modified="Mon, 10 Mar 2025 06:00:00 GMT", body_sha256="h1")
    _ok(session, 1, status=304, outcome=FetchOutcome.NOT_MODIFIED, size=0)
    session.commit()
    state = get_source_state(session=session, name="dailynk")
    assert state.etag == '"abc"'
    assert state.last_modified == "Mon, 10 Mar 2025 06:00:00 GMT"
    assert state.last_body_sha256 == "h1"
    assert state.last_success_at == at(1)
    logs = session.exec(select(FetchLog).order_by(col(FetchLog.id))).all()
    assert [log.outcome for log in logs] == [FetchOutcome.CHANGED, FetchOutcome.NOT_MODIFIED]
    assert logs[1].status == 304 and logs[0].bytes == 1024 and logs[0].elapsed == 0.25


def test_check_states_creates_the_row_once_and_reads_the_validators(session: Session) -> None:
    first = check_states(session=session, names=["dailynk"], now=T0)
    assert first == {"dailynk": CheckState(None, None, None, None)}
    session.commit()
    assert get_source_state(session=session, name="dailynk").created_at == T0
    _ok(session, 1, etag='"e1"', last_modified="Mon, 10 Mar 2025 06:00:00 GMT", body_sha256="h")
    assert check_states(session=session, names=["dailynk"], now=at(2)) == {
        "dailynk": CheckState(at(1), '"e1"', "Mon, 10 Mar 2025 06:00:00 GMT", "h")
    }


def test_check_states_reads_many_at_once(session: Session) -> None:
    _ok(session, 1, etag='"e1"', body_sha256="h")
    session.commit()
    # More names than one IN list takes, one of them twice, most without a row yet.
    names = ["dailynk", *(f"s{i}" for i in range(600)), "dailynk"]
    states = check_states(session=session, names=iter(names), now=at(2))
    session.commit()
    assert len(states) == 601
    assert states["dailynk"] == CheckState(at(1), '"e1"', None, "h")
    assert states["s599"] == CheckState(None, None, None, None)
    assert get_source_state(session=session, name="s599").created_at == at(2)
    # Read back from the rows just created, the states are the same.
    assert check_states(session=session, names=names, now=at(3)) == states


def test_a_success_shows_in_the_state_object_the_session_holds(session: Session) -> None:
    # A healthy source's success is written with a Core statement: the object the session
    # holds must not keep the old values.
    state = get_source_state(session=session, name="dailynk", now=T0)
    session.commit()
    assert (state.etag, state.last_success_at) == (None, None)
    _ok(session, 1, etag='"e1"', new_items=2)
    assert (state.etag, state.last_success_at, state.last_new_item_at) == ('"e1"', at(1), at(1))
    _ok(session, 2, status=304, outcome=FetchOutcome.NOT_MODIFIED)
    assert (state.etag, state.last_success_at, state.last_new_item_at) == ('"e1"', at(2), at(1))


def test_unhealthy_once_after_threshold_then_recovered_once(session: Session) -> None:
    events = [_fail(session, h) for h in range(5)]
    session.commit()
    assert [e.kind if e else None for e in events] == [
        None,
        None,
        SourceEventKind.UNHEALTHY,
        None,
        None,
    ]
    state = get_source_state(session=session, name="dailynk")
    assert not state.healthy
    assert state.consecutive_failures == 5
    assert state.unhealthy_since == at(2)
    assert state.last_error_kind == "SourceUnavailable"

    recovered = _ok(session, 6)
    quiet = _ok(session, 7)
    session.commit()
    assert recovered is not None and recovered.kind is SourceEventKind.RECOVERED
    assert "recovered after 4 h" in recovered.detail
    assert quiet is None
    state = get_source_state(session=session, name="dailynk")
    assert state.healthy and state.consecutive_failures == 0 and state.unhealthy_since is None
    kinds = session.exec(select(SourceEvent.kind).order_by(col(SourceEvent.id))).all()
    assert kinds == [SourceEventKind.UNHEALTHY, SourceEventKind.RECOVERED]
    error_logs = session.exec(select(FetchLog).where(FetchLog.outcome == FetchOutcome.ERROR)).all()
    assert len(error_logs) == 5 and error_logs[0].error_kind == "SourceUnavailable"


def test_failures_interrupted_by_success_do_not_turn_unhealthy(session: Session) -> None:
    assert _fail(session, 0) is None
    assert _fail(session, 1) is None
    assert _ok(session, 2) is None
    assert _fail(session, 3) is None
    assert _fail(session, 4) is None
    assert get_source_state(session=session, name="dailynk").healthy


def test_silence_once_per_spell(session: Session) -> None:
    _ok(session, 0, new_items=3)
    week = timedelta(days=7)
    assert record_silence(session=session, name="dailynk", silent_for=week, now=at(24)) is None
    first = record_silence(session=session, name="dailynk", silent_for=week, now=at(24 * 8))
    second = record_silence(session=session, name="dailynk", silent_for=week, now=at(24 * 9))
    assert first is not None and first.kind is SourceEventKind.SILENT
    assert "no new items since 2025-03-10 06:00 UTC" in first.detail
    assert second is None

    _ok(session, 24 * 10, new_items=1)  # the spell ends
    assert record_silence(session=session, name="dailynk", silent_for=week, now=at(24 * 12)) is None
    again = record_silence(session=session, name="dailynk", silent_for=week, now=at(24 * 18))
    assert again is not None
    session.commit()
    count = len(session.exec(select(SourceEvent).where(SourceEvent.kind == "silent")).all())
    assert count == 2


def test_never_productive_source_is_silent_from_first_sight(session: Session) -> None:
    _ok(session, 0, new_items=0)
    event = record_silence(
        session=session, name="dailynk", silent_for=timedelta(days=2), now=at(72)
    )
    assert event is not None and "no items at all since" in event.detail
