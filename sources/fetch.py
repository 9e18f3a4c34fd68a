"""One HTTP GET with conditional headers, a size cap and typed errors.

Retries are not done here: the Prefect task that calls :func:`fetch` owns them. Redirects are
followed here, one hop at a time, so that every hop's scheme can be checked (no ``file://`` or
other non-HTTP targets, whatever client is passed in) and the hop count capped.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from parsers.base import FetchedPage
from sources.addresses import blocked, system_resolver
from sources.errors import (
    ConnectionFailed,
    FetchTimeout,
    HTTPStatusError,
    PageTooLarge,
    SourceUnavailable,
)
from sources.guarded_backend import AddressBlocked, GuardedBackend, install

# Called with every URL about to be requested, redirect hops included; raises to refuse it.
URLCheck = Callable[[httpx.URL], None]

MAX_REDIRECTS = 5
# A whole body may take this many read timeouts; DEFAULT_READ_SECONDS when none is set.
BODY_TIME_FACTOR = 3
DEFAULT_READ_SECONDS = 20.0
_HTTP_SCHEMES = ("http", "https")


@dataclass(frozen=True)
class FetchResult:
    """What one fetch returned. ``url`` is the URL asked for, ``final_url`` the one served."""

    url: str
    final_url: str
    status: int
    headers: dict[str, str]  # lower-case names
    body: bytes
    sha256: str
    elapsed: float  # seconds, redirects included

    @property
    def not_modified(self) -> bool:
        """True for a 304 answer to a conditional request (the body is empty)."""
        return self.status == 304

    @property
    def etag(self) -> str | None:
        """The ETag to send back as If-None-Match next time."""
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        """The Last-Modified value to send back as If-Modified-Since next time."""
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str | None:
        """The raw Content-Type header (charset included)."""
        return self.headers.get("content-type")


def make_client(
    *,
    user_agent: str,
    timeout: float,
    transport: httpx.BaseTransport | None = None,
    backend: GuardedBackend | None = None,
) -> httpx.Client:
    """An HTTP client that identifies itself, times out and follows at most 5 redirects.

    ``transport`` is for tests (``httpx.MockTransport``); production leaves it None, and then
    every connection goes through ``backend`` (a GuardedBackend on the system resolver when
    None): no connection to a non-public address whatever DNS says the second time.
    """
    client = httpx.Client(
        headers={"User-Agent": user_agent},
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        follow_redirects=True,
        max_redirects=MAX_REDIRECTS,
        transport=transport,
    )
    if transport is None:
        install(client, backend if backend is not None else GuardedBackend(system_resolver))
    # Assigned, not passed: httpx copies what ``cookies=`` gives into a plain ``Cookies``.
    client._cookies = _Cookies()
    return client


class _Cookies(httpx.Cookies):
    """httpx's cookie jar, asked to take cookies only from a response that sets some.

    httpx hands every response to the standard library's jar, which first wraps it and its
    request in ``urllib`` objects (~40 µs, about a tenth of a request to a local site). A
    response without ``Set-Cookie`` adds nothing, so it is not handed over; one with it is,
    and its cookies go with the next requests as before (a site that sets one before
    redirecting still gets it back).
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


def _check_scheme(url: httpx.URL, requested: str) -> None:
    if url.scheme not in _HTTP_SCHEMES:
        raise SourceUnavailable(requested, f"refusing non-HTTP URL {url}")


def _body_deadline(client: httpx.Client) -> float:
    """When a body must be complete: httpx's read timeout is per read, so a server dripping
    a byte at a time would otherwise hold a fetch (and its worker) forever."""
    read = client.timeout.read or DEFAULT_READ_SECONDS
    return time.monotonic() + BODY_TIME_FACTOR * read


def _read_capped(
    response: httpx.Response, requested: str, max_bytes: int, deadline: float
) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PageTooLarge(requested, f"body of {declared} bytes exceeds {max_bytes}")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise PageTooLarge(requested, f"body exceeds {max_bytes} bytes")
        if time.monotonic() > deadline:
            raise FetchTimeout(requested, f"body not complete after {size} bytes: too slow")
        chunks.append(chunk)
    return b"".join(chunks)


def _address_blocked(exc: BaseException) -> AddressBlocked | None:
    """The backend's refusal behind ``exc``: httpx re-raises httpcore errors as its own
    (``raise httpx.ConnectError(...) from exc``), so look down the cause chain."""
    cause: BaseException | None = exc
    while cause is not None and not isinstance(cause, AddressBlocked):
        cause = cause.__cause__
    return cause


def _send_one(client: httpx.Client, request: httpx.Request, requested: str) -> httpx.Response:
    """One request; a connection the address policy refused surfaces as check_public's error
    (kind ``blocked_address``, not a retryable connection failure)."""
    try:
        return client.send(request, stream=True, follow_redirects=False)
    except httpx.ConnectError as exc:
        refused = _address_blocked(exc)
        if refused is None:
            raise
        raise blocked(request.url, refused.address, requested) from exc


def _send(
    client: httpx.Client,
    request: httpx.Request,
    requested: str,
    max_bytes: int,
    check_url: URLCheck | None,
) -> tuple[httpx.Response, bytes]:
    """Send ``request``, following redirects hop by hop; return the last response and body."""
    seen: set[str] = set()
    for _hop in range(MAX_REDIRECTS + 1):
        _check_scheme(request.url, requested)
        if check_url is not None:
            check_url(request.url)
        seen.add(str(request.url))
        response = _send_one(client, request, requested)
        try:
            next_request = response.next_request
            if next_request is None:
                if response.status_code == 304:
                    # A 304 has no body, but until its end is read the connection counts as
                    # busy and closing the response closes it: every conditional pass would
                    # open a new connection (a TLS handshake) per unchanged source.
                    response.read()
                    return response, b""
                if response.status_code >= 400:
                    return response, b""
                return response, _read_capped(
                    response, requested, max_bytes, _body_deadline(client)
                )
        finally:
            response.close()
        if str(next_request.url) in seen:
            raise SourceUnavailable(requested, f"redirect loop at {next_request.url}")
        request = next_request
    raise SourceUnavailable(requested, f"more than {MAX_REDIRECTS} redirects")


def fetch(
    client: httpx.Client,
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    max_bytes: int,
    check_url: URLCheck | None = None,
) -> FetchResult:
    """GET ``url``, conditionally when ``etag``/``last_modified`` are given.

    Returns a FetchResult (a 304 has an empty body). Raises FetchTimeout on a connect or read
    timeout; SourceUnavailable for connection/DNS errors, redirect loops, more than 5
    redirects, non-HTTP(S) redirect targets and HTTP status >= 400 (the message names the
    status; an HTTPStatusError carrying it); PageTooLarge as soon as the streamed body passes
    ``max_bytes``. ``check_url`` sees every URL before it is requested, redirects included.
    """
    headers: dict[str, str] = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    started = time.monotonic()
    try:
        request = client.build_request("GET", url, headers=headers)
        response, body = _send(client, request, url, max_bytes, check_url)
    except httpx.TimeoutException as exc:
        raise FetchTimeout(url, f"timed out: {type(exc).__name__}") from exc
    except (httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise ConnectionFailed(url, f"{type(exc).__name__}: {exc}") from exc
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise SourceUnavailable(url, f"{type(exc).__name__}: {exc}") from exc
    elapsed = time.monotonic() - started

    if response.status_code == 304 and not headers:
        # "Not modified" since when? Without a validator sent, a 304 is a broken server; taken
        # at face value it would make a dead source look healthy forever.
        raise SourceUnavailable(url, "HTTP 304 to an unconditional request")
    if response.status_code >= 400:
        raise HTTPStatusError(
            url,
            f"HTTP {response.status_code} {response.reason_phrase}",
            status=response.status_code,
            retry_after=response.headers.get("retry-after"),
        )
    return FetchResult(
        url=url,
        final_url=str(response.url),
        status=response.status_code,
        headers={name.lower(): value for name, value in response.headers.items()},
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        elapsed=elapsed,
    )


def to_page(result: FetchResult) -> FetchedPage:
    """The parser's view of a fetch: final URL, body and Content-Type."""
    return FetchedPage(url=result.final_url, body=result.body, content_type=result.content_type)
