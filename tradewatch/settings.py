"""Runtime settings, read once from ``TRADEWATCH_*`` environment variables.

This is the only module that reads the environment. Whoever needs settings calls
``Settings()`` (or ``load_settings()`` for a one-line error) and passes values down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tradewatch.configfile import describe_validation_error

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCES_FILE = PROJECT_ROOT / "config" / "sources.yaml"
DEFAULT_BASELINE_FILE = PROJECT_ROOT / "config" / "baseline" / "dprk-trade.yaml"


class SettingsError(Exception):
    """An environment variable has an invalid value. ``str()`` names the variable and fix."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TRADEWATCH_", extra="ignore")

    data_dir: Path = Field(
        default=Path("var"), description="Where the default SQLite database and digests live."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///<data_dir>/tradewatch.db. "
        "PostgreSQL: postgresql+psycopg://user@host/db",
    )
    digest_dir: Path | None = Field(default=None, description="Default <data_dir>/digests.")
    notify_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Apprise URLs (mailto://, slack://, json://...), comma or space separated.",
    )
    sources_file: Path = DEFAULT_SOURCES_FILE
    baseline_file: Path = DEFAULT_BASELINE_FILE
    templates_dir: Path | None = None
    contact_url: str = "https://github.com/tradewatch/tradewatch"
    http_timeout: float = Field(default=20.0, gt=0)
    max_body_bytes: int = Field(default=5_000_000, gt=1024)
    max_articles_per_source: int = Field(default=50, gt=0)
    host_interval: float = Field(
        default=1.0, ge=0, description="Seconds between two requests to one host (politeness)."
    )
    max_concurrent_requests: int = Field(
        default=4, gt=0, description="Requests in flight at once, all hosts together."
    )
    fetch_attempts: int = Field(
        default=3, gt=0, description="Tries per URL for timeouts, dropped connections, 429/5xx."
    )
    retry_after_cap: float = Field(
        default=120.0, ge=0, description="Longest Retry-After honoured; longer fails the fetch."
    )
    backoff_base: float = Field(
        default=1.0, ge=0, description="First pause (s) of the jittered exponential backoff."
    )
    alert_min_confidence: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description="Send an immediate alert for an open departure at or above this confidence "
        "(0-1); unset means no immediate alerts, only the digest.",
    )
    alert_min_corroboration: int = Field(
        default=1,
        ge=1,
        description="Immediate alerts also need at least this many distinct outlets.",
    )
    web_token: SecretStr | None = Field(
        default=None,
        min_length=16,
        description="Access token for `tradewatch web`; required when it binds beyond loopback. "
        "Generate one with: python -c 'import secrets; print(secrets.token_urlsafe(32))'",
    )
    analysis_workers: int | None = Field(
        default=None,
        ge=0,
        description="Worker processes that parse and classify large batches of pages "
        "(backfills, first passes) and, under `tradewatch watch`, every changed page; unset "
        "means one per core but one, 0 means none.",
    )
    debug: bool = Field(default=False, description="CLI: show tracebacks instead of one line.")
    fetch_concurrency: int = Field(
        default=8,
        gt=0,
        description="Sources fetched at once across all flow runs and workers (a Prefect "
        "global concurrency limit, tradewatch-fetch).",
    )
    host_concurrency: int = Field(
        default=1,
        gt=0,
        description="Sources of one host fetched at once across all flow runs and workers "
        "(Prefect global concurrency limits tradewatch-host-<host>).",
    )

    @field_validator("notify_urls", mode="before")
    @classmethod
    def _split_urls(cls, value: object) -> object:
        if isinstance(value, str):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("notify_urls")
    @classmethod
    def _check_channel_parameters(cls, urls: list[str]) -> list[str]:
        # A bad tw- parameter must stop the run at start-up (exit 2), not fail each send.
        if urls:
            from notify.channels import ChannelConfigError, parse_channel

            for url in urls:
                try:
                    parse_channel(url)
                except ChannelConfigError as exc:
                    raise ValueError(str(exc)) from None  # the message is already redacted
        return urls

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'tradewatch.db').as_posix()}"

    @property
    def resolved_digest_dir(self) -> Path:
        return self.digest_dir if self.digest_dir is not None else self.data_dir / "digests"

    @property
    def user_agent(self) -> str:
        from tradewatch import __version__

        return f"tradewatch/{__version__} (+{self.contact_url})"


def load_settings(**overrides: object) -> Settings:
    """``Settings()`` with errors turned into one message naming each variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = [
            f"TRADEWATCH_{line.split(':', 1)[0].upper()}:{line.split(':', 1)[1]}"
            for line in describe_validation_error(exc, show_input=False)
        ]
        raise SettingsError("; ".join(lines)) from None
