"""The reclassify flow: assess stored articles again, e.g. against a new baseline version."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger

from tradewatch.reclassify import reclassify as reclassify_articles
from tradewatch.settings import load_settings


@flow(name="reclassify", flow_run_name="reclassify since {since}")
def reclassify(since: datetime | None = None, baseline_file: str | None = None) -> dict[str, Any]:
    """Re-assess articles first seen since ``since`` (all when None) with the baseline in
    ``baseline_file`` (default: the configured one). Already assessed revisions are skipped."""
    settings = load_settings()
    result = reclassify_articles(
        settings,
        since=since,
        baseline_file=Path(baseline_file) if baseline_file else settings.baseline_file,
    )
    get_run_logger().info("reclassify since %s: %s", since or "the beginning", result)
    return dataclasses.asdict(result)
