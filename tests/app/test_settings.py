"""Settings come from TRADEWATCH_* variables, validated with messages naming the variable."""

from __future__ import annotations

from pathlib import Path

import pytest

from tradewatch.settings import SettingsError, load_settings


def test_defaults_are_sqlite_under_data_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TRADEWATCH_DATABASE_URL", raising=False)
    monkeypatch.setenv("TRADEWATCH_DATA_DIR", "/tmp/tw-data")
    settings = load_settings()
    assert settings.resolved_database_url == "sqlite:////tmp/tw-data/tradewatch.db"
    assert settings.resolved_digest_dir == Path("/tmp/tw-data/digests")


def test_notify_urls_split_on_commas_and_spaces(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWATCH_NOTIFY_URLS", "json://127.0.0.1:1/a, mailto://u@h  slack://t")
    assert load_settings().notify_urls == ["json://127.0.0.1:1/a", "mailto://u@h", "slack://t"]


def test_invalid_value_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWATCH_MAX_BODY_BYTES", "lots")
    with pytest.raises(SettingsError, match=r"^TRADEWATCH_MAX_BODY_BYTES: .*integer"):
        load_settings()


def test_user_agent_names_project_and_contact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRADEWATCH_CONTACT_URL", "https://desk.example.org/contact")
    assert load_settings().user_agent.startswith("tradewatch/")
    assert "+https://desk.example.org/contact" in load_settings().user_agent


def test_invalid_value_is_not_echoed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Settings can be secrets (tokens, URLs with passwords): errors name, never repeat, them.
    monkeypatch.setenv("TRADEWATCH_HTTP_TIMEOUT", "s3cr3t-looking-value")
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert "TRADEWATCH_HTTP_TIMEOUT" in str(info.value)
    assert "s3cr3t-looking-value" not in str(info.value)


def test_bad_channel_parameter_fails_at_load_naming_it_without_secrets(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(
        "TRADEWATCH_NOTIFY_URLS",
        "json://hooks.example.org/ok, json://u:s3cretpw@hooks.example.org/t0ken?tw-uncertain=x",
    )
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    assert (
        "TRADEWATCH_NOTIFY_URLS" in message
        and "tw-uncertain must be one of hold, resend" in message
    )
    assert "s3cretpw" not in message and "t0ken" not in message
