"""Crash replay with a few SIGKILLs (direct mode); ``scripts/crash-replay N`` for more. And the
harness's delivery check itself, on made-up receiver logs, so that its verdicts can fail."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradewatch.crash_replay import Inbox, Mode, Received, ReplayReport, check_deliveries, replay


def test_killed_runs_leave_no_loss_and_no_duplicates(tmp_path: Path) -> None:
    report = replay(kills=4, mode=Mode.DIRECT, workdir=tmp_path, seed=1)

    assert report.problems == [], report.summary()
    assert report.uncertain_policy == "resend"
    assert report.rounds == 5
    assert report.articles_stored == report.articles_expected == 24
    assert report.assessments == 24
    # Every digest went to both channels, every row ended sent, none is left uncertain ...
    assert report.deliveries == 2 * report.digests
    assert report.uncertain == 0 and report.lost_posts == 0
    # ... and each was processed once by the receiver; repeats only ever under the same key.
    assert report.messages_processed == report.deliveries
    assert report.posts_received == report.messages_processed + report.duplicates_absorbed
    assert report.posts_without_key == 0 and report.duplicate_posts == 0
    assert report.delivery_semantics.startswith("exactly once at the receiver")


ROWS = {"k1": ("/chan-a", 1, "sent"), "k2": ("/chan-b", 1, "sent")}


def _inbox(*posts: tuple[str, str | None]) -> Inbox:
    inbox = Inbox()
    for channel, key in posts:
        inbox.record(Received(channel, "Digest", key))
    return inbox


@pytest.mark.parametrize(
    ("policy", "posts", "rows", "problem"),
    [
        ("resend", [("/chan-a", "k1"), ("/chan-b", "k2"), ("/chan-a", "k1")], ROWS, None),
        ("hold", [("/chan-a", "k1"), ("/chan-b", "k2"), ("/chan-a", "k1")], ROWS, "sent twice"),
        ("resend", [("/chan-a", "k1")], ROWS, "recorded as sent but never received"),
        ("resend", [("/chan-a", "k1"), ("/chan-b", None)], ROWS, "without Idempotency-Key"),
        ("resend", [("/chan-a", "k1"), ("/chan-b", "k2"), ("/chan-a", "k9")], ROWS, "no delivery"),
        ("resend", [("/chan-a", "k1"), ("/chan-a", "k2")], ROWS, "came on /chan-a"),
        (
            "resend",
            [("/chan-a", "k1")],
            {"k1": ROWS["k1"], "k2": ("/chan-b", 1, "sending")},
            "left uncertain",
        ),
        (
            "hold",
            [("/chan-a", "k1"), ("/chan-b", "k2")],
            {"k1": ROWS["k1"], "k2": ("/chan-b", 1, "sending")},
            None,
        ),
    ],
)
def test_delivery_check_flags_what_it_must(
    policy: str,
    posts: list[tuple[str, str | None]],
    rows: dict[str, tuple[str, int, str]],
    problem: str | None,
) -> None:
    report = ReplayReport(mode="direct", uncertain_policy=policy)
    check_deliveries(report, rows, _inbox(*posts))
    if problem is None:
        assert report.problems == []
    else:
        assert any(problem in p for p in report.problems), report.problems


def test_delivery_check_counts_repeats_and_uncertain_arrivals() -> None:
    resend = ReplayReport(mode="direct", uncertain_policy="resend")
    check_deliveries(resend, ROWS, _inbox(("/chan-a", "k1"), ("/chan-a", "k1"), ("/chan-b", "k2")))
    assert (resend.posts_received, resend.duplicates_absorbed, resend.messages_processed) == (
        3,
        1,
        2,
    )
    assert resend.delivery_semantics == (
        "exactly once at the receiver: 3 POSTs, 1 repeats absorbed by the idempotency key"
    )
    hold = ReplayReport(mode="direct", uncertain_policy="hold")
    rows = {"k1": ROWS["k1"], "k2": ("/chan-b", 1, "sending"), "k3": ("/chan-b", 2, "sending")}
    check_deliveries(hold, rows, _inbox(("/chan-a", "k1"), ("/chan-b", "k2")))
    assert (hold.uncertain, hold.uncertain_arrived) == (2, 1)
    assert hold.delivery_semantics.startswith("at most once: 2 delivery rows left 'sending'")
