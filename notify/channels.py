"""Delivering a rendered digest to one notification channel through Apprise.

A channel is an Apprise URL, which usually carries a secret: a password
(``mailtos://user:secret@example.org``), a webhook token in the path
(``https://hooks.slack.com/services/T…/B…/X…``, ``discord://<id>/<token>``) or even in the host
position (``slack://TokenA/TokenB/TokenC``). So the URL itself is never logged or raised:
`redact_url` keeps only the scheme, a host that looks like a host name or address, the port,
and the query keys; `channel_key` names a channel in the database without revealing it. While
Apprise sends, its own log records are scrubbed of the URL's secret parts, and the warning it
logged is added (scrubbed) to the `DeliveryError`.

Body format by service: e-mail (``mailto://``, ``mailtos://``) gets the HTML digest, every other
service the Markdown one (Apprise converts it where the service needs HTML).

E-mail URLs (checked against Apprise 1.13):

- ``mailto://`` is plain SMTP, no TLS, port 25 unless given: a local relay on a custom port is
  ``mailto://127.0.0.1:2525?from=digest@example.org&to=analyst@example.org``. The explicit
  option is ``mode=insecure``; ``mode=starttls`` (the ``mailtos://`` default, port 587) and
  ``mode=ssl`` (port 465) enable TLS. ``smtp=<host>`` names the server when the URL's host is the
  mail domain (``mailtos://user:pass@example.org?smtp=mail.example.org``).
- ``from=`` is needed when the URL has no user (Apprise builds the sender from user@host).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from io import StringIO
from typing import Any
from urllib.parse import unquote

import apprise

__all__ = ["DeliveryError", "channel_key", "redact_url", "send"]

log = logging.getLogger(__name__)

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,31}$")
# a DNS name with at least one dot, localhost, an IPv4 address or a bracketed IPv6 address;
# anything else in the host position (Slack, Discord, Telegram tokens) is treated as a secret
_HOST = re.compile(
    r"^(?:(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{1,63}|localhost|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$"
)
_QUERY_KEY = re.compile(r"^[A-Za-z0-9_.:+-]{1,40}$")
_EMAIL_SCHEMES = frozenset({"mailto", "mailtos"})
_MIN_SECRET = 3  # shorter fragments ("a", "to") would scrub ordinary words from log lines


class DeliveryError(Exception):
    """A channel did not accept the digest. The message names the channel only redacted."""


class _Parts:
    """A URL split the way `redact_url` needs, without trusting it to be well formed."""

    def __init__(self, url: str) -> None:
        scheme, sep, rest = url.partition("://")
        self.ok = bool(sep) and bool(_SCHEME.match(scheme))
        self.scheme = scheme.lower()
        cut = min((i for i in (rest.find("/"), rest.find("?")) if i >= 0), default=len(rest))
        netloc, tail = rest[:cut], rest[cut:]
        self.userinfo, _, self.hostport = netloc.rpartition("@")
        path, _, self.query = tail.partition("?")
        self.segments = [s for s in path.split("/") if s]

    def secrets(self) -> list[str]:
        """Every substring that must not appear in a message, longest first."""
        found = [self.userinfo, *self.userinfo.split(":"), *self.segments]
        if not _HOST.match(self.hostport):
            found.append(self.hostport)
        for pair in self.query.split("&"):
            found.append(pair.partition("=")[2])
        found += [unquote(s) for s in found]
        return sorted({s for s in found if len(s) >= _MIN_SECRET}, key=len, reverse=True)


def channel_key(url: str) -> str:
    """A stable, non-reversible name for a channel: the first 16 hex digits of its sha256."""
    return hashlib.sha256(url.encode("utf-8")).hexdigest()[:16]


def redact_url(url: str) -> str:
    """The URL with only its scheme, host name/address, port and query keys left readable.

    ``json://user:pw@hooks.example.org:8080/hook/tok3n?+X-Key=abc`` becomes
    ``json://***:***@hooks.example.org:8080/…/…?+X-Key=***``; a host that is not a host name
    (``discord://123456/tok3n``) becomes ``***``. Anything that is not a URL is ``***``.
    """
    parts = _Parts(url)
    if not parts.ok:
        return "***"
    out = f"{parts.scheme}://"
    if parts.userinfo:
        out += "***:***@" if ":" in parts.userinfo else "***@"
    out += parts.hostport if _HOST.match(parts.hostport) else "***"
    out += "".join("/…" for _ in parts.segments)
    if parts.query:
        keys = [pair.partition("=")[0] for pair in parts.query.split("&") if pair]
        out += "?" + "&".join(f"{key if _QUERY_KEY.match(key) else '***'}=***" for key in keys)
    return out


def _scrub(text: str, url: str) -> str:
    for secret in [url, *_Parts(url).secrets()]:
        text = text.replace(secret, "***")
    return text


# Loggers whose records may carry a channel URL while a send is under way: Apprise and its
# plugins, and the HTTP libraries (which log request lines, webhook tokens in the path, at
# DEBUG). A logger filter would not do: records of child loggers ("apprise.plugins...")
# propagate to handlers without passing their parents' filters. So records are scrubbed as
# they are made, by a record factory installed once, for every send in progress (any thread).
_SCRUBBED_LOGGERS = ("apprise", "urllib3", "httpx", "httpcore")
_sending: dict[int, str] = {}
_sending_lock = threading.Lock()
_factory_lock = threading.Lock()
_factory_installed = False


def _from_scrubbed_logger(name: str) -> bool:
    return any(name == root or name.startswith(root + ".") for root in _SCRUBBED_LOGGERS)


def _install_record_factory() -> None:
    global _factory_installed
    with _factory_lock:
        if _factory_installed:
            return
        base = logging.getLogRecordFactory()

        def scrubbing_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = base(*args, **kwargs)
            if _sending and _from_scrubbed_logger(record.name):
                with _sending_lock:
                    urls = list(_sending.values())
                try:
                    message = record.getMessage()
                except Exception:  # a malformed record: keep its template, drop its args
                    message = str(record.msg)
                for url in urls:
                    message = _scrub(message, url)
                record.msg, record.args = message, None
            return record

        logging.setLogRecordFactory(scrubbing_factory)
        _factory_installed = True


@contextmanager
def _scrubbed_apprise_logs(url: str) -> Iterator[StringIO]:
    """Scrub log records while sending, and capture Apprise's warnings for the error message."""
    _install_record_factory()
    logger = logging.getLogger(apprise.LOGGER_NAME)
    captured = StringIO()
    handler = logging.StreamHandler(captured)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(message)s"))
    token = id(captured)
    with _sending_lock:
        _sending[token] = url
    logger.addHandler(handler)
    try:
        yield captured
    finally:
        logger.removeHandler(handler)
        with _sending_lock:
            del _sending[token]


def _reason(captured: StringIO) -> str:
    lines = [line.strip() for line in captured.getvalue().splitlines() if line.strip()]
    return f": {lines[-1]}" if lines else ""


def send(url: str, *, title: str, markdown: str, html: str, text: str) -> None:
    """Deliver one digest to the channel at ``url``; raise `DeliveryError` unless accepted.

    ``text`` is accepted so callers need not know which format a service takes; no service
    uses it yet (services without Markdown or HTML receive the Markdown as it is).
    """
    del text  # see docstring: kept for a stable signature
    redacted = redact_url(url)
    parts = _Parts(url)
    email = parts.ok and parts.scheme in _EMAIL_SCHEMES
    body, body_format = (
        (html, apprise.NotifyFormat.HTML) if email else (markdown, apprise.NotifyFormat.MARKDOWN)
    )
    with _scrubbed_apprise_logs(url) as captured:
        notifier = apprise.Apprise()
        try:
            added = notifier.add(url)
        except Exception:  # Apprise may raise on odd input; its text could echo the URL
            added = False
        if not added:
            raise DeliveryError(f"invalid or unsupported notification URL {redacted}")
        try:
            accepted = notifier.notify(body=body, title=title, body_format=body_format)
        except Exception as exc:  # a plugin bug must not leak the URL through its message
            raise DeliveryError(
                f"delivery to {redacted} failed: {type(exc).__name__}: {_scrub(str(exc), url)}"
            ) from None
    if not accepted:
        raise DeliveryError(f"delivery to {redacted} failed{_reason(captured)}")
    log.info("delivered %r to %s", title, redacted)
