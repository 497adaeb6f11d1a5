"""Where deliveries may go: a subscription's URL must resolve to public addresses only,
unless the operator allows a network (``WEBHOOK_ALLOW_NETWORKS``), so nobody with a write
token can make the worker call the machine's own services or its private network.

The check runs when a URL is subscribed and again before every attempt (a name may
resolve elsewhere later). Deliveries never follow redirects and use no proxy
(api/webhooks/delivery.py), so the address checked is the one called, except for a name
whose answer changes between the check and the connection (DNS rebinding within a
fraction of a second).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from urllib.parse import urlsplit

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def networks(allowed: Iterable[str]) -> list[Network]:
    """``WEBHOOK_ALLOW_NETWORKS`` read: a ValueError naming the setting for a bad entry."""
    try:
        return [ipaddress.ip_network(network, strict=False) for network in allowed]
    except ValueError as error:
        raise ValueError(f"WEBHOOK_ALLOW_NETWORKS: {error}") from None


def _public(address: Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def refusal(url: str, allowed: Iterable[str]) -> str | None:
    """Why ``url`` (an http(s) URL) may not receive deliveries, or None when it may."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        return "The port must be a number from 1 to 65535."
    host = parts.hostname or ""
    try:
        found = socket.getaddrinfo(host, port or 443, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        return f"The host '{host}' does not resolve to an address."
    exceptions = networks(allowed)
    for *_, sockaddr in found:
        address = ipaddress.ip_address(str(sockaddr[0]).partition("%")[0])
        if not _public(address) and not any(address in network for network in exceptions):
            return (f"The host '{host}' resolves to {address}, a private, loopback or "
                    "link-local address: deliveries go to public addresses only.")
    return None
