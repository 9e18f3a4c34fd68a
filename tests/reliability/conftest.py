"""Fixtures for the reliability tests: a multi-desk loopback site and a pipeline on SQLite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.multisite import add_desks
from tradewatch.pipeline import PipelineContext, open_pipeline
from tradewatch.settings import Settings
from tradewatch.sitehost import SampleSite, serve_directory

# Small limits so that timeouts and size caps are reached quickly.
HTTP_TIMEOUT = 1.0
MAX_BODY_BYTES = 200_000


@pytest.fixture
def multisite(site_root: Path) -> Iterator[SampleSite]:
    add_desks(site_root)
    with serve_directory(site_root) as running:
        yield running


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{(tmp_path / 'db' / 'tw.db').as_posix()}",
        data_dir=tmp_path,
        http_timeout=HTTP_TIMEOUT,
        max_body_bytes=MAX_BODY_BYTES,
        # One retry, short pauses, and a Retry-After cap below the 120 s the 429 case asks for.
        fetch_attempts=2,
        backoff_base=0.05,
        retry_after_cap=2.0,
    )


@pytest.fixture
def ctx(settings: Settings) -> Iterator[PipelineContext]:
    with open_pipeline(settings) as context:
        yield context
