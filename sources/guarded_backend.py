"""The network backend that closes the DNS-rebinding gap of the address policy.

``check_public`` resolves a host before each request, but httpx would resolve it again when it
connects, and a hostile DNS server can answer a public address the first time and a local one
the second. This backend is what httpcore calls to open every TCP connection of the
production client: it resolves the host once, with the fetcher's resolver, refuses when any
address is not public, and connects to those very address literals, so the OS never looks the
name up again. TLS is unaffected: httpcore hands the origin's hostname to ``start_tls``
separately (``server_hostname``), so SNI and certificate checks still use the name.

Origins of sources allowed to be local (``allow_local``) are registered with
:meth:`GuardedBackend.allow_local` before they are requested; every other origin is checked,
including redirect targets of a local-allowed source.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import httpcore
import httpx

from sources.addresses import Resolver, addresses_of, is_public_address, port_of


class AddressBlocked(httpcore.ConnectError):
    """A connection refused by the address policy. A ``ConnectError``, so httpcore and httpx
    treat it as a failed connect (httpx wraps it: look for it in ``__cause__``)."""

    def __init__(self, host: str, port: int, address: str) -> None:
        self.host, self.port, self.address = host, port, address
        super().__init__(f"refusing {host}:{port}: it resolves to non-public address {address}")


def connect_key(url: httpx.URL) -> tuple[str, int]:
    """The (host, port) httpcore will ask ``connect_tcp`` for when requesting ``url``."""
    return url.raw_host.decode("ascii").lower(), port_of(url)


class GuardedBackend(httpcore.NetworkBackend):
    """Resolves with ``resolver``, refuses non-public addresses, connects to the literals."""

    def __init__(self, resolver: Resolver, inner: httpcore.NetworkBackend | None = None) -> None:
        self._resolver = resolver
        self._inner = inner if inner is not None else httpcore.SyncBackend()
        self._local_ok: set[tuple[str, int]] = set()  # what connect_tcp is asked for
        self._local_origins: set[str] = set()  # the origins those came from, as given
        self._lock = threading.Lock()  # sources are fetched from several threads

    def allow_local(self, origin: str) -> None:
        """Let ``origin`` (``scheme://host[:port]``) be reached on a local address from now
        on. Called before every request of a local source: an origin seen before costs a
        set lookup, not a URL parse."""
        if origin in self._local_origins:
            return
        key = connect_key(httpx.URL(origin))
        with self._lock:
            self._local_ok.add(key)
            self._local_origins.add(origin)

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        addresses = addresses_of(host, port, self._resolver)
        if not addresses:
            raise httpcore.ConnectError(f"{host} does not resolve")
        with self._lock:
            local_ok = (host.lower(), port) in self._local_ok
        if not local_ok:
            for address in addresses:
                if not is_public_address(address):
                    raise AddressBlocked(host, port, address)
        return self._connect_first(addresses, port, timeout, local_address, socket_options)

    def _connect_first(
        self,
        addresses: list[str],
        port: int,
        timeout: float | None,
        local_address: str | None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None,
    ) -> httpcore.NetworkStream:
        """Try each address in the resolver's order; the first that connects wins (what
        ``socket.create_connection`` does with ``getaddrinfo``'s answer)."""
        options = list(socket_options) if socket_options is not None else None
        failure: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        assert failure is not None  # addresses is not empty
        raise failure

    def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.NetworkStream:
        # The fetcher never configures a Unix socket (``uds``); refuse rather than bypass.
        raise httpcore.ConnectError(f"refusing Unix socket {path}")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


def install(client: httpx.Client, backend: GuardedBackend) -> None:
    """Make ``client``'s default transport open its connections through ``backend``.

    httpx 0.28 has no public way to give ``HTTPTransport`` a network backend, and passing our
    own ``transport=`` to ``httpx.Client`` would switch off the proxy environment variables
    (httpx only reads them when ``transport`` is None). So the client is built normally and
    the backend set on its default transport's ``httpcore.ConnectionPool``, which hands it to
    every connection it creates. Proxy transports (mounts) keep their own backend: the proxy
    itself may be local; the target is still checked per request by ``check_public``.
    Fails loudly if a future httpx/httpcore moves these attributes
    (tests/sources/test_rebinding.py checks a real request goes through ``backend``).
    """
    transport = client._transport
    pool = getattr(transport, "_pool", None)
    if type(pool) is not httpcore.ConnectionPool or not hasattr(pool, "_network_backend"):
        raise RuntimeError(
            "cannot install the guarded network backend: httpx's default transport has no "
            "httpcore.ConnectionPool at ._pool._network_backend (httpx/httpcore changed?)"
        )
    pool._network_backend = backend
