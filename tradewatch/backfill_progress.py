"""A terminal progress bar for ``tradewatch backfill``, fed from the ``backfill_window`` table.

The flow records each (source, window) as it finishes; a background thread reads those rows
and moves the bar. The bar therefore shows exactly what a resumed backfill would skip, works
the same whether the flow runs in this process or elsewhere, and needs no hook in the flow.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from sqlmodel import Session

from storage.backfill import BackfillProgress, backfill_progress
from storage.db import get_engine

POLL_SECONDS = 0.5


def read_progress(
    database_url: str, sources: list[str], windows: list[tuple[datetime, datetime]]
) -> BackfillProgress:
    """Where the backfill over ``sources`` × ``windows`` stands now."""
    engine = get_engine(database_url)
    try:
        with Session(engine) as session:
            return backfill_progress(session=session, sources=sources, windows=windows)
    finally:
        engine.dispose()


@contextmanager
def progress_bar(
    database_url: str,
    sources: list[str],
    windows: list[tuple[datetime, datetime]],
    *,
    console: Console | None = None,
) -> Iterator[None]:
    """Show (source, window) pairs finished, on stderr, while the block runs."""
    console = console or Console(stderr=True)
    stop = threading.Event()
    columns = (
        TextColumn("backfill"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("windows · {task.fields[new]} new articles · {task.fields[failed]} failed"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task("backfill", total=len(sources) * len(windows), new=0, failed=0)

        def refresh() -> None:
            state = read_progress(database_url, sources, windows)
            bar.update(task, completed=state.finished, new=state.new_articles, failed=state.failed)

        def poll() -> None:
            while not stop.wait(POLL_SECONDS):
                try:
                    refresh()
                except Exception:  # noqa: S112  # a busy database: the next poll will do
                    continue

        thread = threading.Thread(target=poll, name="backfill-progress", daemon=True)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join(timeout=5)
            refresh()
