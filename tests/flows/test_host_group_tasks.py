"""The monitor flow runs one task per host group, against the loopback sample site.

Two groups: ``broken-feed`` then ``sample-desk`` on 127.0.0.1, and ``dead-source`` alone on
``localhost`` (the same server under another host name, hence another host limit). The
failing or crashing source comes first in its group, so the good one after it shows that the
group goes on. Retries are cut to keep the tests quick: only their count matters here.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
import yaml

from flows.tasks import check_sources_task
from storage.watch_lock import watch_lock
from tradewatch.pipeline import SourceReport
from tradewatch.sitehost import SampleSite

pytestmark = pytest.mark.prefect

GOOD_FEED = "/feed.xml"


@pytest.fixture
def sources_file(tmp_path: Path, site: SampleSite, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TRADEWATCH_DATABASE_URL", f"sqlite:///{tmp_path / 'tw.db'}")
    monkeypatch.setenv("TRADEWATCH_DIGEST_DIR", str(tmp_path / "digests"))
    monkeypatch.setenv("TRADEWATCH_NOTIFY_URLS", "")
    sources = [
        {"name": "broken-feed", "kind": "feed", "url": site.url("broken.xml"), "parser": "generic"},
        {
            "name": "sample-desk",
            "kind": "feed",
            "url": site.url(GOOD_FEED),
            "parser": "dailynk",
            "outlet": "Sample North Korea Desk",
        },
        {
            "name": "dead-source",
            "kind": "feed",
            "url": site.url("gone/feed.xml").replace("127.0.0.1", "localhost"),
            "parser": "generic",
        },
    ]
    path = tmp_path / "sources.yaml"
    path.write_text(yaml.safe_dump({"sources": sources}), encoding="utf-8")
    return path


GROUPS = 2  # check tasks per monitor run over ``sources_file``


def run_monitor(sources_file: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """The monitor's summary and its check task runs by name, once the server has recorded
    each in a final state (it records task runs from their events, a moment after the run:
    polled, with a deadline, rather than read once)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    from flows.monitor import monitor

    state = monitor(sources_file=str(sources_file), return_state=True)
    summary: dict[str, Any] = state.result()
    flow_run_id = state.state_details.flow_run_id
    assert isinstance(flow_run_id, UUID)
    deadline = time.monotonic() + 30
    with get_client(sync_client=True) as client:
        while True:
            runs = client.read_task_runs(
                flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
            )
            checks = {r.name: r for r in runs if r.task_key.startswith(check_sources_task.task_key)}
            recorded = all(r.state is not None and r.state.is_final() for r in checks.values())
            if (len(checks) >= GROUPS and recorded) or time.monotonic() > deadline:
                return summary, checks
            time.sleep(0.1)


def by_source(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {report["source"]: report for report in summary["reports"]}


def patch_check_source(monkeypatch: pytest.MonkeyPatch, crash: set[str]) -> dict[str, int]:
    """Make ``check_source`` raise for the ``crash`` sources; count every call by source."""
    import tradewatch.monitor_pass
    from tradewatch.pipeline import check_source as real

    calls: dict[str, int] = {}

    def check_source(ctx: Any, source: Any, **kwargs: Any) -> SourceReport:
        calls[source.name] = calls.get(source.name, 0) + 1
        if source.name in crash:
            raise RuntimeError(f"bug hit by {source.name}")
        return real(ctx, source, **kwargs)

    monkeypatch.setattr(tradewatch.monitor_pass, "check_source", check_source)
    return calls


def test_one_task_per_host_group_and_a_failing_source_does_not_stop_its_group(
    prefect_harness: None, sources_file: Path, site: SampleSite
) -> None:
    summary, checks = run_monitor(sources_file)

    assert sorted(checks) == ["check 127.0.0.1: 2 sources", "check dead-source (localhost)"]
    # Each group has a recorded failure: the task shows failed and was not retried.
    assert all(run.state is not None and run.state.is_failed() for run in checks.values())
    assert all(run.run_count == 1 for run in checks.values())
    # The good source after the broken one in its group was read in full.
    assert summary["sources"] == 3
    assert summary["new_articles"] == 3
    assert summary["failed_sources"] == ["broken-feed", "dead-source"]
    reports = by_source(summary)
    assert reports["sample-desk"]["outcome"] == "new"
    assert reports["broken-feed"]["error_kind"] and reports["broken-feed"]["error_kind"] != "crash"
    assert "404" in (reports["dead-source"]["error"] or "")
    assert [r["source"] for r in summary["reports"]] == [
        "broken-feed",
        "sample-desk",
        "dead-source",
    ]
    assert site.paths_requested().count(GOOD_FEED) == 1


def test_a_crashing_source_is_retried_alone_and_its_group_goes_on(
    prefect_harness: None,
    sources_file: Path,
    site: SampleSite,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(
        "flows.monitor.check_sources_task",
        check_sources_task.with_options(retries=1, retry_delay_seconds=0),
    )
    calls = patch_check_source(monkeypatch, crash={"broken-feed"})

    summary, checks = run_monitor(sources_file)

    # The group's task was retried for the crash, and the retry read only the crashed source.
    group = checks["check 127.0.0.1: 2 sources"]
    assert group.run_count == 2 and group.state is not None and group.state.is_failed()
    assert calls == {"broken-feed": 2, "sample-desk": 1, "dead-source": 1}
    assert site.paths_requested().count(GOOD_FEED) == 1
    # Every source is reported: the crash, and what the first attempt did for the others.
    reports = by_source(summary)
    assert reports["broken-feed"]["error_kind"] == "crash"
    assert "bug hit by broken-feed" in reports["broken-feed"]["error"]
    assert reports["sample-desk"]["new"] == 3
    assert summary["failed_sources"] == ["broken-feed", "dead-source"]


def test_a_task_that_breaks_gives_every_source_of_its_group_a_crash_report(
    prefect_harness: None, sources_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import flows.tasks

    monkeypatch.setattr(
        "flows.monitor.check_sources_task", check_sources_task.with_options(retries=0)
    )

    def broken_pipeline(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(flows.tasks, "open_pipeline", broken_pipeline)

    summary, checks = run_monitor(sources_file)

    assert len(checks) == 2
    assert all(run.state is not None and run.state.is_failed() for run in checks.values())
    assert summary["sources"] == 3
    assert summary["failed_sources"] == ["broken-feed", "dead-source", "sample-desk"]
    for report in summary["reports"]:
        assert report["error_kind"] == "crash"
        assert "database unreachable" in report["error"]


def test_a_monitor_run_checks_nothing_while_a_watcher_runs_on_the_database(
    sources_file: Path, site: SampleSite, tmp_path: Path
) -> None:
    from flows.monitor import monitor

    site.clear_requests()
    with watch_lock(f"sqlite:///{tmp_path / 'tw.db'}"):  # as `tradewatch watch` holds it
        summary = monitor(sources_file=str(sources_file))

    assert summary["sources"] == 0 and summary["reports"] == []
    assert f"`tradewatch watch` (process {os.getpid()}) is monitoring" in summary["skipped"]
    assert site.paths_requested() == []
    after = monitor(sources_file=str(sources_file))  # the watcher has stopped
    assert after["sources"] == 3 and "skipped" not in after
    assert site.paths_requested()
