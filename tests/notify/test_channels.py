"""Channel keys, URL redaction, and delivery to real local servers."""

from __future__ import annotations

import logging

import pytest

from notify.channels import DeliveryError, channel_key, redact_url, send
from notify.render import render_html, render_markdown, render_text
from tests.notify.samples import DEPARTURE_SENTENCE, content
from tests.notify.servers import free_port, smtp_server, webhook_receiver

PASSWORD = "Hunter2-s3cret"
TOKEN = "XyZ9WebhookT0kenSecret"


def _bodies() -> dict[str, str]:
    c = content()
    return {
        "title": c.title,
        "markdown": render_markdown(c),
        "html": render_html(c),
        "text": render_text(c),
    }


def test_channel_key_is_stable_short_hex() -> None:
    key = channel_key("json://127.0.0.1:8080/hook")
    assert key == channel_key("json://127.0.0.1:8080/hook")
    assert key != channel_key("json://127.0.0.1:8081/hook")
    assert len(key) == 16
    assert int(key, 16) >= 0


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            f"json://analyst:{PASSWORD}@hooks.example.org:8443/api/{TOKEN}?+X-Key=abc123",
            "json://***:***@hooks.example.org:8443/…/…?+X-Key=***",
        ),
        (
            f"https://hooks.slack.com/services/T0AAAAAAA/B0BBBBBBB/{TOKEN}",
            "https://hooks.slack.com/…/…/…/…",
        ),
        (f"slack://T0AAAAAAA/B0BBBBBBB/{TOKEN}/#trade-desk", "slack://***/…/…/…"),
        (f"discord://112233445566/{TOKEN}", "discord://***/…"),
        (
            f"mailtos://digest:{PASSWORD}@mail.example.org?to=desk@example.org",
            "mailtos://***:***@mail.example.org?to=***",
        ),
        ("mailto://127.0.0.1:2525?from=a@b.c&to=x@y.z", "mailto://127.0.0.1:2525?from=***&to=***"),
        (f"not a url {PASSWORD}", "***"),
    ],
)
def test_redact_url_keeps_scheme_and_host_only(url: str, expected: str) -> None:
    redacted = redact_url(url)
    assert redacted == expected
    assert PASSWORD not in redacted
    assert TOKEN not in redacted


def test_invalid_url_raises_redacted_delivery_error() -> None:
    with pytest.raises(DeliveryError) as info:
        send(f"nosuchservice://user:{PASSWORD}@example.org/{TOKEN}", **_bodies())
    message = str(info.value)
    assert (
        message == "invalid or unsupported notification URL nosuchservice://***:***@example.org/…"
    )
    assert PASSWORD not in message


def test_json_webhook_receives_exact_title_and_markdown() -> None:
    bodies = _bodies()
    with webhook_receiver() as (port, received):
        send(f"json://127.0.0.1:{port}/hooks/{TOKEN}", **bodies)
        request = received.get(timeout=10)
    assert request.path == f"/hooks/{TOKEN}"
    assert request.payload["title"] == bodies["title"]
    # Apprise trims trailing whitespace from bodies; nothing else is changed
    assert request.payload["message"] == bodies["markdown"].rstrip()
    assert received.empty()


def test_email_to_local_smtp_server_gets_html_digest() -> None:
    bodies = _bodies()
    with smtp_server() as (port, inbox):
        send(f"mailto://127.0.0.1:{port}?from=digest@example.org&to=desk@example.org", **bodies)
        message = inbox.get(timeout=10)
    assert message["Subject"] == bodies["title"]
    assert message["To"] == "desk@example.org"
    html_part = message.get_body(preferencelist=("html",))
    assert html_part is not None
    html = html_part.get_content()
    assert "<strong>without prior approval</strong>" in html
    assert DEPARTURE_SENTENCE.split("approval ")[1] in html


def test_closed_port_raises_redacted_error_and_scrubs_apprise_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = free_port()
    url = f"json://analyst:{PASSWORD}@127.0.0.1:{port}/hooks/{TOKEN}"
    with caplog.at_level(logging.DEBUG), pytest.raises(DeliveryError) as info:
        send(url, **_bodies())
    message = str(info.value)
    assert message.startswith(f"delivery to json://***:***@127.0.0.1:{port}/…/… failed")
    assert PASSWORD not in message and TOKEN not in message
    assert caplog.records  # Apprise did log the failure ...
    assert PASSWORD not in caplog.text and TOKEN not in caplog.text  # ... without the secrets
