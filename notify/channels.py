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

Tradewatch's own URL parameters
-------------------------------
Query parameters starting with ``tw-`` belong to tradewatch and are removed before the URL
reaches Apprise; an unknown one, or a bad value, raises `ChannelConfigError` naming it. The
channel's key is made from the URL without them, so switching a channel's policy keeps its
outbox rows; its label (redacted) shows them.

- ``tw-uncertain=hold|resend`` (default ``hold``): what becomes of a send left *uncertain* by a
  crash (see ``storage.deliveries``). ``hold`` waits for an operator; ``resend`` sends it again,
  with the same idempotency key, once its sender is provably gone or its lease has run out.

Idempotency key
---------------
`send` takes the message's idempotency key (``storage.deliveries.idempotency_key``: the same
on every attempt of one message to one channel) and hands it to the receiver so that it can
drop a repeat: as an ``Idempotency-Key`` HTTP header on the webhook services (``json``,
``form``, ``xml`` and their ``s`` variants), as an ``X-Tradewatch-Delivery-Id`` header on
e-mail (Apprise sets its own random Message-ID after custom headers, so that cannot carry it).
The key is set on the Apprise plugin's ``headers``, never written into the URL: URLs are what
carries secrets, and keeping the key out of them keeps both the URL and the scrubbing above
unchanged. Other services cannot carry a key (`Channel.keyed` is False).
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from io import StringIO
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

if TYPE_CHECKING:
    from apprise.plugins.base import NotifyBase

# Apprise (~90 ms to import, ~145 ms with its plugins) is imported by the send path only:
# settings validation parses every channel URL (`parse_channel`) at each start of any command.

__all__ = [
    "IDEMPOTENCY_HEADER",
    "MAIL_DELIVERY_ID_HEADER",
    "UNCERTAIN_PARAM",
    "Channel",
    "ChannelConfigError",
    "DeliveryError",
    "UncertainPolicy",
    "channel_key",
    "parse_channel",
    "redact_url",
    "send",
]

log = logging.getLogger(__name__)

_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]{0,31}$")
# a DNS name with at least one dot, localhost, an IPv4 address or a bracketed IPv6 address;
# anything else in the host position (Slack, Discord, Telegram tokens) is treated as a secret
_HOST = re.compile(
    r"^(?:(?:[A-Za-z0-9-]{1,63}\.)+[A-Za-z0-9-]{1,63}|localhost|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$"
)
_QUERY_KEY = re.compile(r"^[A-Za-z0-9_.:+-]{1,40}$")
_EMAIL_SCHEMES = frozenset({"mailto", "mailtos"})
_WEBHOOK_SCHEMES = frozenset({"json", "jsons", "form", "forms", "xml", "xmls"})
_MIN_SECRET = 3  # shorter fragments ("a", "to") would scrub ordinary words from log lines

IDEMPOTENCY_HEADER = "Idempotency-Key"
MAIL_DELIVERY_ID_HEADER = "X-Tradewatch-Delivery-Id"
_OWN_PREFIX = "tw-"
UNCERTAIN_PARAM = "tw-uncertain"


class UncertainPolicy(StrEnum):
    """What to do with a send a crash left uncertain (``tw-uncertain=`` in the channel URL)."""

    HOLD = "hold"  # never re-sent automatically: an operator retries or confirms it
    RESEND = "resend"  # re-sent with the same idempotency key once its sender is gone


class DeliveryError(Exception):
    """A channel did not accept the digest. The message names the channel only redacted."""


class ChannelConfigError(ValueError):
    """A notification URL's tradewatch parameters (``tw-...``) are wrong. Names the channel
    only redacted."""


@dataclass(frozen=True)
class Channel:
    """A configured notification URL, split into what tradewatch reads and what Apprise gets.

    ``url`` is as configured (``label`` is made from it); ``apprise_url`` is the same URL
    without the ``tw-`` parameters, and ``key`` is made from it, so that changing a ``tw-``
    setting does not turn the channel into a new one. Both URLs carry secrets and are left
    out of ``repr``.
    """

    url: str = field(repr=False)
    apprise_url: str = field(repr=False)
    key: str
    label: str
    uncertain: UncertainPolicy = UncertainPolicy.HOLD

    @property
    def keyed(self) -> bool:
        """Whether the service carries the idempotency key to the receiver."""
        parts = _Parts(self.apprise_url)
        return parts.ok and parts.scheme in _WEBHOOK_SCHEMES | _EMAIL_SCHEMES


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
            name, _, value = pair.partition("=")
            # our own parameters hold fixed words ("hold", "resend"), never a secret: scrubbing
            # them would mangle ordinary words in log lines ("threshold")
            if not name.lower().startswith(_OWN_PREFIX):
                found.append(value)
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
        out += "?" + "&".join(_redact_pair(pair) for pair in parts.query.split("&") if pair)
    return out


def _redact_pair(pair: str) -> str:
    key, _, value = pair.partition("=")
    if not _QUERY_KEY.match(key):
        return "***=***"
    # tw-uncertain's value is one of two fixed words and worth showing; anything else is not
    if key.lower() == UNCERTAIN_PARAM and unquote(value).lower() in set(UncertainPolicy):
        return f"{key}={unquote(value).lower()}"
    return f"{key}=***"


def parse_channel(url: str) -> Channel:
    """Split a configured notification URL into its tradewatch settings and the Apprise URL.

    Raises `ChannelConfigError` for an unknown ``tw-`` parameter, one given twice, or a value
    outside the allowed ones; the message names the parameter, the allowed values and the
    channel (redacted).
    """
    base, sep, query = url.partition("?")
    kept: list[str] = []
    seen: dict[str, str] = {}
    for pair in query.split("&") if sep else []:
        name, _, value = pair.partition("=")
        name = unquote(name).lower()
        if not name.startswith(_OWN_PREFIX):
            if pair:
                kept.append(pair)
            continue
        where = f"notification URL {redact_url(url)}"
        if name != UNCERTAIN_PARAM:
            raise ChannelConfigError(f"{where}: unknown parameter {name}; known: {UNCERTAIN_PARAM}")
        if name in seen:
            raise ChannelConfigError(f"{where}: {name} is given more than once")
        seen[name] = unquote(value).strip().lower()
    policy_word = seen.get(UNCERTAIN_PARAM, UncertainPolicy.HOLD.value)
    if policy_word not in set(UncertainPolicy):
        allowed = ", ".join(p.value for p in UncertainPolicy)
        raise ChannelConfigError(
            f"notification URL {redact_url(url)}: {UNCERTAIN_PARAM} must be one of {allowed} "
            f"(got {policy_word[:20]!r})"
        )
    # Without tw- parameters the URL goes to Apprise exactly as configured.
    apprise_url = (base + ("?" + "&".join(kept) if kept else "")) if seen else url
    return Channel(
        url=url,
        apprise_url=apprise_url,
        key=channel_key(apprise_url),
        label=redact_url(url),
        uncertain=UncertainPolicy(policy_word),
    )


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
    import apprise

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


def _carry_key(plugin: NotifyBase, key: str) -> bool:
    """Set the idempotency key as a header on the services that can take one."""
    # Header dictionaries these plugins merge into every request (checked against Apprise
    # 1.13): the constructor's ``headers`` argument, which ``+Name=value`` URL parameters
    # fill. Set here, the key never passes through a URL or Apprise's URL logging.
    from apprise.plugins.custom_form import NotifyForm
    from apprise.plugins.custom_json import NotifyJSON
    from apprise.plugins.custom_xml import NotifyXML
    from apprise.plugins.email import NotifyEmail

    if isinstance(plugin, NotifyEmail):
        plugin.headers[MAIL_DELIVERY_ID_HEADER] = key
        return True
    if isinstance(plugin, NotifyJSON | NotifyForm | NotifyXML):
        plugin.headers[IDEMPOTENCY_HEADER] = key
        return True
    return False


def send(
    url: str,
    *,
    title: str,
    markdown: str,
    html: str,
    text: str,
    idempotency_key: str | None = None,
) -> None:
    """Deliver one digest to the channel at ``url``; raise `DeliveryError` unless accepted.

    ``url`` is the channel URL as configured (its ``tw-`` parameters are removed here; a bad
    one raises `ChannelConfigError` before anything is sent). ``idempotency_key`` goes to the
    receiver as a header where the service allows one (see the module docstring); pass the
    same key on every attempt of one message. ``text`` is accepted so callers need not know
    which format a service takes; no service uses it yet (services without Markdown or HTML
    receive the Markdown as it is).
    """
    import apprise

    del text  # see docstring: kept for a stable signature
    channel = parse_channel(url)
    redacted = channel.label
    target = channel.apprise_url
    parts = _Parts(target)
    email = parts.ok and parts.scheme in _EMAIL_SCHEMES
    body, body_format = (
        (html, apprise.NotifyFormat.HTML) if email else (markdown, apprise.NotifyFormat.MARKDOWN)
    )
    with _scrubbed_apprise_logs(target) as captured:
        try:
            plugin = apprise.Apprise.instantiate(target)
        except Exception:  # Apprise may raise on odd input; its text could echo the URL
            plugin = None
        if plugin is None:
            raise DeliveryError(f"invalid or unsupported notification URL {redacted}")
        carried = idempotency_key is not None and _carry_key(plugin, idempotency_key)
        notifier = apprise.Apprise()
        notifier.add(plugin)
        try:
            accepted = notifier.notify(body=body, title=title, body_format=body_format)
        except Exception as exc:  # a plugin bug must not leak the URL through its message
            raise DeliveryError(
                f"delivery to {redacted} failed: {type(exc).__name__}: {_scrub(str(exc), target)}"
            ) from None
    if not accepted:
        raise DeliveryError(f"delivery to {redacted} failed{_reason(captured)}")
    log.info(
        "delivered %r to %s%s", title, redacted, f" (key {idempotency_key})" if carried else ""
    )
