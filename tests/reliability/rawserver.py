"""A TCP server on 127.0.0.1 that answers every connection with a scripted byte sequence.

The sample site (``tradewatch.sitehost``) always sends a correct ``Content-Length``; the faults
here need what a correct server never does: stall mid-body, close early, drip forever, or never
accept at all. Every stall waits on ``stop`` so that teardown ends it at once.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field

Script = Callable[[socket.socket, threading.Event], None]


@dataclass
class RawServer:
    port: int
    stop: threading.Event
    connections: list[socket.socket] = field(default_factory=list)

    def url(self, path: str = "feed.xml") -> str:
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}"


def read_request(conn: socket.socket) -> bytes:
    """Read up to the end of the request head (enough for a GET)."""
    data = b""
    conn.settimeout(5)
    with suppress(OSError):
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(4096)
            if not chunk:
                break
            data += chunk
    return data


@contextmanager
def raw_server(script: Script) -> Iterator[RawServer]:
    """Serve ``script(conn, stop)`` for each connection until the block exits."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    server = RawServer(port=listener.getsockname()[1], stop=threading.Event())

    def handle(conn: socket.socket) -> None:
        with conn, suppress(OSError):
            request = read_request(conn)
            if request.startswith(b"GET /robots.txt "):
                # The fault is the feed's, not robots.txt's: "no robots.txt" allows everything.
                conn.sendall(head("404 Not Found", {"Content-Length": "0"}))
                return
            script(conn, server.stop)

    def accept_loop() -> None:
        while not server.stop.is_set():
            try:
                conn, _addr = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            server.connections.append(conn)
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept_loop, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()
        thread.join(timeout=5)
        listener.close()


@contextmanager
def unaccepting_port() -> Iterator[int]:
    """A listening port whose accept queue is full: new connections hang in SYN-SENT.

    Linux drops SYNs once the backlog (``listen(0)`` allows one) is full and nothing calls
    ``accept``; the filler connections are made non-blocking so they need not complete.
    """
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    fillers: list[socket.socket] = []
    try:
        for _ in range(4):
            filler = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            filler.setblocking(False)
            with suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def head(status: str = "200 OK", headers: dict[str, str] | None = None) -> bytes:
    lines = [f"HTTP/1.1 {status}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join([*lines, "Connection: close", "", ""])).encode()


def stall_mid_body(conn: socket.socket, stop: threading.Event) -> None:
    """Promise 10,000 bytes, send 100, then say nothing until stopped."""
    conn.sendall(head(headers={"Content-Type": "application/xml", "Content-Length": "10000"}))
    conn.sendall(b"<?xml version='1.0'?><rss version='2.0'><channel>" + b" " * 50)
    stop.wait(30)


def truncated_body(conn: socket.socket, stop: threading.Event) -> None:
    """Promise 10,000 bytes, send a short feed, then close the connection."""
    del stop
    body = b"<?xml version='1.0'?><rss version='2.0'><channel><title>cut</title>"
    conn.sendall(head(headers={"Content-Type": "application/xml", "Content-Length": "10000"}))
    conn.sendall(body)


def endless_body(conn: socket.socket, stop: threading.Event) -> None:
    """A chunked body that never ends (until the client goes away or the test stops)."""
    conn.sendall(head(headers={"Content-Type": "application/xml", "Transfer-Encoding": "chunked"}))
    start = b"<?xml version='1.0'?><rss version='2.0'><channel>"
    conn.sendall(f"{len(start):x}\r\n".encode() + start + b"\r\n")
    block = b"<item><title>" + b"x" * 16_000 + b"</title></item>"
    chunk = f"{len(block):x}\r\n".encode() + block + b"\r\n"
    while not stop.is_set():
        conn.sendall(chunk)


def drip_body(conn: socket.socket, stop: threading.Event, *, seconds: float = 8.0) -> None:
    """A chunked body that sends one byte every 0.2 s: never idle long enough for a read
    timeout, so only an overall deadline ends it. Gives up after ``seconds``."""
    conn.sendall(head(headers={"Content-Type": "application/xml", "Transfer-Encoding": "chunked"}))
    for _ in range(int(seconds / 0.2)):
        if stop.wait(0.2):
            return
        conn.sendall(b"1\r\n \r\n")
    conn.sendall(b"0\r\n\r\n")
