"""Prefect's test harness, entered once per pytest session and only by tests that ask for it
(it takes about 25 s to start a temporary server)."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator

import pytest


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    # Results from an earlier run must not leak into this one (see shared/PREFECT-NOTES.md).
    os.environ["PREFECT_LOCAL_STORAGE_PATH"] = str(tmp_path_factory.mktemp("prefect-results"))
    from prefect.testing.utilities import prefect_test_harness

    from tradewatch.flows_here import no_heartbeats

    # No heartbeats, as in the local mode (tradewatch.flows_here): this server is as
    # temporary, and winding them down cost up to a second per flow run.
    with prefect_test_harness(server_startup_timeout=90), no_heartbeats():
        # Starting the server re-ran Prefect's logging setup inside the current test's output
        # capture, binding its console handler to a stream pytest closes after that test. Bind
        # it to the process's real streams instead (pytest still captures them at fd level).
        from prefect.logging.configuration import setup_logging

        with (
            contextlib.redirect_stderr(sys.__stderr__),
            contextlib.redirect_stdout(sys.__stdout__),
        ):
            setup_logging(incremental=False)
        yield
