"""``tradewatch reclassify [--since DATE] [--json]``: replay the classifier over stored articles."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, date, datetime
from pathlib import Path

from tradewatch.settings import Settings


def _since(value: str | None) -> datetime | None:
    from tradewatch.usage import UsageError

    if value is None:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError as exc:
        raise UsageError(f"--since: expected a date like 2025-01-31, got {value!r}") from exc
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def cmd_reclassify(args: argparse.Namespace, settings: Settings) -> int:
    """Re-assess stored articles and print what changed (old -> new) with totals."""
    from tradewatch.reclassify import reclassify
    from tradewatch.usage import stored_database_url

    since = _since(args.since)
    stored_database_url(settings)  # replaying over a database never written creates none
    baseline_file = Path(args.baseline) if args.baseline else None
    report = reclassify(settings, since=since, baseline_file=baseline_file)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        return 0
    for c in report.changes:
        print(
            f"article {c.article_id}: {c.old_relation}/{c.old_direction} -> "
            f"{c.new_relation}/{c.new_direction}  {c.title}  ({c.url})"
        )
    print(
        f"reclassified with baseline {report.baseline_version}, classifier "
        f"{report.classifier_version}: {report.articles} article(s), {report.assessed} new "
        f"assessment(s), {report.already} already assessed, {report.first_time} first-time, "
        f"{len(report.changes)} changed, {report.policy_changes} policy change update(s) "
        "(no alerts)"
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``reclassify``."""
    text = "re-run the current baseline and classifier over stored articles"
    p = sub.add_parser("reclassify", help=text, description=text)
    p.add_argument("--since", help="only articles first seen on or after this date (UTC)")
    p.add_argument("--baseline", help="baseline YAML (default: the configured one)")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.set_defaults(func=cmd_reclassify)
