"""Recognisable secrets (SMTP password, webhook tokens, database password) never appear in
logs, stderr, digests, stored rows, exception messages or ``tradewatch status`` output."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from tests.notify.servers import free_port, webhook_receiver
from tests.reliability.multisite import desk_a
from tradewatch.digest import build_content, publish
from tradewatch.pipeline import check_source, open_pipeline
from tradewatch.settings import Settings
from tradewatch.sitehost import SampleSite

SECRETS = (
    "WEBHOOK-SECRET-5d1",
    "TOKEN-PATH-8a2c",
    "SMTP-SECRET-3f9",
    "FAILHOOK-SECRET-77",
    "FAILTOKEN-99x",
    "DB-SECRET-41q",
)


@pytest.fixture
def secret_db_url(postgres_url: str) -> Iterator[str]:
    """The session's PostgreSQL database, reached with a password (trust auth ignores it)."""
    url = make_url(postgres_url).set(password="DB-SECRET-41q")
    yield url.render_as_string(hide_password=False)
    from storage.db import get_engine

    engine = get_engine(postgres_url)
    with engine.begin() as conn:
        names = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


def assert_no_secret(where: str, haystack: str) -> None:
    leaked = [s for s in SECRETS if s.lower() in haystack.lower()]
    assert not leaked, f"{where} shows {leaked}"


def run_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tradewatch.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=120,
        check=False,
    )


@pytest.mark.postgres
@pytest.mark.parametrize(
    "level",
    [
        logging.INFO,
        logging.DEBUG,
    ],
    ids=["info", "debug"],
)
def test_secrets_never_surface(
    level: int,
    secret_db_url: str,
    site: SampleSite,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    caplog.set_level(level)
    dead = free_port()
    with webhook_receiver() as (port, received):
        urls = [
            f"json://hookuser:WEBHOOK-SECRET-5d1@127.0.0.1:{port}/TOKEN-PATH-8a2c",
            f"mailtos://desk:SMTP-SECRET-3f9@127.0.0.1:{dead}?to=desk@example.org",
            f"json://u:FAILHOOK-SECRET-77@127.0.0.1:{dead}/FAILTOKEN-99x",
        ]
        settings = Settings(
            database_url=secret_db_url, data_dir=tmp_path, http_timeout=2, notify_urls=urls
        )
        with open_pipeline(settings) as ctx:
            report = check_source(ctx, desk_a(site))
            assert report.new == 3
            with Session(ctx.engine) as session:
                now = datetime.now(UTC)
                content = build_content(
                    session, baseline=ctx.baseline, start=now - timedelta(days=1), end=now
                )
                outcome = publish(
                    session,
                    content=content,
                    kind="scheduled",
                    directory=tmp_path / "digests",
                    urls=urls,
                )
                rows = [
                    repr(row)
                    for table in SQLModel.metadata.sorted_tables
                    for row in session.execute(table.select())
                ]
        payloads = [repr(received.get(timeout=10).payload)]
    assert (outcome.sent, outcome.failed) == (1, 2)  # the two dead channels failed

    env = {
        "TRADEWATCH_DATABASE_URL": secret_db_url,
        "TRADEWATCH_NOTIFY_URLS": " ".join(urls),
        "TRADEWATCH_DATA_DIR": str(tmp_path),
    }
    status = run_cli(env, "status")
    status_json = run_cli(env, "status", "--json")
    assert status.returncode == 0 and status_json.returncode == 0, status.stderr
    # An exception on the way in: a database that does not exist, reached with the password.
    wrong = make_url(secret_db_url).set(database="no_such_db_for_secrets")
    broken = run_cli(
        {**env, "TRADEWATCH_DATABASE_URL": wrong.render_as_string(hide_password=False)}, "status"
    )
    assert broken.returncode == 1 and "no_such_db_for_secrets" in broken.stderr

    captured = capsys.readouterr()
    assert_no_secret("logs", caplog.text)
    assert_no_secret("stdout/stderr", captured.out + captured.err)
    assert_no_secret("stored rows", "\n".join(rows))
    assert_no_secret("digest files", "".join(p.read_text() for p in outcome.paths))
    assert_no_secret("the delivered digest", "".join(payloads))
    for result in (status, status_json, broken):
        assert_no_secret(f"tradewatch {result.args[3:]}", result.stdout + result.stderr)
    assert "redacted" in caplog.text or "***" in caplog.text  # the failures were logged
