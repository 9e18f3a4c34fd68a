"""DNS rebinding: the address checked is the address connected to.

Real loopback servers and the production client (no ``transport``). DNS is faked at the
operating-system level (``socket.getaddrinfo`` for ``*.test`` names), so both the fetcher's
default resolver and, were the guard gone, httpx's own lookup at connect time see the same
hostile answers: without the guarded backend these requests would reach the server.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpcore
import httpx
import pytest

from sources.addresses import system_resolver
from sources.errors import ConnectionFailed, SourceUnavailable
from sources.fetch import make_client
from sources.fetcher import Fetcher
from sources.guarded_backend import GuardedBackend, install
from sources.politeness import Politeness
from tradewatch.sitehost import serving

PUBLIC = "93.184.216.34"
_real_getaddrinfo = socket.getaddrinfo


class Server:
    """A loopback HTTP server recording (path, Host header); ``routes`` maps a path to
    ``(status, headers)``, anything else is 200 "ok"."""

    def __init__(
        self, port: int, seen: list[tuple[str, str]], routes: dict[str, tuple[int, dict[str, str]]]
    ) -> None:
        self.port, self.seen, self.routes = port, seen, routes


@pytest.fixture
def server() -> Iterator[Server]:
    seen: list[tuple[str, str]] = []
    routes: dict[str, tuple[int, dict[str, str]]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append((self.path, self.headers.get("Host", "")))
            status, headers = routes.get(self.path, (200, {}))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: object) -> None:  # stdlib signature
            pass

    with serving(ThreadingHTTPServer(("127.0.0.1", 0), Handler), name="rebind") as httpd:
        yield Server(httpd.server_address[1], seen, routes)


class FakeDNS:
    """Answers for ``*.test`` names: ``answers[host]`` is a list of address lists, one per
    lookup (the last repeats); lookups are counted per host."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: dict[str, int] = {}
        self._lock = threading.Lock()

    def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        if not name.endswith(".test"):
            return _real_getaddrinfo(host, port, *args, **kwargs)
        with self._lock:
            count = self.lookups[name] = self.lookups.get(name, 0) + 1
        replies = self.answers.get(name)
        if not replies:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = replies[min(count, len(replies)) - 1]
        return [
            (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in addresses
        ]


@pytest.fixture
def dns(monkeypatch: pytest.MonkeyPatch) -> FakeDNS:
    fake = FakeDNS({})
    monkeypatch.setattr(socket, "getaddrinfo", fake.getaddrinfo)
    return fake


def fetcher(**kwargs: Any) -> Fetcher:
    options: dict[str, Any] = {
        "user_agent": "tradewatch-test",
        "timeout": 5.0,
        "max_bytes": 10_000,
        "obey_robots": False,
        "politeness": Politeness(host_interval=0, max_attempts=1),
    }
    options.update(kwargs)
    return Fetcher(**options)


def test_rebinding_to_loopback_is_blocked_at_connect(server: Server, dns: FakeDNS) -> None:
    # Public for get()'s check and the hop check, loopback once it matters: the connection.
    dns.answers["rebind.test"] = [[PUBLIC], [PUBLIC], ["127.0.0.1"]]
    with fetcher() as f, pytest.raises(SourceUnavailable) as info:
        f.get(f"http://rebind.test:{server.port}/feed")
    assert info.value.kind == "blocked_address"
    assert "refusing http://rebind.test: it resolves to non-public address 127.0.0.1" in str(
        info.value
    )
    assert not isinstance(info.value, ConnectionFailed)  # not retried as a network blip
    assert dns.lookups["rebind.test"] == 3  # the connection was resolved once, by the guard
    assert server.seen == []


def test_connection_goes_to_the_resolved_address_with_the_name_as_host(
    server: Server, dns: FakeDNS
) -> None:
    # The OS does not know the name at all: only the resolver's answer can be connected to.
    # 127.0.0.2 refuses (the server listens on 127.0.0.1 only): first that connects wins.
    calls: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        calls.append(host)
        return ["127.0.0.2", "127.0.0.1"] if host == "fake-public.test" else []

    url = f"http://fake-public.test:{server.port}/feed"
    with fetcher(resolver=resolver) as f:
        assert f.get(url, allow_local=True).body == b"ok"
    assert server.seen == [("/feed", f"fake-public.test:{server.port}")]
    assert calls == ["fake-public.test"]
    assert "fake-public.test" not in dns.lookups


def test_local_source_works_and_its_redirect_to_another_local_host_is_blocked(
    server: Server, dns: FakeDNS
) -> None:
    dns.answers["sneaky.test"] = [["127.0.0.1"]]
    server.routes["/moved"] = (302, {"Location": f"http://sneaky.test:{server.port}/admin"})
    base = f"http://127.0.0.1:{server.port}"
    with fetcher(obey_robots=True) as f:
        assert f.get(f"{base}/feed", allow_local=True).body == b"ok"
        with pytest.raises(SourceUnavailable) as info:
            f.get(f"{base}/moved", allow_local=True)
    assert info.value.kind == "blocked_address"
    assert "sneaky.test" in str(info.value) and "127.0.0.1" in str(info.value)
    assert [path for path, _host in server.seen] == ["/robots.txt", "/feed", "/moved"]


def test_local_permission_is_per_port(server: Server) -> None:
    # Allowing one loopback origin does not open the others on the same address.
    with fetcher() as f:
        f.get(f"http://127.0.0.1:{server.port}/feed", allow_local=True)
        backend = f.client._transport._pool._network_backend  # type: ignore[attr-defined]
    with pytest.raises(httpcore.ConnectError, match=r"non-public address 127\.0\.0\.1"):
        backend.connect_tcp("127.0.0.1", server.port + 1)
    with pytest.raises(httpcore.ConnectError, match=r"non-public address 169\.254\.169\.254"):
        backend.connect_tcp("169.254.169.254", 80)


class SpyBackend(GuardedBackend):
    def __init__(self) -> None:
        super().__init__(system_resolver)
        self.connects: list[tuple[str, int]] = []

    def connect_tcp(self, host: str, port: int, *args: Any, **kwargs: Any) -> Any:
        self.connects.append((host, port))
        return super().connect_tcp(host, port, *args, **kwargs)


def test_the_guarded_backend_is_installed_and_used(server: Server) -> None:
    # Installing reaches into httpx/httpcore internals (client._transport._pool
    # ._network_backend): if a new version moves them, this fails instead of silently
    # leaving the OS to resolve (and rebinding open).
    spy = SpyBackend()
    spy.allow_local(f"http://127.0.0.1:{server.port}")
    with make_client(user_agent="t", timeout=5.0, backend=spy) as client:
        assert client.get(f"http://127.0.0.1:{server.port}/x").status_code == 200
    assert spy.connects == [("127.0.0.1", server.port)]


def test_the_default_client_is_guarded_too(server: Server) -> None:
    with (
        make_client(user_agent="t", timeout=5.0) as client,
        pytest.raises(httpx.ConnectError, match=r"non-public address 127\.0\.0\.1"),
    ):
        client.get(f"http://127.0.0.1:{server.port}/x")
    assert server.seen == []


def test_install_fails_loudly_without_a_connection_pool() -> None:
    client = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(200)))
    with pytest.raises(RuntimeError, match="cannot install"):
        install(client, GuardedBackend(system_resolver))


def test_a_loopback_proxy_still_works(
    server: Server, dns: FakeDNS, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The proxy's own (loopback) address is not blocked; the target is checked per request
    # (check_public) and is the proxy's to resolve. The test server plays the forward proxy.
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{server.port}")
    dns.answers["news.test"] = [[PUBLIC]]
    with fetcher() as f:
        assert f.get("http://news.test/feed").body == b"ok"
    assert server.seen == [("http://news.test/feed", "news.test")]


def test_rebinding_caught_on_the_robots_fetch_keeps_its_kind(server: Server, dns: FakeDNS) -> None:
    # get()'s check and the robots.txt hop check see public; robots.txt's connection is refused.
    dns.answers["rebind.test"] = [[PUBLIC], [PUBLIC], ["127.0.0.1"]]
    with fetcher(obey_robots=True) as f, pytest.raises(SourceUnavailable) as info:
        f.get(f"http://rebind.test:{server.port}/feed")
    assert info.value.kind == "blocked_address"
    assert "non-public address 127.0.0.1" in str(info.value)
    assert server.seen == []
