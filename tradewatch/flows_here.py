"""Prefect's settings for flows called in this process (the CLI, the demo, the benchmarks),
rather than run by a worker or a served deployment."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

# Seconds a run waits for Prefect's temporary server. Prefect's 20 s is too short for a first
# run on a new machine (the server creates and migrates its database): on a 2-core machine
# in a slow spell that start took longer, and the main job failed before it fetched anything.
PREFECT_SERVER_START_TIMEOUT = "120"


def prefect_defaults() -> None:
    """Our defaults for Prefect's environment; a value the user set is kept. Must run before
    Prefect is imported, which reads its settings once."""
    # No telemetry from a machine with no network.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault(
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", PREFECT_SERVER_START_TIMEOUT
    )


@contextmanager
def flows_here() -> Iterator[None]:
    """Call flows inside this. With no Prefect server configured (``PREFECT_API_URL``), the
    runs report to a temporary server that lives and dies with this process, so flow run
    heartbeats are off: no one is left to read them when the process stops, and Prefect
    waits up to a second at the end of every run for its heartbeat thread to wind down (a
    third of a steady monitor pass over 50 sources; BENCHMARKS.md). With a server they stay
    on: it can tell a crashed run by their silence."""
    prefect_defaults()
    from prefect.settings import get_current_settings

    if get_current_settings().api.url:
        yield
        return
    with no_heartbeats():
        yield


def no_heartbeats() -> AbstractContextManager[object]:
    """Prefect's settings with flow run heartbeats off, for runs whose server is temporary
    (``flows_here``; the test harness's)."""
    from prefect.settings import PREFECT_FLOWS_HEARTBEAT_FREQUENCY, temporary_settings

    return temporary_settings(updates={PREFECT_FLOWS_HEARTBEAT_FREQUENCY: None})
