"""Local receivers for the delivery tests: a JSON webhook and an SMTP server on 127.0.0.1."""

from __future__ import annotations

import json
import queue
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, cast

from aiosmtpd.controller import Controller

from tradewatch.sitehost import serving


@dataclass(frozen=True)
class WebhookRequest:
    path: str
    payload: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@contextmanager
def webhook_receiver(
    statuses: Sequence[int] = (),
) -> Iterator[tuple[int, queue.Queue[WebhookRequest]]]:
    """An HTTP server on a random port that queues each POSTed JSON body (with its headers)
    and answers 200, or, for the first POSTs, the codes in ``statuses`` one by one."""
    received: queue.Queue[WebhookRequest] = queue.Queue()
    answers = list(statuses)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length))
            headers = dict(self.headers.items())
            received.put(WebhookRequest(path=self.path, payload=payload, headers=headers))
            with lock:
                status = answers.pop(0) if answers else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:  # stdlib signature
            pass  # keep test output quiet

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler), name="webhook") as server:
        yield server.server_address[1], received


def free_port() -> int:
    """A port nothing listens on right now (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return cast(int, sock.getsockname()[1])


class _Collect:
    def __init__(self) -> None:
        self.messages: queue.Queue[EmailMessage] = queue.Queue()

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        self.messages.put(message)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[tuple[int, queue.Queue[EmailMessage]]]:
    """An aiosmtpd server on 127.0.0.1 at a free port, without TLS; yields (port, inbox)."""
    handler = _Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port, handler.messages
    finally:
        controller.stop()
