"""``tradewatch watch``: keep the pipeline open and check sources as they fall due."""

from __future__ import annotations

import argparse
import logging
import sys
import threading
from pathlib import Path

from tradewatch.cli import EXIT_FAILURE, EXIT_OK, _add_config_args
from tradewatch.settings import Settings
from tradewatch.usage import UsageError


def _seconds(value: str) -> float:
    try:
        seconds = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, not {value!r}") from None
    if not seconds > 0:
        raise argparse.ArgumentTypeError(f"expected more than 0 seconds, not {value!r}")
    return seconds


def _count(value: str) -> int:
    try:
        count = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, not {value!r}") from None
    if count < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, not {value!r}")
    return count


def cmd_watch(args: argparse.Namespace, settings: Settings) -> int:
    from storage.watch_lock import WatcherAlreadyRunning

    try:
        return _watch(args, settings)
    except WatcherAlreadyRunning as exc:  # at the start, or its lock lost and taken by another
        print(f"tradewatch: {exc}", file=sys.stderr, flush=True)
        return EXIT_FAILURE


def _watch(args: argparse.Namespace, settings: Settings) -> int:
    from notify.channels import ChannelConfigError
    from tradewatch.watch import PassResult, Watcher, stop_on_signals, watch

    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    logging.getLogger("tradewatch.watch").setLevel(logging.INFO)
    for chatty in ("httpx", "alembic"):  # a line per request, per migration step
        logging.getLogger(chatty).setLevel(logging.WARNING)

    def on_pass(result: PassResult) -> None:
        # A pass with nothing due prints nothing: a quiet minute is not news.
        if result.checked or args.verbose:
            print(result.describe(), flush=True)
            for report in result.summary["reports"]:
                if report.get("error"):
                    print(f"  {report['source']}: {report['error_kind']}: {report['error']}")
            if result.summary.get("alerts_line"):
                print(f"  {result.summary['alerts_line']}", flush=True)

    try:
        watcher = Watcher(
            settings,
            sources_file=Path(args.sources) if args.sources else None,
            baseline_file=Path(args.baseline) if args.baseline else None,
            only=args.source,
        )
    except ValueError as exc:  # an unknown --source
        raise UsageError(f"--source: {exc}") from None
    if settings.alert_min_confidence is not None and settings.notify_urls:
        from tradewatch.outbox import channels_by_key

        try:  # a bad channel parameter is found now, not after the first departure
            channels_by_key(settings.notify_urls)
        except ChannelConfigError as exc:
            watcher.close()
            raise UsageError(f"TRADEWATCH_NOTIFY_URLS: {exc}") from None
    stop = threading.Event()
    with watcher, stop_on_signals(stop):
        sources = watcher.sources.value.enabled(args.source)
        print(
            f"watching {len(sources)} sources of {watcher.sources.path} against baseline "
            f"{watcher.ctx.baseline.version}; looking for sources due every {args.every:g} s; "
            "Ctrl-C stops",
            flush=True,
        )
        done = watch(watcher, every=args.every, stop=stop, passes=args.passes, on_pass=on_pass)
    print(f"watch: stopped after {done} passes", flush=True)
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tradewatch watch``."""
    text = (
        "stay running: check each source whenever its fetch_every comes round, with the "
        "pipeline kept open between checks (no process start per check)"
    )
    p = sub.add_parser("watch", help=text, description=text)
    p.set_defaults(func=cmd_watch)
    _add_config_args(p)
    p.add_argument(
        "--every",
        type=_seconds,
        default=60.0,
        metavar="SECONDS",
        help="how often to look for sources that are due (default 60)",
    )
    p.add_argument(
        "--passes",
        type=_count,
        metavar="N",
        help="stop after N passes (default: run until stopped)",
    )
    p.add_argument(
        "--verbose", action="store_true", help="print every pass, and the pipeline's own log"
    )
