"""``tradewatch demo``: the whole pipeline against a bundled sample site on 127.0.0.1.

The sample site (``demo_site/``) is invented text modelled on the seed scenario: a 2023 report
consistent with recentralised trade, a 2025 report of trading companies granted independent
trade authority with ten-person delegations, and an item unrelated to trade. The demo runs the
real monitor and digest flows in a temporary database and returns the digest's path.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

from tradewatch.sitehost import serve_directory

DEMO_SITE = Path(__file__).resolve().parent / "demo_site"


@contextmanager
def _environment(**values: str) -> Iterator[None]:
    # Flow tasks read settings from the environment, exactly as they do on a worker; the
    # demo points them at its own database and digest folder, then restores what was there.
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def write_demo_sources(path: Path, feed_url: str) -> None:
    source = {
        "name": "sample-desk",
        "kind": "feed",
        "url": feed_url,
        "parser": "dailynk",
        "outlet": "Sample North Korea Desk",
    }
    path.write_text(yaml.safe_dump({"sources": [source]}, sort_keys=False), encoding="utf-8")


def run_demo(*, workdir: Path | None = None) -> Path:
    """Serve the sample site, run monitor and digest against it, return the Markdown path."""
    from flows.digest import digest
    from flows.monitor import monitor

    workdir = workdir or Path(tempfile.mkdtemp(prefix="tradewatch-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    with serve_directory(DEMO_SITE) as site:
        sources_file = workdir / "sources.yaml"
        write_demo_sources(sources_file, site.url("feed.xml"))
        with _environment(
            TRADEWATCH_DATABASE_URL=f"sqlite:///{(workdir / 'demo.db').as_posix()}",
            TRADEWATCH_DIGEST_DIR=str(workdir / "digests"),
            TRADEWATCH_NOTIFY_URLS="",
        ):
            monitor(sources_file=str(sources_file), force=True)
            result = digest(kind="demo", deliver=False)
    return Path(result["paths"][0])
