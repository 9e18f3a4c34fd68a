"""``tradewatch web``: serve the review site (see ``tradewatch.web.app``)."""

from __future__ import annotations

import argparse

from tradewatch.settings import Settings


def cmd_web(args: argparse.Namespace, settings: Settings) -> int:
    from pathlib import Path

    import uvicorn

    from classify.baseline import load_baseline
    from storage.db import get_engine, upgrade
    from tradewatch.usage import UsageError, stored_database_url
    from tradewatch.web import create_app, is_loopback

    token = settings.web_token.get_secret_value() if settings.web_token else None
    if not is_loopback(args.host) and not token:
        raise UsageError(
            f"--host {args.host} is reachable beyond this machine: set TRADEWATCH_WEB_TOKEN "
            "(16+ characters) or bind to 127.0.0.1"
        )
    baseline = Path(args.baseline) if args.baseline else settings.baseline_file
    load_baseline(baseline)  # fail now, with the file named, not on the first page view
    url = stored_database_url(settings)  # an empty site would hide a mistyped path
    upgrade(url)
    engine = get_engine(url)
    app = create_app(engine=engine, baseline_path=baseline, token=token)
    print(f"tradewatch web on http://{args.host}:{args.port}/ (Ctrl-C to stop)")
    try:
        uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    finally:
        engine.dispose()
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``web``."""
    text = "serve the review site: digests, open policy changes, articles, source health"
    p = sub.add_parser("web", help=text, description=text)
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8765, help="port (default 8765)")
    p.add_argument("--baseline", metavar="FILE", help="baseline file accepted changes rewrite")
    p.set_defaults(func=cmd_web)
