"""The production client over a real loopback server: one kept-alive connection serves a
source's conditional requests, whether the answer is a body or a 304."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sources.fetcher import Fetcher
from tradewatch.sitehost import send_body, serving

BODY = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
ETAG = '"v1"'


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    connections = 0


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real sites
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1  # once per TCP connection, however many requests

    def log_message(self, format: str, *args: object) -> None:
        return

    def do_GET(self) -> None:
        if self.headers.get("If-None-Match") == ETAG:
            send_body(self, 304, b"", {"ETag": ETAG})
        else:
            send_body(self, 200, BODY, {"ETag": ETAG, "Content-Type": "application/rss+xml"})


@pytest.fixture
def server() -> Iterator[_Server]:
    with serving(_Server(("127.0.0.1", 0), _Handler), name="keepalive") as httpd:
        assert isinstance(httpd, _Server)
        yield httpd


def test_not_modified_answers_leave_the_connection_open_for_the_next_request(
    server: _Server,
) -> None:
    url = f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    fetcher = Fetcher(
        user_agent="tradewatch-test/1.0", timeout=5, max_bytes=10_000, obey_robots=False
    )
    with fetcher:
        first = fetcher.get(url, allow_local=True)
        unchanged = [fetcher.get(url, etag=ETAG, allow_local=True) for _ in range(3)]
        again = fetcher.get(url, allow_local=True)

    assert first.body == BODY and again.body == BODY
    assert [r.status for r in unchanged] == [304, 304, 304]
    assert all(r.not_modified and r.body == b"" for r in unchanged)
    # Five requests over one connection: a 304 read to its end hands the connection back.
    assert server.connections == 1
