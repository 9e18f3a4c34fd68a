"""The deployment path for real: a Prefect server on PostgreSQL, prefect.yaml, a process worker.

Starts ``prefect server start`` (its database a throwaway PostgreSQL database), creates the
``tradewatch`` work pool, runs ``prefect deploy --all`` from the project's prefect.yaml, starts
``prefect worker start --pool tradewatch``, runs the backfill and monitor deployments against the
loopback sample site, and checks the flow runs' final states and the rows they stored. Every
process it starts is stopped by its id (SIGTERM, a deadline, then SIGKILL).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from storage.db import get_engine
from storage.enums import BackfillStatus
from storage.models import Article, BackfillWindow, SourceState
from tests.db_fixtures import throwaway_postgres_database
from tests.sitefixtures import write_sources
from tradewatch.serve import prefect_server, stop_process
from tradewatch.settings import PROJECT_ROOT
from tradewatch.sitehost import SampleSite

pytestmark = pytest.mark.postgres

PREFECT = str(Path(sys.executable).with_name("prefect"))
RUN_DEADLINE = 90.0


@pytest.fixture
def prefect_database() -> Iterator[str]:
    """An asyncpg URL of a PostgreSQL database made for this test, dropped afterwards."""
    with throwaway_postgres_database("tradewatch_prefect") as url:
        yield (
            make_url(url).set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
        )


def prefect_cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [PREFECT, "--no-prompt", *args],
        env=env,
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, f"prefect {' '.join(args)}: {done.stdout}\n{done.stderr}"
    return done.stdout


def deployment_schedules(api_url: str, names: list[str]) -> dict[str, list[str]]:
    """Each deployment's cron schedules (``flow/deployment`` names), read from the server."""
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    found = {}
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        for name in names:
            deployment = client.read_deployment_by_name(name)
            found[name] = [
                f"{s.schedule.cron} {s.schedule.timezone}"  # type: ignore[union-attr]
                for s in deployment.schedules
            ]
    return found


def run_and_wait(api_url: str, name: str, parameters: dict[str, Any]) -> Any:
    """Start a deployment run and poll it to a final state (with a deadline)."""
    from prefect.client.orchestration import get_client
    from prefect.deployments import run_deployment
    from prefect.settings import PREFECT_API_URL, temporary_settings

    with temporary_settings({PREFECT_API_URL: api_url}):
        run = run_deployment(name, parameters=parameters, timeout=0)
        deadline = time.monotonic() + RUN_DEADLINE
        with get_client(sync_client=True) as client:
            while time.monotonic() < deadline:
                current = client.read_flow_run(run.id)  # type: ignore[union-attr]
                if current.state is not None and current.state.is_final():
                    return current
                time.sleep(1)
    pytest.fail(f"{name} did not finish within {RUN_DEADLINE:.0f} s")


def test_deploy_and_run_through_a_process_worker(
    prefect_database: str, tmp_path: Path, site: SampleSite
) -> None:
    db_file = tmp_path / "tw.db"
    sources = write_sources(tmp_path / "sources.yaml", site)
    home = tmp_path / "prefect-home"
    with prefect_server(
        home=home, env={"PREFECT_API_DATABASE_CONNECTION_URL": prefect_database}, timeout=90
    ) as api_url:
        env = os.environ | {
            "PREFECT_API_URL": api_url,
            "PREFECT_HOME": str(home),
            "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
            # The worker's environment reaches every flow run: scheduled runs included.
            "TRADEWATCH_DATABASE_URL": f"sqlite:///{db_file}",
            "TRADEWATCH_SOURCES_FILE": str(sources),
            "TRADEWATCH_DIGEST_DIR": str(tmp_path / "digests"),
            "TRADEWATCH_NOTIFY_URLS": "",
        }
        prefect_cli(env, "work-pool", "create", "tradewatch", "--type", "process")
        # Exactly the README's command (fails with fastapi>=0.151: hence the pin).
        output = prefect_cli(env, "deploy", "--all")
        assert output.count("successfully created") == 4, output
        assert deployment_schedules(
            api_url,
            [
                "monitor/monitor-hourly",
                "digest/digest-daily",
                "backfill/backfill",
                "reclassify/reclassify",
            ],
        ) == {
            "monitor/monitor-hourly": ["0 * * * * Asia/Seoul"],
            "digest/digest-daily": ["0 8 * * * Asia/Seoul"],
            "backfill/backfill": [],
            "reclassify/reclassify": [],
        }
        with (home / "worker.log").open("wb") as log:
            worker = subprocess.Popen(
                [PREFECT, "worker", "start", "--pool", "tradewatch", "--type", "process"],
                env=env,
                cwd=PROJECT_ROOT,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            try:
                backfill = run_and_wait(
                    api_url,
                    "backfill/backfill",
                    {
                        "start": "2023-01-01",
                        "end": "2025-12-31",
                        "window_days": 366,
                        "sources": ["sample-desk"],
                        "sources_file": str(sources),
                    },
                )
                monitor = run_and_wait(
                    api_url, "monitor/monitor-hourly", {"force": True, "sources_file": str(sources)}
                )
            finally:
                stop_process(worker, timeout=15)
        worker_log = (home / "worker.log").read_text(errors="replace")
        assert backfill.state.is_completed(), worker_log[-3000:]
        assert monitor.state.is_completed(), worker_log[-3000:]
        assert worker.poll() is not None

    engine = get_engine(f"sqlite:///{db_file}")
    try:
        with Session(engine) as session:
            articles = session.exec(select(Article)).all()
            assert len(articles) == 3 and all(a.historical for a in articles)
            windows = session.exec(select(BackfillWindow)).all()
            assert [w.status for w in windows] == [BackfillStatus.DONE] * 3
            dead = session.get(SourceState, "dead-source")  # the monitor ran every source
            assert dead is not None and dead.consecutive_failures == 1
            desk = session.get(SourceState, "sample-desk")
            assert desk is not None and desk.last_success_at is not None
    finally:
        engine.dispose()
