"""What every benchmark shares: the machine description, figure lines, medians, a database.

Figures are printed one per line as ``FIGURE <name> <number> <unit>``: a stable format the
tests parse and that is easy to grep out of a long ``scripts/bench`` log.
"""

from __future__ import annotations

import os
import platform
import resource
import secrets
import statistics
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

PG_ADMIN_URL = os.environ.get(
    "TRADEWATCH_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def cpu_model() -> str:
    """The CPU model named in /proc/cpuinfo (or what ``platform`` knows elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def ram_gib() -> float:
    """Total RAM in GiB (0 when unknown)."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES")
        size = os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError):
        return 0.0
    return pages * size / 2**30


def print_header(benchmark: str, **params: object) -> None:
    """The lines every benchmark starts with: what, when, on what machine, with what N."""
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    print(f"# benchmark: {benchmark}")
    print(f"# date: {now}")
    print(f"# machine: {os.cpu_count()} cores ({cpu_model()}), {ram_gib():.1f} GiB RAM")
    print(f"# python: {platform.python_version()}")
    if params:
        print("# params: " + ", ".join(f"{k}={v}" for k, v in params.items()))
    print(f"FIGURE cores {os.cpu_count() or 0} count", flush=True)


def figure(name: str, value: float, unit: str) -> None:
    """Print one figure line (``name`` has no spaces)."""
    assert " " not in name and " " not in unit, "figure names and units are single words"
    text = f"{value:.0f}" if float(value).is_integer() and abs(value) >= 100 else f"{value:.4g}"
    print(f"FIGURE {name} {text} {unit}", flush=True)


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else 0.0


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (``pct`` in 0..100)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank]


class Stopwatch:
    """Wall clock and this process's CPU time (user + system, all threads) over a block."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0

    def __enter__(self) -> Stopwatch:
        self._wall0 = time.perf_counter()
        self._cpu0 = time.process_time()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall0
        self.cpu = time.process_time() - self._cpu0


def children_cpu() -> float:
    """CPU seconds used so far by this process's waited-for children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _libpq(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def postgres_available() -> bool:
    try:
        with psycopg.connect(_libpq(PG_ADMIN_URL), connect_timeout=3):
            return True
    except psycopg.OperationalError:
        return False


@contextmanager
def scratch_database(backend: str, workdir: Path) -> Iterator[str]:
    """A fresh, empty database URL: a SQLite file in ``workdir``, or a PostgreSQL database
    ``tradewatch_bench_<random>`` created here and dropped on exit."""
    if backend == "sqlite":
        path = workdir / f"bench-{secrets.token_hex(4)}.db"
        yield f"sqlite:///{path.as_posix()}"
        return
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}; known: postgresql, sqlite")
    name = f"tradewatch_bench_{secrets.token_hex(4)}"
    admin = _libpq(PG_ADMIN_URL)
    with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            drop = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
            conn.execute(drop.format(sql.Identifier(name)))
