"""The pipeline fixtures the app tests share."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tradewatch.pipeline import PipelineContext, open_pipeline
from tradewatch.settings import Settings
from tradewatch.sitehost import SampleSite
from tradewatch.sources_config import SourceConfig, SourceKind


@pytest.fixture
def ctx(db_url: str, tmp_path: Path) -> Iterator[PipelineContext]:
    settings = Settings(database_url=db_url, data_dir=tmp_path, http_timeout=5)
    with open_pipeline(settings) as context:
        yield context


def desk(site: SampleSite, **extra: object) -> SourceConfig:
    """The sample site's feed as a Daily NK-parsed source."""
    return SourceConfig(
        name="sample-desk",
        kind=SourceKind.FEED,
        url=site.url("feed.xml"),
        parser="dailynk",
        outlet="Sample North Korea Desk",
        **extra,
    )
