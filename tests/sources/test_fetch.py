"""fetch() against httpx.MockTransport: no network, every branch asserted."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator

import httpx
import pytest

from sources.errors import FetchTimeout, PageTooLarge, SourceUnavailable
from sources.fetch import FetchResult, fetch, make_client, to_page

UA = "tradewatch-test/1.0 (+https://example.org/contact)"
URL = "https://news.example.org/feed/"

Handler = Callable[[httpx.Request], httpx.Response]


def client_for(handler: Handler) -> httpx.Client:
    return make_client(user_agent=UA, timeout=5.0, transport=httpx.MockTransport(handler))


def test_200_returns_body_headers_and_hash() -> None:
    body = b"<rss version='2.0'><channel></channel></rss>"

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200,
            content=body,
            headers={"Content-Type": "application/rss+xml; charset=utf-8", "ETag": '"v1"'},
        )

    with client_for(handler) as client:
        result = fetch(client, URL, max_bytes=10_000)

    assert result.status == 200
    assert result.body == body
    assert result.sha256 == hashlib.sha256(body).hexdigest()
    assert result.etag == '"v1"'
    assert result.content_type == "application/rss+xml; charset=utf-8"
    assert "content-type" in result.headers
    assert not result.not_modified
    assert result.elapsed >= 0
    page = to_page(result)
    assert (page.url, page.body, page.content_type) == (URL, body, result.content_type)


def test_user_agent_is_sent() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["user-agent"])
        return httpx.Response(200, content=b"ok")

    with client_for(handler) as client:
        fetch(client, URL, max_bytes=100)
    assert seen == [UA]


def test_304_sends_conditional_headers_and_returns_empty_body() -> None:
    seen: dict[str, str | None] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen["inm"] = request.headers.get("if-none-match")
        seen["ims"] = request.headers.get("if-modified-since")
        return httpx.Response(304, headers={"ETag": '"v1"'}, content=b"")

    stamp = "Thu, 30 Jan 2025 01:00:00 GMT"
    with client_for(handler) as client:
        result = fetch(client, URL, etag='"v1"', last_modified=stamp, max_bytes=100)

    assert seen == {"inm": '"v1"', "ims": stamp}
    assert result.not_modified
    assert result.body == b""


def test_no_conditional_headers_without_validators() -> None:
    seen: list[httpx.Headers] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers)
        return httpx.Response(200, content=b"x")

    with client_for(handler) as client:
        fetch(client, URL, max_bytes=100)
    assert "if-none-match" not in seen[0]
    assert "if-modified-since" not in seen[0]


class EndlessStream(httpx.SyncByteStream):
    """A body that never ends; counts how many chunks were pulled from it."""

    def __init__(self) -> None:
        self.chunks_read = 0

    def __iter__(self) -> Iterator[bytes]:
        while True:
            self.chunks_read += 1
            yield b"x" * 1024


def test_streamed_body_over_cap_raises_without_reading_it_all() -> None:
    stream = EndlessStream()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, stream=stream)

    with client_for(handler) as client, pytest.raises(PageTooLarge):
        fetch(client, URL, max_bytes=10 * 1024)
    # Cap is 10 chunks: reading stops at the 11th, not at the end of an endless body.
    assert stream.chunks_read == 11


def test_declared_content_length_over_cap_raises_before_reading() -> None:
    stream = EndlessStream()

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "999999999"}, stream=stream)

    with client_for(handler) as client, pytest.raises(PageTooLarge):
        fetch(client, URL, max_bytes=1024)
    assert stream.chunks_read == 0


def test_timeout_becomes_fetch_timeout() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with client_for(handler) as client, pytest.raises(FetchTimeout) as info:
        fetch(client, URL, max_bytes=100)
    assert info.value.kind == "timeout"
    assert info.value.url == URL


def test_connection_error_becomes_source_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("name or service not known", request=request)

    with client_for(handler) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, URL, max_bytes=100)
    assert not isinstance(info.value, FetchTimeout)


@pytest.mark.parametrize("status", [404, 500, 503])
def test_error_status_becomes_source_unavailable_naming_the_status(status: int) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, content=b"error page")

    with client_for(handler) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, URL, max_bytes=100)
    assert str(status) in str(info.value)


def test_redirect_is_followed_and_final_url_recorded() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/old":
            return httpx.Response(301, headers={"Location": "https://news.example.org/new"})
        return httpx.Response(200, content=b"moved here")

    with client_for(handler) as client:
        result: FetchResult = fetch(client, "https://news.example.org/old", max_bytes=100)
    assert result.url == "https://news.example.org/old"
    assert result.final_url == "https://news.example.org/new"
    assert result.body == b"moved here"


def test_a_cookie_set_before_a_redirect_goes_with_it_and_with_later_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sent: list[tuple[str, str | None]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append((request.url.path, request.headers.get("cookie")))
        if request.url.path == "/gate":
            headers = {"Location": "https://news.example.org/feed/", "Set-Cookie": "seen=1"}
            return httpx.Response(302, headers=headers)
        return httpx.Response(200, content=b"ok")

    handed: list[str] = []
    take = httpx.Cookies.extract_cookies

    def counting(self: httpx.Cookies, response: httpx.Response) -> None:
        handed.append(response.request.url.path)
        take(self, response)

    monkeypatch.setattr(httpx.Cookies, "extract_cookies", counting)
    with client_for(handler) as client:
        assert fetch(client, "https://news.example.org/gate", max_bytes=100).body == b"ok"
        fetch(client, URL, max_bytes=100)
    assert sent == [("/gate", None), ("/feed/", "seen=1"), ("/feed/", "seen=1")]
    # Only the response that set a cookie went to the standard library's jar.
    assert handed == ["/gate"]


def test_redirect_to_file_scheme_is_rejected() -> None:
    requested: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requested.append(str(request.url))
        return httpx.Response(302, headers={"Location": "file:///etc/passwd"})

    with client_for(handler) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, URL, max_bytes=100)
    assert "non-HTTP" in str(info.value)
    assert requested == [URL]  # the file:// target was never handed to the transport


def test_redirect_loop_becomes_source_unavailable() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        target = "/b" if request.url.path == "/a" else "/a"
        return httpx.Response(302, headers={"Location": target})

    with client_for(handler) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, "https://news.example.org/a", max_bytes=100)
    assert "redirect" in str(info.value)


def test_too_many_redirects_becomes_source_unavailable() -> None:
    hops: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hops.append(request.url.path)
        return httpx.Response(302, headers={"Location": f"/hop{len(hops)}"})

    with client_for(handler) as client, pytest.raises(SourceUnavailable) as info:
        fetch(client, "https://news.example.org/start", max_bytes=100)
    assert "more than 5 redirects" in str(info.value)
    assert len(hops) == 6


def test_non_http_url_is_rejected_up_front() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise AssertionError("transport must not be called")

    with client_for(handler) as client, pytest.raises(SourceUnavailable):
        fetch(client, "ftp://news.example.org/feed", max_bytes=100)
