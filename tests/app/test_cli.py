"""The command line: help everywhere, one-line reasons and exit code 2 on bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tradewatch.cli import build_parser, main
from tradewatch.flows_here import prefect_defaults

COMMANDS = [
    "run",
    "monitor",
    "digest",
    "backfill",
    "status",
    "classify",
    "eval",
    "export",
    "demo",
    "db",
    "watch",
]


def run_cli(
    *args: str, stdin: str = "", env_extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ) | (env_extra or {})
    return subprocess.run(
        [sys.executable, "-m", "tradewatch.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        check=False,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "usage: tradewatch " + command in capsys.readouterr().out


def test_all_documented_commands_are_registered() -> None:
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert choices is not None and set(COMMANDS) <= set(choices)


def test_malformed_sources_file_exits_2_with_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "sources.yaml"
    bad.write_text(
        "sources:\n  - {name: x, kind: feed, url: 'https://a.example/f', parser: nope}\n"
    )
    result = run_cli(
        "monitor",
        "--sources",
        str(bad),
        env_extra={"TRADEWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'db'}"},
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f'tradewatch: {bad}: sources[0].parser: unknown parser "nope"')
    assert not (tmp_path / "db").exists()  # nothing ran


def test_malformed_baseline_exits_2(tmp_path: Path) -> None:
    bad = tmp_path / "baseline.yaml"
    bad.write_text("version: 1\nas_of: not-a-date\n")
    result = run_cli("classify", "--baseline", str(bad), stdin="")
    assert result.returncode == 2
    assert f"{bad}: as_of:" in result.stderr


def test_bad_date_argument_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as info:
        main(["backfill", "--since", "yesterday", "--until", "2024-01-01"])
    assert info.value.code == 2
    assert "expected a date like 2024-01-31" in capsys.readouterr().err


def test_backfill_range_must_be_ordered(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["backfill", "--since", "2024-02-01", "--until", "2024-01-01"])
    assert code == 2
    assert "--until must not be before --since" in capsys.readouterr().err


def test_classify_streams_verdicts_and_reports_bad_lines() -> None:
    items = [
        {
            "id": "a",
            "title": "Trading companies granted independent trade authority",
            "text": "North Korea has granted major trading companies the authority to conduct "
            "foreign trade independently, according to a new directive.",
        },
        {"id": "b", "title": "Pyongyang marathon", "text": "Runners took part in the race."},
    ]
    stdin = "\n".join(json.dumps(i) for i in items) + "\n{not json\n"
    result = run_cli("classify", stdin=stdin)
    assert result.returncode == 2  # one bad line
    assert "stdin line 3: invalid JSON" in result.stderr
    verdicts = [json.loads(line) for line in result.stdout.splitlines()]
    assert [v["id"] for v in verdicts] == ["a", "b"]
    first, second = verdicts
    assert first["relevant"] and first["direction"] == "loosening"
    assert first["relation"] == "departs" and "trade_authority" in first["dimensions"]
    assert any("independently" in sentence for sentence in first["evidence"])
    assert not second["relevant"] and second["relation"] == "unrelated"
    assert set(first) >= {
        "id",
        "relevant",
        "direction",
        "relation",
        "dimensions",
        "evidence",
        "confidence",
    }


def test_status_and_export_on_an_empty_database(tmp_path: Path) -> None:
    env = {"TRADEWATCH_DATABASE_URL": f"sqlite:///{tmp_path / 'tw.db'}"}
    assert run_cli("db", "upgrade", env_extra=env).returncode == 0
    status = run_cli("status", "--json", env_extra=env)
    assert status.returncode == 0, status.stderr
    report = json.loads(status.stdout)
    assert report["counts"]["articles"] == 0
    exported = run_cli("export", "--format", "csv", env_extra=env)
    assert exported.returncode == 0
    assert exported.stdout.splitlines()[0].startswith("url,outlet,title,published_at,text")


def test_eval_prints_summary_line(tmp_path: Path) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        json.dumps(
            {
                "id": "1",
                "title": "Pyongyang orders trading firms to return licences",
                "text": "North Korea's cabinet ordered trading companies to hand back their trade "
                "licences as the state recentralises foreign trade.",
                "label": "tightening",
            }
        )
        + "\n"
    )
    result = run_cli("eval", str(corpus))
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("relevance_f1=") and " direction_macro_f1=" in last


def test_eval_missing_corpus_exits_2(tmp_path: Path) -> None:
    result = run_cli("eval", str(tmp_path / "nope.jsonl"))
    assert result.returncode == 2
    assert result.stderr.startswith("tradewatch: ")


_START_TIMEOUT = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"


def test_runs_give_prefects_temporary_server_time_to_start() -> None:
    # Prefect's own 20 s was too short for a first run on a new, slow machine.
    probe = (
        "from tradewatch.flows_here import prefect_defaults; prefect_defaults()\n"
        "from prefect.settings import get_current_settings\n"
        "print(get_current_settings().server.ephemeral.startup_timeout_seconds)"
    )
    env = {k: v for k, v in os.environ.items() if k != _START_TIMEOUT}
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert int(done.stdout.split()[-1]) >= 120


def test_a_users_own_prefect_start_timeout_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(_START_TIMEOUT, "33")
    prefect_defaults()
    assert os.environ[_START_TIMEOUT] == "33"


def test_flows_called_here_send_no_heartbeats_only_without_a_prefect_server() -> None:
    # Without a server, a run's heartbeats go to a temporary server that dies with the
    # process, and winding them down cost up to a second per run. A server keeps them.
    probe = (
        "from tradewatch.flows_here import flows_here\n"
        "from prefect.settings import PREFECT_API_URL, get_current_settings, temporary_settings\n"
        "def beat(): return get_current_settings().flows.heartbeat_frequency\n"
        "with flows_here(): print('local', beat())\n"
        "with temporary_settings(updates={PREFECT_API_URL: 'http://127.0.0.1:9/api'}):\n"
        "    with flows_here(): print('server', beat())\n"
        "print('after', beat())\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("PREFECT_API_URL", "PREFECT_FLOWS_HEARTBEAT_FREQUENCY")
    }
    done = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, check=True
    )
    assert done.stdout.split("\n")[-4:] == ["local None", "server 180", "after 180", ""]


@pytest.mark.parametrize(
    "command", [("status",), ("export",), ("review",), ("deliveries",), ("reclassify",)]
)
def test_commands_over_stored_articles_refuse_a_database_that_does_not_exist(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    # A typo in the path must not read as "nothing happened": say so, create nothing.
    path = tmp_path / "typo" / "tw.db"
    done = run_cli(*command, env_extra={"TRADEWATCH_DATABASE_URL": f"sqlite:///{path}"})
    assert done.returncode == 2
    assert f"no database at {path}" in done.stderr
    assert "tradewatch run" in done.stderr
    assert not path.exists() and not path.parent.exists()


def test_status_says_which_pages_a_source_dropped(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from sqlmodel import Session

    from storage.db import get_engine, upgrade
    from storage.models import SourceState
    from storage.skipped import remember_skipped

    url = f"sqlite:///{tmp_path / 'tw.db'}"
    upgrade(url)
    engine = get_engine(url)
    with Session(engine) as session:
        session.add(SourceState(name="nknews"))
        for n in range(2):
            remember_skipped(
                session,
                url=f"https://www.nknews.org/pro/{n}/",
                source="nknews",
                reason="paywall",
                listed_title=None,
                listed_updated=None,
                now=datetime.now(UTC),
            )
        session.commit()
    engine.dispose()

    done = run_cli("status", env_extra={"TRADEWATCH_DATABASE_URL": url})

    assert done.returncode == 0, done.stderr
    (line,) = [line for line in done.stdout.splitlines() if "nknews:" in line]
    assert line.endswith("; pages dropped, not stored: 2 paywall")
