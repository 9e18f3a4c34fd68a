"""The ``tradewatch`` command line.

Heavy imports (Prefect, the database layer) happen inside the commands that need them, so
``tradewatch classify`` and ``--help`` start fast. Exit codes: 0 success, 1 a run-time failure
(with a one-line reason), 2 bad input (arguments, configuration files, settings).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TextIO

from tradewatch import __version__
from tradewatch.configfile import ConfigError
from tradewatch.flows_here import flows_here, prefect_defaults
from tradewatch.settings import Settings, SettingsError, load_settings
from tradewatch.usage import UsageError, stored_session

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2

# Subcommands that live in their own modules (each has ``register(sub)``).
COMMAND_MODULES: tuple[str, ...] = (
    "tradewatch.commands.serve",
    "tradewatch.commands.review",
    "tradewatch.commands.deliveries",
    "tradewatch.commands.web",
    "tradewatch.commands.sources",
    "tradewatch.commands.reclassify",
    "tradewatch.commands.watch",
)


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date like 2024-01-31, not {value!r}"
        ) from None


def _when(value: str) -> datetime:
    """A date (midnight UTC) or an ISO datetime (UTC when no zone is given)."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date or datetime like 2024-01-31 or 2024-01-31T08:00, not {value!r}"
        ) from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _config_paths(args: argparse.Namespace, settings: Settings) -> tuple[Path, Path]:
    """Resolve --sources/--baseline and validate both files before anything runs."""
    from classify.baseline import load_baseline
    from tradewatch.sources_config import load_sources

    sources = Path(args.sources) if getattr(args, "sources", None) else settings.sources_file
    baseline = Path(args.baseline) if getattr(args, "baseline", None) else settings.baseline_file
    config = load_sources(sources)
    load_baseline(baseline)
    only = getattr(args, "source", None)
    if only:
        try:
            config.enabled(only)
        except ValueError as exc:
            raise UsageError(f"--source: {exc}") from None
    return sources, baseline


def _print_monitor(summary: dict[str, Any]) -> None:
    if summary.get("skipped"):
        print(f"monitor: {summary['skipped']}")
        return
    failed = ", ".join(summary["failed_sources"]) or "none"
    print(
        f"monitor: {summary['sources']} sources, {summary['new_articles']} new articles, "
        f"{summary['changed_articles']} revised, {summary['departures']} departures; "
        f"failed sources: {failed}"
    )
    for report in summary["reports"]:
        if report.get("error"):
            print(f"  {report['source']}: {report['error_kind']}: {report['error']}")
    if summary.get("alerts_line"):
        print(summary["alerts_line"])


def _print_digest(result: dict[str, Any]) -> None:
    print(
        f"digest: {result['departures']} departures, {result['confirmations']} confirmations; "
        f"delivered {result['sent']}, failed {result['failed']}"
    )
    print(f"digest written to {result['paths'][0]}")


def cmd_run(args: argparse.Namespace, settings: Settings) -> int:
    sources, baseline = _config_paths(args, settings)
    with flows_here():
        from flows.digest import digest
        from flows.monitor import monitor

        summary = monitor(
            sources=args.source, sources_file=str(sources), baseline_file=str(baseline), force=True
        )
        _print_monitor(summary)
        _print_digest(digest(baseline_file=str(baseline)))
    return EXIT_OK


def cmd_monitor(args: argparse.Namespace, settings: Settings) -> int:
    sources, baseline = _config_paths(args, settings)
    with flows_here():
        from flows.monitor import monitor

        summary = monitor(
            sources=args.source,
            sources_file=str(sources),
            baseline_file=str(baseline),
            force=not args.respect_cadence,
        )
    _print_monitor(summary)
    return EXIT_OK


def cmd_digest(args: argparse.Namespace, settings: Settings) -> int:
    _, baseline = _config_paths(args, settings)
    if args.since and args.until and args.until <= args.since:
        raise UsageError("--until must be later than --since")
    retrospective = args.since is not None
    with flows_here():
        from flows.digest import digest

        result = digest(
            since=args.since,
            until=args.until,
            kind="retrospective" if retrospective else "scheduled",
            baseline_file=str(baseline),
            include_historical=retrospective,
            deliver=not args.no_deliver,
        )
    _print_digest(result)
    return EXIT_OK


def cmd_backfill(args: argparse.Namespace, settings: Settings) -> int:
    sources, baseline = _config_paths(args, settings)
    if args.until < args.since:
        raise UsageError("--until must not be before --since")
    if args.window_days < 1:
        raise UsageError("--window-days must be at least 1")
    prefect_defaults()
    from flows.backfill import backfill, split_windows
    from storage.db import upgrade
    from tradewatch.backfill_progress import progress_bar
    from tradewatch.sources_config import load_sources

    names = [s.name for s in load_sources(sources).enabled(args.source)]
    windows = split_windows(args.since, args.until, args.window_days)
    url = settings.resolved_database_url
    upgrade(url)  # the progress bar reads the backfill table from the first poll
    show = contextlib.nullcontext() if args.no_progress else progress_bar(url, names, windows)
    with show, flows_here():
        totals = backfill(
            start=args.since,
            end=args.until,
            sources=args.source,
            notify=args.notify,
            window_days=args.window_days,
            sources_file=str(sources),
            baseline_file=str(baseline),
            redo=args.redo,
        )
    print(
        f"backfill {args.since}..{args.until}: {totals['windows']} windows, "
        f"{totals['runs']} source-windows run, {totals['skipped_done']} already done; "
        f"{totals['new_articles']} new articles, {totals['departures']} departures; "
        f"failed sources: {', '.join(totals['failed_sources']) or 'none'}"
    )
    for failure in totals["failed_windows"]:
        print(f"  {failure}")
    if totals["failed_windows"]:
        print("  (run the same backfill again to retry what failed)")
    if "digest" in totals:
        _print_digest(totals["digest"])
    return EXIT_OK


def cmd_db_upgrade(args: argparse.Namespace, settings: Settings) -> int:
    from storage.db import current_revision, upgrade

    url = settings.resolved_database_url
    upgrade(url)
    print(f"database at revision {current_revision(url)}")
    return EXIT_OK


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from storage.queries import status_report

    with stored_session(settings) as session:
        report = status_report(session=session)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return EXIT_OK
    counts = report["counts"]
    for key, value in counts.items():
        print(f"{key}: {value}")
    print("sources:")
    for name, info in sorted(report["sources"].items()):
        health = "healthy" if info["healthy"] else "UNHEALTHY"
        line = f"  {name}: {health}, last success {info['last_success_at'] or 'never'}"
        if info["consecutive_failures"]:
            line += f", {info['consecutive_failures']} failures ({info['last_error_kind']})"
        if info["dropped_pages"]:
            reasons = ", ".join(f"{n} {why}" for why, n in info["dropped_pages"].items())
            line += f"; pages dropped, not stored: {reasons}"
        print(line)
    print("false-alert rate (dismissed of reviewed departures):")
    for dimension, review in report["review"].items():
        rate = review["false_alert_rate"]
        shown = "n/a (nothing reviewed)" if rate is None else f"{100 * rate:.0f}%"
        counts_text = f"{review['accepted']} accepted, {review['dismissed']} dismissed"
        print(f"  {dimension}: {shown}, {counts_text}")
    if report["uncertain_deliveries"]:
        print("UNCERTAIN (sender stopped mid-send; `tradewatch deliveries retry|confirm ID`):")
        for u in report["uncertain_deliveries"]:
            print(f"  {u['kind']} {u['id']} to {u['channel']} since {u['since']}")
    return EXIT_OK


def cmd_classify(args: argparse.Namespace, settings: Settings) -> int:
    from classify.baseline import load_baseline
    from classify.rules import RuleClassifier
    from tradewatch.items_io import parse_input_line

    classifier = RuleClassifier(load_baseline(Path(args.baseline or settings.baseline_file)))
    bad = 0
    for lineno, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = parse_input_line(line)
        except ValueError as exc:
            print(f"stdin line {lineno}: {exc}", file=sys.stderr)
            bad += 1
            continue
        verdict = classifier.assess(item)
        out = {
            "id": item.id,
            "relevant": verdict.relevant,
            "direction": str(verdict.direction),
            "relation": str(verdict.relation),
            "dimensions": verdict.dimensions,
            "evidence": verdict.evidence,
            "confidence": round(verdict.confidence, 3),
            "signals": [
                {
                    "dimension": s.dimension,
                    "direction": str(s.direction),
                    "relation": str(s.relation),
                    "cues": sorted({c for e in s.evidence for c in e.cues}),
                }
                for s in verdict.signals
            ],
            "baseline_version": verdict.baseline_version,
            "classifier_version": verdict.classifier_version,
        }
        print(json.dumps(out, ensure_ascii=False), flush=True)
    if bad:
        print(f"{bad} input line(s) skipped", file=sys.stderr)
        return EXIT_BAD_INPUT
    return EXIT_OK


def cmd_eval(args: argparse.Namespace, settings: Settings) -> int:
    from classify.baseline import load_baseline
    from classify.evaluate import evaluate, format_report, read_jsonl, report_to_json
    from classify.rules import RuleClassifier

    try:
        items = read_jsonl(Path(args.corpus))
    except (OSError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    classifier = RuleClassifier(load_baseline(Path(args.baseline or settings.baseline_file)))
    report = evaluate(items, classifier)
    if args.json:
        print(json.dumps(report_to_json(report), indent=2))
    else:
        print(format_report(report))
    return EXIT_OK


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from storage.queries import export_rows
    from tradewatch.export import write_csv, write_jsonl

    since = datetime.combine(args.since, datetime.min.time(), tzinfo=UTC) if args.since else None
    with contextlib.ExitStack() as stack:
        # The database first: a missing one must not leave an empty output file behind.
        session = stack.enter_context(stored_session(settings))
        out: TextIO = (
            stack.enter_context(Path(args.output).open("w", encoding="utf-8", newline=""))
            if args.output
            else sys.stdout
        )
        rows = export_rows(session=session, since=since)
        count = (write_csv if args.format == "csv" else write_jsonl)(rows, out)
    print(f"exported {count} articles", file=sys.stderr)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    with flows_here():
        from tradewatch.demo import run_demo

        path = run_demo(workdir=Path(args.workdir) if args.workdir else None)
    print(f"digest written to {path}")
    return EXIT_OK


def _add_config_args(parser: argparse.ArgumentParser, *, sources: bool = True) -> None:
    if sources:
        parser.add_argument(
            "--sources",
            metavar="FILE",
            help="sources file (default $TRADEWATCH_SOURCES_FILE or config/sources.yaml)",
        )
        parser.add_argument(
            "--source", action="append", metavar="NAME", help="only this source (repeatable)"
        )
    parser.add_argument(
        "--baseline",
        metavar="FILE",
        help="baseline file (default $TRADEWATCH_BASELINE_FILE or config/baseline/dprk-trade.yaml)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tradewatch",
        description="Monitor DPRK foreign-trade policy reporting against a cited baseline.",
    )
    parser.add_argument("--version", action="version", version=f"tradewatch {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(
        name: str, func: Callable[[argparse.Namespace, Settings], int], help: str
    ) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help, description=help)
        p.set_defaults(func=func)
        return p

    p = add("run", cmd_run, "one monitor pass over all sources, then the digest")
    _add_config_args(p)
    p = add("monitor", cmd_monitor, "one monitor pass: fetch, parse, store, classify")
    _add_config_args(p)
    p.add_argument(
        "--respect-cadence",
        action="store_true",
        help="skip sources fetched more recently than their fetch_every",
    )
    p = add("digest", cmd_digest, "compose, write and deliver the digest of a window")
    _add_config_args(p, sources=False)
    p.add_argument("--since", type=_when, help="window start (default: end of the last digest)")
    p.add_argument("--until", type=_when, help="window end (default: now)")
    p.add_argument("--no-deliver", action="store_true", help="write files only; send nothing")
    p = add("backfill", cmd_backfill, "fetch and classify past articles over a date range")
    _add_config_args(p)
    p.add_argument("--since", type=_date, required=True, help="first day, e.g. 2024-01-01")
    p.add_argument("--until", type=_date, required=True, help="last day (inclusive)")
    p.add_argument("--notify", action="store_true", help="deliver a retrospective digest")
    p.add_argument("--window-days", type=int, default=31, help="days per backfill window")
    p.add_argument(
        "--redo", action="store_true", help="run windows an earlier backfill completed again"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")
    p = add("status", cmd_status, "counts, open policy changes, deliveries, source health")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add(
        "classify",
        cmd_classify,
        "classify JSON Lines from stdin (id, title, text, ...); one verdict per line out",
    )
    _add_config_args(p, sources=False)
    p = add("eval", cmd_eval, "measure the classifier on a labelled JSON Lines corpus")
    p.add_argument("corpus", help="JSON Lines with id, title, text and label")
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    _add_config_args(p, sources=False)
    p = add("export", cmd_export, "one row per article with its latest verdict")
    p.add_argument("--since", type=_date, help="only articles first seen on or after this day")
    p.add_argument("--format", choices=["jsonl", "csv"], default="jsonl")
    p.add_argument("--output", "-o", metavar="FILE", help="write here instead of stdout")
    p = add("demo", cmd_demo, "run the whole pipeline against a bundled sample site")
    p.add_argument("--workdir", metavar="DIR", help="keep the demo database and digest here")
    p = add("db", cmd_db_upgrade, "database schema management")
    db_sub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    up = db_sub.add_parser(
        "upgrade",
        help="apply migrations up to the latest revision",
        description="apply migrations up to the latest revision",
    )
    up.set_defaults(func=cmd_db_upgrade)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    settings: Settings | None = None
    try:
        settings = load_settings()
        return int(args.func(args, settings))
    except (ConfigError, SettingsError, UsageError) as exc:
        print(f"tradewatch: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("tradewatch: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"tradewatch: {type(exc).__name__}: {reason}", file=sys.stderr)
        if settings is not None and settings.debug:
            raise
        return EXIT_FAILURE


if __name__ == "__main__":
    raise SystemExit(main())
