"""Crash replay with a few SIGKILLs (direct mode); ``scripts/crash-replay N`` for more."""

from __future__ import annotations

from pathlib import Path

from tradewatch.crash_replay import Mode, replay


def test_killed_runs_leave_no_loss_and_no_duplicates(tmp_path: Path) -> None:
    report = replay(kills=4, mode=Mode.DIRECT, workdir=tmp_path, seed=1)

    assert report.problems == [], report.summary()
    assert report.rounds == 5
    assert report.articles_stored == report.articles_expected == 24
    assert report.assessments == 24
    assert report.duplicate_posts == 0 and report.lost_posts == 0
    # Every digest went to both channels (sent, or left uncertain by a kill).
    assert report.deliveries == 2 * report.digests
