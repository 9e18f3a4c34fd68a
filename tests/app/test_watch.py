"""The resident watcher: passes over due sources with the pipeline kept open, edits to the
configuration taken up between passes, failures that never end the watch."""

from __future__ import annotations

import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from sqlmodel import Session, select

from storage.models import BaselineVersion
from storage.watch_lock import LockHolder, WatcherAlreadyRunning, watch_lock, watcher_holding
from tests.app.test_cli import run_cli
from tests.sitefixtures import write_sources
from tradewatch.monitor_pass import check_groups_here
from tradewatch.pipeline import PipelineContext, SourceOutcome, SourceReport
from tradewatch.settings import DEFAULT_BASELINE_FILE, Settings
from tradewatch.sitehost import SampleSite
from tradewatch.sources_config import SourceConfig, SourceKind
from tradewatch.watch import (
    WORKERS_IDLE_CLOSE,
    PassResult,
    Watcher,
    stop_on_signals,
    watch,
)

START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def outcomes(result: PassResult) -> dict[str, str]:
    return {r["source"]: r["outcome"] for r in result.summary["reports"]}


@pytest.fixture
def baseline_file(tmp_path: Path) -> Path:
    return Path(shutil.copy(DEFAULT_BASELINE_FILE, tmp_path / "baseline.yaml"))


@pytest.fixture
def watcher(
    db_url: str, tmp_path: Path, site: SampleSite, baseline_file: Path
) -> Iterator[Watcher]:
    settings = Settings(
        database_url=db_url,
        data_dir=tmp_path,
        http_timeout=5,
        sources_file=write_sources(tmp_path / "sources.yaml", site),
        baseline_file=baseline_file,
    )
    with Watcher(settings) as running:
        yield running


def test_a_pass_checks_due_sources_and_a_failing_one_costs_only_itself(
    watcher: Watcher, site: SampleSite
) -> None:
    result = watcher.check(now=START)

    assert outcomes(result) == {
        "sample-desk": "new",
        "broken-feed": "error",
        "dead-source": "error",
    }
    assert result.summary["new_articles"] == 3 and result.summary["departures"] == 1
    assert result.summary["failed_sources"] == ["broken-feed", "dead-source"]
    assert result.checked == 3
    assert "3 of 3 sources due; 3 new articles" in result.describe()


def test_sources_are_checked_again_only_when_their_cadence_comes_round(
    watcher: Watcher, site: SampleSite
) -> None:
    watcher.check(now=START)
    site.clear_requests()

    soon = watcher.check(now=START + timedelta(minutes=10))

    assert set(outcomes(soon).values()) == {"not_due"}
    assert soon.checked == 0
    assert site.paths_requested() == []
    later = watcher.check(now=START + timedelta(hours=1))
    assert outcomes(later)["sample-desk"] == "not_modified"  # a conditional request: 304
    assert "/feed.xml" in site.paths_requested()


def test_an_edited_sources_file_is_taken_up_and_a_broken_edit_is_ignored(
    watcher: Watcher, site: SampleSite, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    sources_file = tmp_path / "sources.yaml"
    watcher.check(now=START)
    extra: dict[str, object] = {
        "name": "second-desk",
        "kind": "feed",
        "url": site.url("feed.xml"),
        "parser": "dailynk",
        "fetch_every": "10m",
    }
    write_sources(sources_file, site, extra=[extra])
    os.utime(sources_file, ns=(1, 1))  # a new stamp even within the file system's tick

    edited = watcher.check(now=START + timedelta(minutes=1))

    assert outcomes(edited)["second-desk"] == "unchanged"  # its pages are stored already
    sources_file.write_text("sources: [unclosed\n")
    with caplog.at_level(logging.ERROR, logger="tradewatch.watch"):
        broken = watcher.check(now=START + timedelta(minutes=12))
    assert "keeping the previous sources.yaml" in caplog.text
    assert str(sources_file) in caplog.text
    assert outcomes(broken)["second-desk"] == "not_modified"  # still watched, and due again
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="tradewatch.watch"):
        watcher.check(now=START + timedelta(minutes=13))
    assert caplog.text == ""  # the same broken file is reported once


def test_a_watched_source_dropped_from_the_file_is_reported_once_and_the_rest_go_on(
    db_url: str, tmp_path: Path, site: SampleSite, caplog: pytest.LogCaptureFixture
) -> None:
    sources_file = write_sources(tmp_path / "sources.yaml", site)
    settings = Settings(database_url=db_url, data_dir=tmp_path, sources_file=sources_file)
    with Watcher(settings, only=["sample-desk", "dead-source"]) as watching:
        watching.check(now=START)
        text = sources_file.read_text().replace("name: dead-source", "name: renamed-source")
        sources_file.write_text(text)
        os.utime(sources_file, ns=(1, 1))
        with caplog.at_level(logging.ERROR, logger="tradewatch.watch"):
            first = watching.check(now=START + timedelta(hours=1))
            second = watching.check(now=START + timedelta(hours=2))

    assert list(outcomes(first)) == ["sample-desk"] == list(outcomes(second))
    assert caplog.text.count("unknown source dead-source") == 1


def test_an_edited_baseline_is_recorded_and_used_by_the_next_pass(
    watcher: Watcher, baseline_file: Path
) -> None:
    watcher.check(now=START)
    text = baseline_file.read_text()
    shipped = watcher.ctx.baseline.version  # whatever the shipped baseline is at
    baseline_file.write_text(text.replace(f'version: "{shipped}"', 'version: "2099.1"'))
    os.utime(baseline_file, ns=(1, 1))

    watcher.check(now=START + timedelta(minutes=1))

    assert watcher.ctx.baseline.version == "2099.1"
    with Session(watcher.ctx.engine) as session:
        versions = set(session.exec(select(BaselineVersion.version)))
    assert {shipped, "2099.1"} <= versions
    baseline_file.write_text("version: [broken\n")
    watcher.check(now=START + timedelta(minutes=2))
    assert watcher.ctx.baseline.version == "2099.1"


def test_watch_runs_its_passes_and_a_failed_pass_does_not_end_it(
    watcher: Watcher, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    calls: list[int] = []
    real_check = watcher.check

    def flaky_check(*, now: datetime | None = None) -> PassResult:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real_check(now=START)

    monkeypatch.setattr(watcher, "check", flaky_check)
    seen: list[PassResult] = []
    with caplog.at_level(logging.ERROR, logger="tradewatch.watch"):
        done = watch(watcher, every=0.01, stop=threading.Event(), passes=3, on_pass=seen.append)

    assert done == 3 and len(calls) == 3
    assert len(seen) == 2
    assert "the pass failed" in caplog.text and "database went away" in caplog.text


def test_each_pass_stops_the_analysis_workers_left_without_work(
    watcher: Watcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[float] = []
    monkeypatch.setattr(
        "tradewatch.watch.close_idle_pools", lambda idle_for: asked.append(idle_for)
    )

    watcher.check(now=START)
    watcher.check(now=START + timedelta(minutes=1))

    assert asked == [WORKERS_IDLE_CLOSE, WORKERS_IDLE_CLOSE]


def test_setting_stop_ends_the_watch_after_the_pass_under_way(watcher: Watcher) -> None:
    stop = threading.Event()

    def stop_after_first(result: PassResult) -> None:
        stop.set()

    done = watch(watcher, every=3600, stop=stop, on_pass=stop_after_first)

    assert done == 1


def test_sigterm_sets_stop_and_the_old_handlers_come_back() -> None:
    before = signal.getsignal(signal.SIGTERM)
    stop = threading.Event()
    with stop_on_signals(stop):
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.wait(5)
    assert signal.getsignal(signal.SIGTERM) is before


def test_a_source_whose_check_raises_gets_a_crash_report_and_its_group_goes_on(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def check_source(ctx: object, source: SourceConfig, **kwargs: object) -> SourceReport:
        if source.name == "b":
            raise ValueError("bug on a rare page")
        return SourceReport(source=source.name)

    monkeypatch.setattr("tradewatch.monitor_pass.check_source", check_source)

    def make(name: str, host: str) -> SourceConfig:
        return SourceConfig(
            name=name, kind=SourceKind.FEED, url=f"https://{host}/feed.xml", parser="generic"
        )

    groups = [[make("a", "one.example"), make("b", "one.example")], [make("c", "two.example")]]
    ctx = PipelineContext.__new__(PipelineContext)  # never touched by the stand-in

    reports = check_groups_here(ctx, groups, threads=2)

    assert [r.source for r in reports] == ["a", "b", "c"]
    assert reports[1].error_kind == "crash" and "bug on a rare page" in str(reports[1].error)
    assert reports[1].outcome is SourceOutcome.ERROR


def test_a_second_watcher_on_the_database_is_refused_until_the_first_stops(
    watcher: Watcher, site: SampleSite
) -> None:
    with pytest.raises(WatcherAlreadyRunning, match="another `tradewatch watch` is already"):
        Watcher(watcher.settings)
    assert watcher.check(now=START).checked == 3  # the first one is undisturbed

    watcher.close()
    with Watcher(watcher.settings) as second:  # the lock went with the first
        assert second.check(now=START + timedelta(hours=2)).checked == 3


def _lock_holder(url: str) -> int | None:
    """The server process holding the watcher lock of ``url``'s database, if any."""
    holder = watcher_holding(url)
    assert holder is None or (holder.server and holder.pid is not None)
    return None if holder is None else holder.pid


def _kill_backend(url: str, pid: int) -> None:
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_postgresql_lock_lost_with_its_connection_is_taken_again_or_given_up(
    postgres_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    with watch_lock(postgres_url) as held:
        first = _lock_holder(postgres_url)
        assert first is not None
        _kill_backend(postgres_url, first)  # as a server restart would
        with caplog.at_level(logging.WARNING, logger="storage.watch_lock"):
            held.verify()
        second = _lock_holder(postgres_url)
        assert second is not None and second != first
        assert "was lost with its connection; taken again" in caplog.text

        _kill_backend(postgres_url, second)
        with (
            watch_lock(postgres_url),  # another watcher starts while it is lost
            pytest.raises(WatcherAlreadyRunning, match="already running"),
        ):
            held.verify()
    assert _lock_holder(postgres_url) is None  # both released on leaving


def test_watcher_holding_names_the_running_watcher_and_nobody_once_it_stops(
    watcher: Watcher, db_url: str
) -> None:
    holder = watcher_holding(db_url)

    if db_url.startswith("sqlite"):
        assert holder == LockHolder(os.getpid())
    else:
        assert holder is not None and holder.server and holder.pid is not None
    assert str(holder).startswith(("process ", "server process "))
    assert watcher.check(now=START).checked == 3  # looking took nothing from the watcher
    watcher.close()
    assert watcher_holding(db_url) is None
    with Watcher(watcher.settings):  # nor did it leave anything held
        assert watcher_holding(db_url) is not None


def test_watcher_holding_is_none_where_no_watcher_ever_ran(tmp_path: Path) -> None:
    assert watcher_holding(f"sqlite:///{tmp_path / 'never.db'}") is None
    assert watcher_holding("sqlite://") is None  # in memory: the process's own


def test_a_watcher_that_finds_another_holding_the_database_stops_watching(
    watcher: Watcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    def lost(*, now: datetime | None = None) -> PassResult:
        raise WatcherAlreadyRunning("another `tradewatch watch` is already running on x")

    monkeypatch.setattr(watcher, "check", lost)
    with pytest.raises(WatcherAlreadyRunning):
        watch(watcher, every=0.01, stop=threading.Event(), passes=3)


def test_cli_watch_exits_with_a_clear_error_while_another_process_watches(
    watcher: Watcher, db_url: str, tmp_path: Path
) -> None:
    env = {"TRADEWATCH_DATA_DIR": str(tmp_path / "var"), "TRADEWATCH_DATABASE_URL": db_url}

    done = run_cli("watch", "--sources", str(watcher.sources.path), "--passes", "1", env_extra=env)

    assert done.returncode == 1
    assert "another `tradewatch watch` is already running on" in done.stderr
    assert f"process {os.getpid()}" in done.stderr or "server process" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_watch_runs_its_passes_and_prints_what_each_found(
    site: SampleSite, tmp_path: Path
) -> None:
    sources = write_sources(tmp_path / "sources.yaml", site)
    env = {"TRADEWATCH_DATA_DIR": str(tmp_path / "var")}

    done = run_cli(
        "watch", "--sources", str(sources), "--every", "0.2", "--passes", "2", env_extra=env
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("watching 3 sources of ")
    assert "3 of 3 sources due; 3 new articles, 0 revised, 1 departures" in done.stdout
    assert "broken-feed: malformed" in done.stdout
    assert lines[-1] == "watch: stopped after 2 passes"
    passes = [line for line in lines if line.startswith("watch 2")]
    assert len(passes) == 1  # the quiet second pass prints nothing


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["--every", "0"], "expected more than 0 seconds"),
        (["--passes", "0"], "expected at least 1"),
        (["--source", "nope"], "--source: unknown source nope"),
    ],
)
def test_cli_watch_rejects_bad_arguments(
    args: list[str], reason: str, site: SampleSite, tmp_path: Path
) -> None:
    sources = write_sources(tmp_path / "sources.yaml", site)
    env = {"TRADEWATCH_DATA_DIR": str(tmp_path / "var")}

    done = run_cli("watch", "--sources", str(sources), *args, env_extra=env)

    assert done.returncode == 2
    assert reason in done.stderr


def test_cli_watch_names_the_file_of_a_broken_sources_file(tmp_path: Path) -> None:
    broken = tmp_path / "sources.yaml"
    broken.write_text(yaml.safe_dump({"sources": [{"name": "x"}]}))

    done = run_cli(
        "watch", "--sources", str(broken), env_extra={"TRADEWATCH_DATA_DIR": str(tmp_path)}
    )

    assert done.returncode == 2
    assert str(broken) in done.stderr


def test_cli_watch_stops_on_sigterm_after_the_pass_under_way(
    site: SampleSite, tmp_path: Path
) -> None:
    sources = write_sources(tmp_path / "sources.yaml", site)
    env = os.environ | {"TRADEWATCH_DATA_DIR": str(tmp_path / "var")}
    cmd = [sys.executable, "-m", "tradewatch.cli", "watch", "--sources", str(sources)]
    watching = subprocess.Popen(
        [*cmd, "--every", "3600"], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert watching.stdout is not None
        first = [watching.stdout.readline() for _ in range(2)]
        assert "3 of 3 sources due" in first[1]  # the first pass is done; now it waits
        watching.send_signal(signal.SIGTERM)
        rest = watching.communicate(timeout=30)[0]
    finally:
        watching.kill()
    assert watching.returncode == 0
    assert rest.rstrip().endswith("watch: stopped after 1 passes")
