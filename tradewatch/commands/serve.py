"""``tradewatch serve``: run the scheduled deployments on this machine (no worker needed)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from tradewatch.cli import EXIT_OK
from tradewatch.settings import Settings
from tradewatch.usage import UsageError


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    from tradewatch.serve import PREFECT_YAML, ServeError, load_specs, serve

    try:
        specs = load_specs(Path(args.deployments) if args.deployments else PREFECT_YAML)
    except ServeError as exc:
        raise UsageError(str(exc)) from None
    if args.only:
        unknown = sorted(set(args.only) - {s.name for s in specs})
        if unknown:
            known = ", ".join(s.name for s in specs)
            raise UsageError(f"--only: unknown deployment {', '.join(unknown)}; known: {known}")
        specs = [s for s in specs if s.name in args.only]
    if args.list:
        for spec in specs:
            when = "; ".join(f"{s.cron} ({s.timezone})" for s in spec.schedules) or "on demand"
            print(f"{spec.name}: {spec.entrypoint}, {when}")
        return EXIT_OK
    api_url = args.api_url or os.environ.get("PREFECT_API_URL")
    home = Path(args.prefect_home) if args.prefect_home else settings.data_dir / "prefect"
    print(
        f"serving {len(specs)} deployments "
        f"({'server ' + api_url if api_url else 'local Prefect server under ' + str(home)}); "
        "Ctrl-C stops",
        flush=True,
    )
    serve(specs, api_url=api_url, home=home.resolve())
    return EXIT_OK


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``tradewatch serve``."""
    text = "run the prefect.yaml deployments and their schedules on this machine"
    p = sub.add_parser("serve", help=text, description=text)
    p.set_defaults(func=cmd_serve)
    p.add_argument("--deployments", metavar="FILE", help="default: the project's prefect.yaml")
    p.add_argument("--only", action="append", metavar="NAME", help="serve only this deployment")
    p.add_argument("--list", action="store_true", help="print the deployments and exit")
    p.add_argument(
        "--api-url",
        metavar="URL",
        help="an existing Prefect server (default $PREFECT_API_URL; else a local one is started)",
    )
    p.add_argument(
        "--prefect-home",
        metavar="DIR",
        help="the local server's home (default <TRADEWATCH_DATA_DIR>/prefect)",
    )
