"""Who the client really is, behind the platform's own proxies.

``X-Forwarded-For`` is believed only when the direct peer is a trusted proxy (the
gateway, the login screen, a load balancer); then the rightmost address that is
not itself trusted is the client. Anything a client writes there itself is
ignored, so it can neither dodge nor frame the per-IP throttles.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def parse_networks(cidrs: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(c, strict=False) for c in cidrs)


def _trusted(address: str, networks: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address.strip())
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_ip(peer: str | None, forwarded_for: str | None, trusted: tuple[str, ...]) -> str | None:
    networks = parse_networks(trusted)
    if peer is None or not forwarded_for or not _trusted(peer, networks):
        return peer
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, networks):
            try:
                return str(ipaddress.ip_address(hop))
            except ValueError:
                return peer  # garbage from upstream: fall back to what we saw
    return hops[0] if hops else peer


def request_ip(connection: HTTPConnection, trusted: tuple[str, ...]) -> str | None:
    """The client of a request (or WebSocket), through our trusted proxies."""
    peer = connection.client.host if connection.client else None
    return client_ip(peer, connection.headers.get("x-forwarded-for"), trusted)
