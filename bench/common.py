"""What every benchmark shares: the machine description, figure lines, medians, clocks.

Figures are printed one per line as ``FIGURE <name> <number> <unit>``: a stable format the
tests parse and that is easy to grep out of a long ``scripts/bench`` log.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path


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
    """Wall clock and CPU time (user + system) over a block: this process's, all threads,
    plus that of the processes below it (analysis workers), so that handing work to other
    processes does not hide its cost."""

    def __init__(self) -> None:
        self.wall = 0.0
        self.cpu = 0.0
        self.own_cpu = 0.0  # this process's alone
        self.switches = 0  # this process's voluntary context switches (waits, hand-overs)

    def __enter__(self) -> Stopwatch:
        self._below0 = cpu_below()
        self._switches0 = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw
        self._cpu0 = time.process_time()
        self._wall0 = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.wall = time.perf_counter() - self._wall0
        self.own_cpu = time.process_time() - self._cpu0
        self.switches = resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw - self._switches0
        # Read after the clocks stop: scanning /proc costs a few ms of this process's CPU.
        self.cpu = self.own_cpu + cpu_below() - self._below0


def children_cpu() -> float:
    """CPU seconds used so far by this process's waited-for children."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _stat_fields(pid: int) -> list[str]:
    raw = Path(f"/proc/{pid}/stat").read_text()
    return raw[raw.rindex(")") + 2 :].split()  # after "pid (comm) ": the comm may hold spaces


def descendants(pid: int | None = None) -> list[int]:
    """The live processes below ``pid`` (default: this one): analysis workers, the fork
    server that starts them, and whatever else a benchmarked pass spawned."""
    root = os.getpid() if pid is None else pid
    found: list[int] = []
    stack = [root]
    while stack:
        for child in _children(stack.pop()):
            found.append(child)
            stack.append(child)
    return found


def _children(pid: int) -> list[int]:
    """The live children of ``pid``, from each of its threads' ``children`` file (a child
    started from a helper thread is listed under that thread). Reading these beats scanning
    all of /proc: the memory sampler asks several times a second, from inside the
    benchmarked process."""
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return []  # exited while we looked
    if not (tasks[0] / "children").exists():  # a kernel without CONFIG_PROC_CHILDREN
        return _children_by_scan(pid)
    found: list[int] = []
    for task in tasks:
        try:
            found.extend(int(child) for child in (task / "children").read_text().split())
        except OSError:
            continue  # the thread ended while we looked
    return found


def _children_by_scan(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parent = int(_stat_fields(int(entry.name))[1])
        except (OSError, ValueError, IndexError):
            continue  # exited while we looked
        if parent == pid:
            found.append(int(entry.name))
    return found


def cpu_below() -> float:
    """CPU seconds used so far by every process below this one, live or exited: what a
    pass that hands work to worker processes costs besides its own."""
    tick = os.sysconf("SC_CLK_TCK")
    total = children_cpu()
    for pid in descendants():
        try:
            fields = _stat_fields(pid)
        except OSError:
            continue
        # utime, stime, and cutime, cstime: children that exited count in their parent.
        total += sum(int(v) for v in fields[11:15]) / tick
    return total


def _pss_mib(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class TreeMemory:
    """Peak memory of this process and the processes below it, sampled every ``every``
    seconds in a thread. Summed as PSS (each shared page split between its sharers), since
    forked workers share most of their pages with the fork server and RSS would count them
    once per worker."""

    def __init__(self, every: float = 0.25) -> None:
        self.every = every
        self.peak_mib = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="tree-memory", daemon=True)

    def sample(self) -> float:
        total = sum(_pss_mib(pid) for pid in [os.getpid(), *descendants()])
        self.peak_mib = max(self.peak_mib, total)
        return total

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.sample()

    def __enter__(self) -> TreeMemory:
        self.sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def peak_rss_mib() -> float:
    """This process's peak resident set size in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
