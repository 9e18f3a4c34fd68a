"""Address policy: a public source may not reach into the local network.

A host is resolved before each request (every redirect hop included) and refused when any of
its addresses is loopback, private, link-local or otherwise not globally routable. Sources
whose own URL is local (tests, the demo site) opt out with ``allow_local``.

DNS rebinding (a hostile DNS server answering a public address to the check and a local one
to the connection) is closed on the production client by sources/guarded_backend.py: every
TCP connection resolves the host once, checks those addresses with the same rule and connects
to exactly them. Not covered: through a proxy (``HTTP(S)_PROXY``/``ALL_PROXY`` with
``trust_env``) the proxy resolves and connects to the target, so only the per-request check
below applies and the rebinding gap stays open there; the proxy's own address is never
blocked. Origins registered as local-allowed are not checked at connect time at all.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable

import httpx

from sources.errors import SourceUnavailable

# host, port -> the addresses the host resolves to ([] when it does not resolve).
Resolver = Callable[[str, int], list[str]]

BLOCKED_ADDRESS = "blocked_address"
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


def system_resolver(host: str, port: int) -> list[str]:
    """Resolve with the operating system; a name that does not resolve gives ``[]`` (the
    request then fails with the client's own connection error)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return [str(info[4][0]) for info in infos]


def is_public_address(address: str) -> bool:
    """True for a globally routable unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback literals (127.0.0.0/8, ::1)."""
    if host.lower().rstrip(".") in _LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def addresses_of(host: str, port: int, resolver: Resolver) -> list[str]:
    """What ``host`` stands for: itself when an IP literal, loopback for the local names
    (never asked of a resolver, which could say otherwise), else the resolver's answer."""
    if host.lower().rstrip(".") in _LOCAL_NAMES:
        return ["127.0.0.1", "::1"]
    try:
        return [str(ipaddress.ip_address(host))]
    except ValueError:
        return resolver(host, port)


def blocked(url: httpx.URL, address: str, requested: str) -> SourceUnavailable:
    """The error for ``url`` refused because its host resolves to local ``address``."""
    return SourceUnavailable(
        requested,
        f"refusing {url.scheme}://{url.host}: it resolves to non-public address {address}",
        kind=BLOCKED_ADDRESS,
    )


def port_of(url: httpx.URL) -> int:
    """The TCP port a request for ``url`` connects to."""
    return url.port or (443 if url.scheme == "https" else 80)


def check_public(url: httpx.URL, *, resolver: Resolver, requested: str) -> None:
    """Raise SourceUnavailable (kind ``blocked_address``) when ``url``'s host is local."""
    for address in addresses_of(url.host, port_of(url), resolver):
        if not is_public_address(address):
            raise blocked(url, address, requested)
