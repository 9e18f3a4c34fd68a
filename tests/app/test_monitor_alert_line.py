"""What a monitor run says about immediate alerts: nothing when they are off; sent, failed,
re-sent and uncertain counts when they are on, with the command that settles uncertain ones."""

from __future__ import annotations

import pytest

from tradewatch.alerts import AlertReport
from tradewatch.cli import _print_monitor


def _summary(report: AlertReport) -> dict[str, object]:
    return {
        "sources": 1,
        "failed_sources": [],
        "new_articles": 0,
        "changed_articles": 0,
        "departures": 0,
        "reports": [],
        "alerts_line": report.describe(),
    }


def test_alerts_off_say_nothing() -> None:
    assert AlertReport(enabled=False).describe() is None


def test_alert_counts_are_all_reported() -> None:
    line = AlertReport(
        enabled=True, changes=3, sent=2, failed=1, uncertain=1, recovered=2
    ).describe()
    assert line == (
        "alerts: 2 sent, 1 failed (3 qualifying changes), 2 interrupted sends due again; "
        "1 uncertain, see `tradewatch deliveries`"
    )


def test_quiet_alerts_have_no_recovery_or_uncertain_clause() -> None:
    line = AlertReport(enabled=True, changes=1, sent=1).describe()
    assert line == "alerts: 1 sent, 0 failed (1 qualifying change)"


def test_monitor_output_ends_with_the_alert_line(capsys: pytest.CaptureFixture[str]) -> None:
    _print_monitor(_summary(AlertReport(enabled=True, changes=1, uncertain=1)))
    last = capsys.readouterr().out.splitlines()[-1]
    assert last == (
        "alerts: 0 sent, 0 failed (1 qualifying change); 1 uncertain, see `tradewatch deliveries`"
    )


def test_monitor_output_has_no_alert_line_when_alerts_are_off(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _print_monitor(_summary(AlertReport(enabled=False)))
    assert "alerts" not in capsys.readouterr().out
