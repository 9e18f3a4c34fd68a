"""Shared pytest configuration: fixture plugins live in their own modules."""

from __future__ import annotations

import os

import pytest

pytest_plugins = ["tests.db_fixtures", "tests.sitefixtures", "tests.prefectfixtures"]


def pytest_configure(config: pytest.Config) -> None:
    # Prefect sets up its log handlers once, on first import, bound to the sys.stderr of that
    # moment. Imported inside a test, that is the test's capture stream, closed when the test
    # ends: every later log record would then fail in the handler and print a traceback.
    # Importing it here binds the handlers to the session's stream.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    import prefect  # noqa: F401
