"""``tradewatch sources check``: fetch each configured source once and report what was found."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from tradewatch.settings import Settings


def cmd_sources_check(args: argparse.Namespace, settings: Settings) -> int:
    """Print one row per source (or JSON); exit 1 when any source has a problem."""
    from storage.db import get_engine, upgrade
    from tradewatch.cli import EXIT_FAILURE, EXIT_OK
    from tradewatch.pipeline import make_fetcher
    from tradewatch.sources_check import check_sources, format_table
    from tradewatch.sources_config import load_sources
    from tradewatch.usage import UsageError

    config = load_sources(Path(args.sources) if args.sources else settings.sources_file)
    try:
        sources = config.enabled(args.source)
    except ValueError as exc:
        raise UsageError(f"--source: {exc}") from None
    url = settings.resolved_database_url
    upgrade(url)  # the robots.txt cache lives in the database
    engine = get_engine(url)
    fetcher = make_fetcher(settings, engine)
    try:
        checks = check_sources(fetcher, sources, workers=settings.max_concurrent_requests)
    finally:
        fetcher.close()
        engine.dispose()
    if args.json:
        print(json.dumps([c.to_json() for c in checks], indent=2))
    else:
        print(format_table(checks))
    return EXIT_OK if all(c.ok for c in checks) else EXIT_FAILURE


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sources check``."""
    text = "check the configured sources: reachable, robots.txt, items found, newest item"
    p = sub.add_parser("sources", help="inspect the configured sources", description=text)
    actions = p.add_subparsers(dest="sources_command", required=True, metavar="ACTION")
    check = actions.add_parser("check", help=text, description=text)
    check.add_argument(
        "--sources",
        metavar="FILE",
        help="sources file (default $TRADEWATCH_SOURCES_FILE or config/sources.yaml)",
    )
    check.add_argument(
        "--source", action="append", metavar="NAME", help="only this source (repeatable)"
    )
    check.add_argument("--json", action="store_true", help="machine-readable output")
    check.set_defaults(func=cmd_sources_check)
