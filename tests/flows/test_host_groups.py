"""Grouping sources by shared hosts, the limits a group holds, and its task run's name.

Plain functions: no Prefect server needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from flows.limits import FETCH_LIMIT, limit_names, wanted_limits
from flows.tasks import SourceFailed, SourcesCrashed, group_run_name
from tradewatch.configfile import ConfigError
from tradewatch.monitor_pass import host_groups
from tradewatch.pipeline import SourceOutcome, SourceReport, crash_report
from tradewatch.settings import Settings
from tradewatch.sources_config import ArchiveConfig, ArchiveKind, SourceConfig, SourceKind


def source(name: str, url: str, archive: str | None = None) -> SourceConfig:
    return SourceConfig(
        name=name,
        kind=SourceKind.FEED,
        url=url,
        parser="generic",
        archive=ArchiveConfig(kind=ArchiveKind.SITEMAP, url=archive) if archive else None,
    )


def names(groups: list[list[SourceConfig]]) -> list[list[str]]:
    return [[s.name for s in group] for group in groups]


A_FEED = source("a-feed", "https://a.example/feed.xml")
B_FEED = source("b-feed", "https://b.example/feed.xml")
A_WORLD = source("a-world", "https://a.example/world/feed.xml")
C_FEED = source("c-feed", "https://c.example/feed.xml")
# Read from b.example, its archive on c.example: joins the two hosts' sources into one group.
B_BRIDGE = source("b-bridge", "https://b.example/rss", archive="https://c.example/sitemap.xml")


def test_sources_sharing_a_host_form_one_group_in_config_order() -> None:
    groups = host_groups([A_FEED, B_FEED, A_WORLD, C_FEED])
    assert names(groups) == [["a-feed", "a-world"], ["b-feed"], ["c-feed"]]


def test_a_source_with_two_hosts_bridges_their_groups() -> None:
    groups = host_groups([A_FEED, B_FEED, C_FEED, A_WORLD, B_BRIDGE])
    assert names(groups) == [["a-feed", "a-world"], ["b-feed", "c-feed", "b-bridge"]]


def test_hosts_that_map_to_one_limit_are_one_host() -> None:
    # Both names become the limit tradewatch-host-a-example: they are serialised together.
    upper = source("upper", "https://A.Example/feed.xml")
    groups = host_groups([A_FEED, upper, B_FEED])
    assert names(groups) == [["a-feed", "upper"], ["b-feed"]]


def test_more_slots_per_host_deal_a_group_into_that_many_tasks() -> None:
    sources = [source(f"s{i}", f"https://a.example/{i}.xml") for i in range(5)]
    assert names(host_groups(sources, per_host=2)) == [["s0", "s2", "s4"], ["s1", "s3"]]
    # Never an empty group, never more groups than sources.
    assert names(host_groups(sources[:1], per_host=3)) == [["s0"]]
    with pytest.raises(ValueError, match="per_host"):
        host_groups(sources, per_host=0)


def test_a_group_holds_one_fetch_slot_and_each_host_once() -> None:
    assert limit_names([A_FEED, A_WORLD]) == [FETCH_LIMIT, "tradewatch-host-a-example"]
    assert limit_names([B_FEED, C_FEED, B_BRIDGE]) == [
        FETCH_LIMIT,
        "tradewatch-host-b-example",
        "tradewatch-host-c-example",
    ]
    settings = Settings(fetch_concurrency=4, host_concurrency=1)
    assert wanted_limits(settings, [A_FEED, B_BRIDGE]) == {
        FETCH_LIMIT: 4,
        "tradewatch-host-a-example": 1,
        "tradewatch-host-b-example": 1,
        "tradewatch-host-c-example": 1,
    }


def test_task_run_names_say_which_host_and_sources() -> None:
    fifty = [source(f"o{i}", f"http://127.0.0.1:8000/o{i}/feed.xml") for i in range(50)]
    assert group_run_name({"sources": fifty}) == "check 127.0.0.1: 50 sources"
    assert group_run_name({"sources": [A_FEED]}) == "check a-feed (a.example)"
    assert group_run_name({"sources": [B_FEED, B_BRIDGE]}) == "check b.example +1 hosts: 2 sources"


def test_group_exceptions_carry_every_report_and_name_the_culprits() -> None:
    ok = SourceReport(source="a-feed")
    dead = SourceReport(
        source="b-feed", outcome=SourceOutcome.ERROR, error_kind="http", error="404"
    )
    failed = SourceFailed([ok, dead])
    assert failed.reports == [ok, dead]
    assert str(failed) == "b-feed: http: 404"
    crashed = SourcesCrashed([crash_report("a-feed", RuntimeError("boom")), dead])
    assert str(crashed) == "a-feed: RuntimeError('boom')"
    assert crashed.reports[0].error_kind == "crash"
    assert crashed.reports[0].outcome is SourceOutcome.ERROR


def test_a_group_takes_its_slots_only_once_its_pipeline_is_open(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The slots are for fetching. Asked for at the very start of the task run, the request
    # met Prefect's SQLite server while it recorded that start: a 503, then the client's
    # 2 s backoff, on most runs (BENCHMARKS.md). And a group whose baseline cannot be
    # loaded fails without taking them.
    import flows.tasks

    steps: list[str] = []

    @contextmanager
    def pipeline(*args: object, **kwargs: object) -> Iterator[object]:
        steps.append("pipeline opened")
        yield object()
        steps.append("pipeline closed")

    @contextmanager
    def slots(sources: list[SourceConfig]) -> Iterator[None]:
        steps.append("slots taken: " + ", ".join(s.name for s in sources))
        yield
        steps.append("slots given back")

    def check(ctx: object, source: SourceConfig, **kwargs: object) -> SourceReport:
        steps.append(f"checked {source.name}")
        return SourceReport(source=source.name)

    monkeypatch.setattr(flows.tasks, "fetch_slots", slots)
    monkeypatch.setattr("tradewatch.monitor_pass.check_source", check)
    with monkeypatch.context() as patched:
        patched.setattr(flows.tasks, "open_pipeline", pipeline)
        reports = flows.tasks.check_sources_task.fn(
            sources=[A_FEED, A_WORLD], baseline_file="baseline.yaml"
        )
    assert [r.source for r in reports] == ["a-feed", "a-world"]
    assert steps == [
        "pipeline opened",
        "slots taken: a-feed, a-world",
        "checked a-feed",
        "checked a-world",
        "slots given back",
        "pipeline closed",
    ]

    steps.clear()
    with pytest.raises(ConfigError):
        flows.tasks.check_sources_task.fn(
            sources=[A_FEED], baseline_file=str(tmp_path / "no-such-baseline.yaml")
        )
    assert steps == []
