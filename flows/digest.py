"""The digest flow: compose the window's digest, publish it as an artifact, deliver it."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE
from sqlmodel import Session

from classify.baseline import load_baseline
from storage.db import get_engine, upgrade
from tradewatch.digest import DigestOutcome, build_content, default_window, publish
from tradewatch.settings import load_settings

ARTIFACT_KEY = "tradewatch-digest"  # Prefect allows only lowercase letters, digits, dashes


@task(name="compose-and-deliver-digest", cache_policy=NO_CACHE)
def compose_digest_task(
    kind: str,
    since: datetime | None,
    until: datetime | None,
    baseline_file: str | None,
    include_historical: bool,
    deliver: bool,
) -> DigestOutcome:
    settings = load_settings()
    baseline = load_baseline(Path(baseline_file) if baseline_file else settings.baseline_file)
    url = settings.resolved_database_url
    upgrade(url)
    engine = get_engine(url)
    try:
        with Session(engine) as session:
            start, end = default_window(session, kind=kind, now=until)
            start = since or start
            content = build_content(
                session,
                baseline=baseline,
                start=start,
                end=end,
                include_historical=include_historical,
            )
            return publish(
                session,
                content=content,
                kind=kind,
                directory=settings.resolved_digest_dir,
                urls=settings.notify_urls,
                templates_dir=settings.templates_dir,
                deliver=deliver,
            )
    finally:
        engine.dispose()


@flow(name="digest", flow_run_name="digest {kind}")
def digest(
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str = "scheduled",
    baseline_file: str | None = None,
    include_historical: bool = False,
    deliver: bool = True,
) -> dict[str, Any]:
    """Digest of [since, until): by default since the previous digest of this kind, until now.

    A retrospective digest of a backfilled period uses ``kind="retrospective"`` with
    ``include_historical=True``.
    """
    logger = get_run_logger()
    outcome = compose_digest_task(
        kind=kind,
        since=since,
        until=until,
        baseline_file=baseline_file,
        include_historical=include_historical,
        deliver=deliver,
    )
    create_markdown_artifact(markdown=outcome.markdown, key=ARTIFACT_KEY, description=outcome.title)
    logger.info(
        "digest %s: %d departures; written to %s; delivered %d, failed %d",
        outcome.title,
        outcome.summary.departures,
        outcome.paths[0],
        outcome.sent,
        outcome.failed,
    )
    return {
        "digest_id": outcome.digest_id,
        "title": outcome.title,
        "paths": [str(p) for p in outcome.paths],
        "departures": outcome.summary.departures,
        "confirmations": outcome.summary.confirmations,
        "sent": outcome.sent,
        "failed": outcome.failed,
    }
