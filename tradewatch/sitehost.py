"""Serve a directory of sample pages on 127.0.0.1, like a small news site.

Used by ``tradewatch demo`` and by the tests (never the internet). ``{{BASE_URL}}`` in served
text files is replaced with the server's own address, so feeds can link to its pages. ETag and
Last-Modified are sent and conditional requests answered with 304, as real sites do.
Routes can be overridden at run time (``site.override(path, status=..., body=...)``) to
simulate faults.
"""

from __future__ import annotations

import hashlib
import mimetypes
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

_TEXT_TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/xml; charset=utf-8"}
_STARTED = formatdate(time.time() - 3600, usegmt=True)


@dataclass
class Override:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


class SampleSite:
    """A running loopback site. Use ``serve_directory`` to start one."""

    def __init__(self, root: Path, server: ThreadingHTTPServer) -> None:
        self.root = root
        self._server = server
        self.overrides: dict[str, Override] = {}
        self.requests: list[tuple[str, str, dict[str, str]]] = []  # (method, path, headers)
        self._lock = threading.Lock()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def override(self, path: str, **kwargs: object) -> None:
        self.overrides["/" + path.lstrip("/")] = Override(**kwargs)  # type: ignore[arg-type]

    def clear_overrides(self) -> None:
        self.overrides.clear()

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    def paths_requested(self) -> list[str]:
        with self._lock:
            return [path for _method, path, _headers in self.requests]

    def render(self, relpath: str) -> bytes | None:
        target = (self.root / relpath.lstrip("/")).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_relative_to(self.root.resolve()) or not target.is_file():
            return None
        data = target.read_bytes()
        if target.suffix in _TEXT_TYPES:
            data = data.replace(b"{{BASE_URL}}", self.base_url.encode())
        return data

    def record(self, method: str, path: str, headers: dict[str, str]) -> None:
        with self._lock:
            self.requests.append((method, path, headers))


class _SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    site: SampleSite


class _Handler(BaseHTTPRequestHandler):
    server_version = "SampleSite/1"
    server: _SiteServer

    def log_message(self, format: str, *args: object) -> None:
        return  # keep test and demo output clean

    def do_GET(self) -> None:
        site = self.server.site
        path = urlsplit(self.path).path
        site.record("GET", path, {k.lower(): v for k, v in self.headers.items()})
        override = site.overrides.get(path)
        if override is not None:
            if override.delay:
                time.sleep(override.delay)
            self._send(override.status, override.body, override.headers)
            return
        body = site.render(path)
        if body is None:
            self._send(404, b"not found", {"Content-Type": "text/plain"})
            return
        etag = '"' + hashlib.sha256(body).hexdigest()[:16] + '"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", {"ETag": etag})
            return
        ctype = _TEXT_TYPES.get(Path(path).suffix) or (
            mimetypes.guess_type(path)[0] or "text/html; charset=utf-8"
        )
        self._send(200, body, {"Content-Type": ctype, "ETag": etag, "Last-Modified": _STARTED})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        send_body(self, status, body, headers)


def send_body(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, headers: dict[str, str]
) -> None:
    """Answer with ``status``, ``headers``, a Content-Length and ``body``."""
    handler.send_response(status)
    for key, value in headers.items():
        handler.send_header(key, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    if body:
        handler.wfile.write(body)


@contextmanager
def serving(server: ThreadingHTTPServer, *, name: str) -> Iterator[ThreadingHTTPServer]:
    """Run ``server`` on a daemon thread until the block exits; then stop and close it."""
    thread = threading.Thread(target=server.serve_forever, name=name, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serve_directory(root: Path, *, host: str = "127.0.0.1", port: int = 0) -> Iterator[SampleSite]:
    """Serve ``root`` on ``host`` (a free port by default) until the block exits."""
    server = _SiteServer((host, port), _Handler)
    site = SampleSite(root, server)
    server.site = site
    with serving(server, name="sample-site"):
        yield site
