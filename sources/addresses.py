"""Address policy: a public source may not reach into the local network.

A host is resolved before each request (every redirect hop included) and refused when any of
its addresses is loopback, private, link-local or otherwise not globally routable. Sources
whose own URL is local (tests, the demo site) opt out with ``allow_local``.

Resolution and connection are separate steps, so a hostile DNS server could still answer
differently the second time (rebinding); that needs a resolving transport, not done here.
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


def check_public(url: httpx.URL, *, resolver: Resolver, requested: str) -> None:
    """Raise SourceUnavailable (kind ``blocked_address``) when ``url``'s host is local."""
    host = url.host
    port = url.port or (443 if url.scheme == "https" else 80)
    if host.lower().rstrip(".") in _LOCAL_NAMES:
        addresses = ["127.0.0.1"]
    else:
        try:
            addresses = [str(ipaddress.ip_address(host))]
        except ValueError:
            addresses = resolver(host, port)
    for address in addresses:
        if not is_public_address(address):
            raise SourceUnavailable(
                requested,
                f"refusing {url.scheme}://{host}: it resolves to non-public address {address}",
                kind=BLOCKED_ADDRESS,
            )
