"""``tradewatch watch``: monitor passes in one resident process.

A monitor run started by a schedule (Prefect, or cron) pays its start on every check: about
0.6 s of imports, opening the database and compiling the classifier, and in Prefect's local
mode importing Prefect and starting a temporary API server, seconds more. When little has
changed, that start is most of what a check costs, and it limits how often checking is worth
it. The watcher pays it once. It keeps the pipeline open (database engine, HTTP connections,
compiled classifier) and, every ``every`` seconds, checks the sources whose own cadence
(``fetch_every``) has come round, so a change is noticed within ``every`` seconds of a source
falling due, at the cost of the pass alone.

A pass does what the monitor flow's pass does: the due sources in host groups, groups side by
side (threads instead of Prefect tasks, at most ``fetch_concurrency`` at once), then the
immediate alerts. Within a group, sources are interleaved (``tradewatch.interleave``): every
changed page, even a source's only one, goes to an analysis worker, and the next source's
listing and pages are fetched while it is parsed and classified. What it leaves out is
Prefect itself: passes are not flow runs, and the global concurrency limits are not taken, so
politeness (per-host spacing, concurrent requests) holds within this process only. Serving
the scheduled monitor beside it does no harm (a source one of them checked is not due for the
other) but gains nothing. The digest is not the watcher's job: keep it on its schedule
(``tradewatch serve --only digest-daily``).

One watcher per database: two would check the same sources at the same moments and race on
their writes, so a second one started on a database a watcher holds exits with an error that
says so (``storage.watch_lock``; the lock goes with the process, however it ends). Analysis
workers (started by the first pass with a page to read) are stopped once they have had no work
for ``WORKERS_IDLE_CLOSE`` seconds, as are those of a baseline since replaced.

Edits to the sources file and the baseline are taken up by the next pass. An edit that does
not validate is logged, once, and the last good version is kept, so a typo never stops the
monitoring. A pass that fails as a whole (the database unreachable) is logged and the next one
runs on time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar

from classify.baseline import Baseline, load_baseline
from storage.watch_lock import WatcherAlreadyRunning, watch_lock
from tradewatch import interleave
from tradewatch.alerts import send_immediate_alerts
from tradewatch.analysis import close_idle_pools
from tradewatch.configfile import ConfigError
from tradewatch.monitor_pass import (
    check_groups_here,
    in_source_order,
    pass_groups,
    summarise,
)
from tradewatch.pipeline import (
    PipelineContext,
    SourceOutcome,
    open_pipeline,
)
from tradewatch.settings import Settings
from tradewatch.sources_config import SourcesFile, load_sources

log = logging.getLogger(__name__)

# Seconds without work after which the analysis workers a large pass started are stopped.
WORKERS_IDLE_CLOSE = 600.0

T = TypeVar("T")


def _stamp(path: Path) -> tuple[int, int] | None:
    """What tells an edited file from the one loaded: modification time and size."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size)


class ReloadedFile(Generic[T]):
    """A configuration file loaded again whenever it changes on disk; an edit that does not
    load (``ConfigError``) is logged once and the last good version kept."""

    def __init__(self, path: Path, load: Callable[[Path], T]) -> None:
        self.path = path
        self._load = load
        self._stamp = _stamp(path)
        self.value: T = load(path)  # at start, a bad file is the caller's error to report
        self._rejected: tuple[int, int] | None = None

    def refresh(self) -> bool:
        """Load the file again if it changed since; whether a new version was taken."""
        stamp = _stamp(self.path)
        if stamp == self._stamp or stamp == self._rejected:
            return False
        try:
            value = self._load(self.path)
        except ConfigError as exc:
            self._rejected = stamp
            log.error("watch: keeping the previous %s: %s", self.path.name, exc)
            return False
        self.value, self._stamp, self._rejected = value, stamp, None
        log.info("watch: %s reloaded", self.path)
        return True

    def retry_later(self) -> None:
        """Have the next ``refresh`` load the file again (taking up this version failed)."""
        self._stamp = None


@dataclass
class PassResult:
    """One pass of the watcher: the monitor summary plus when, how long, and what was due."""

    started: datetime
    wall: float
    summary: dict[str, Any] = field(default_factory=dict)

    @property
    def checked(self) -> int:
        """Sources that were due and checked (not skipped as not due)."""
        return sum(
            1 for r in self.summary["reports"] if r["outcome"] != SourceOutcome.NOT_DUE.value
        )

    def describe(self) -> str:
        s = self.summary
        failed = ", ".join(s["failed_sources"]) or "none"
        return (
            f"watch {self.started:%Y-%m-%d %H:%M:%S}Z: {self.checked} of {s['sources']} "
            f"sources due; {s['new_articles']} new articles, {s['changed_articles']} revised, "
            f"{s['departures']} departures; failed sources: {failed} ({self.wall:.2f} s)"
        )


class Watcher:
    """The pipeline held open between passes; ``check()`` runs one pass."""

    def __init__(
        self,
        settings: Settings,
        *,
        sources_file: Path | None = None,
        baseline_file: Path | None = None,
        only: list[str] | None = None,
    ) -> None:
        self.settings = settings
        self.sources = ReloadedFile[SourcesFile](
            sources_file or settings.sources_file, load_sources
        )
        self.only = only
        self.sources.value.enabled(only)  # unknown names fail here, not at the first pass
        self._missing = ""  # the last "unknown source" error logged
        self.baseline = ReloadedFile[Baseline](
            baseline_file or settings.baseline_file, load_baseline
        )
        # Taken before the database is touched, held until close(); see storage.watch_lock.
        self._lock = ExitStack()
        self._held = self._lock.enter_context(watch_lock(settings.resolved_database_url))
        self._stack = ExitStack()
        try:
            self.ctx: PipelineContext = self._open(self._stack)
        except BaseException:
            self._lock.close()
            raise

    def _open(self, stack: ExitStack) -> PipelineContext:
        # Migrates and records the baseline version (prepare_database), then opens the pipeline.
        return stack.enter_context(open_pipeline(self.settings, baseline_file=self.baseline.path))

    def close(self) -> None:
        try:
            self._stack.close()
        finally:
            self._lock.close()

    def __enter__(self) -> Watcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _take_up_edits(self) -> None:
        self.sources.refresh()
        if not self.baseline.refresh():
            return
        stack = ExitStack()
        try:
            ctx = self._open(stack)
        except BaseException:  # the old pipeline stays in use; the next pass tries again
            stack.close()
            self.baseline.retry_later()
            raise
        self._stack.close()
        self._stack, self.ctx = stack, ctx
        log.info("watch: baseline %s now in use", ctx.baseline.version)

    def check(self, *, now: datetime | None = None) -> PassResult:
        """One pass: every selected source that is due, then the immediate alerts."""
        started = time.perf_counter()
        when = now or datetime.now(UTC)
        self._held.verify()
        self._take_up_edits()
        try:
            selected = self.sources.value.enabled(self.only)
        except ValueError as exc:  # a watched source was renamed or removed in the file
            if str(exc) != self._missing:  # said once, not every pass
                log.error("watch: %s; watching the remaining sources", exc)
                self._missing = str(exc)
            known = {s.name for s in self.sources.value.sources}
            remaining = [name for name in self.only or [] if name in known]
            selected = self.sources.value.enabled(remaining) if remaining else []
        groups = pass_groups(selected, per_host=self.settings.host_concurrency)
        reports = check_groups_here(
            self.ctx,
            groups,
            threads=self.settings.fetch_concurrency,
            depth=interleave.DEPTH,
            force=False,
            now=now,
        )
        summary = summarise(in_source_order(reports, selected))
        try:
            alerts = send_immediate_alerts(self.settings, engine=self.ctx.engine)
        except Exception as exc:  # the pass's articles are stored; the next pass retries
            log.exception("watch: immediate alerts failed")
            summary["alerts_line"] = f"alerts failed: {exc}"
        else:
            summary["alerts_line"] = alerts.describe()
        close_idle_pools(WORKERS_IDLE_CLOSE)
        return PassResult(started=when, wall=time.perf_counter() - started, summary=summary)


def watch(
    watcher: Watcher,
    *,
    every: float,
    stop: threading.Event,
    passes: int | None = None,
    on_pass: Callable[[PassResult], None] = lambda result: None,
) -> int:
    """Run a pass every ``every`` seconds (from the start of one to the next; a pass that
    overran is followed at once) until ``stop`` is set or ``passes`` are done. A pass that
    raises is logged and does not end the watch, except when the watcher finds another one
    holding the database (``WatcherAlreadyRunning``). Returns the number of passes run."""
    done = 0
    while not stop.is_set():
        started = time.monotonic()
        try:
            on_pass(watcher.check())
        except WatcherAlreadyRunning:  # the lock was lost and another watcher has it now
            raise
        except Exception:
            log.exception("watch: the pass failed; the next one runs in %.0f s", every)
        done += 1
        if passes is not None and done >= passes:
            break
        stop.wait(max(0.0, every - (time.monotonic() - started)))
    return done


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGINT and SIGTERM set ``stop`` (the pass under way finishes); a second SIGINT
    interrupts at once. The previous handlers are restored on leaving."""
    import signal

    def first(signum: int, frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        log.info("watch: stopping after this pass (signal %d)", signum)
        stop.set()

    previous = {sig: signal.signal(sig, first) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
