"""Where a subscription may send: server-side request forgery rules for a sink URL.

Checked when a subscription is created and again before every delivery, on the addresses its
host resolves to then (DNS can change between the two); the delivery then connects to the very
address it checked (delivery.http), so no second DNS answer slips in between. A sink must be
HTTPS unless plain HTTP is allowed (local development), and every one of its addresses must be
globally routable: not private, loopback, link-local, CGNAT, multicast, reserved, benchmarking,
unspecified or unique-local, nor an IPv6 address that carries such an IPv4 address (mapped,
compatible, 6to4, NAT64) or a Teredo tunnel, unless private addresses are allowed (tests with
a receiver on loopback).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from shared.errors import RuleViolation

MAX_SINK_LENGTH = 2000


@dataclass(frozen=True)
class SinkRules:
    allow_http: bool
    allow_private_addresses: bool


def check_sink_url(url: str, rules: SinkRules) -> str:
    """The host of `url`, if the URL itself is one a subscription may name; else a RuleViolation."""
    if len(url) > MAX_SINK_LENGTH:
        raise RuleViolation("sink_invalid", f"the sink URL is longer than {MAX_SINK_LENGTH} characters", field="sink")
    parts = urlsplit(url)
    allowed_schemes = ("https", "http") if rules.allow_http else ("https",)
    if parts.scheme not in allowed_schemes:
        raise RuleViolation("sink_not_https", "the sink URL must start with https://", field="sink")
    if not parts.hostname:
        raise RuleViolation("sink_invalid", "the sink URL has no host", field="sink")
    if parts.username is not None or parts.password is not None:
        raise RuleViolation("sink_invalid", "the sink URL may not carry a user name or password", field="sink")
    if parts.fragment:
        raise RuleViolation("sink_invalid", "the sink URL may not have a fragment", field="sink")
    try:
        parts.port  # noqa: B018  (urlsplit checks the port only when asked)
    except ValueError:
        raise RuleViolation(
            "sink_invalid", "the sink URL's port is not a number from 0 to 65535", field="sink"
        ) from None
    return parts.hostname


# Ranges Python's `is_global` still calls global, or whose meaning is an IPv4 address inside.
_IETF_PROTOCOL = ipaddress.ip_network("192.0.0.0/24")  # protocol assignments (DS-Lite, NAT64 discovery ...)
_SIX_TO_FOUR_RELAY = ipaddress.ip_network("192.88.99.0/24")  # deprecated 6to4 relay anycast
_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_TEREDO = ipaddress.ip_network("2001::/32")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries to be reached at: IPv4-mapped (::ffff:a.b.c.d),
    IPv4-compatible (::a.b.c.d), 6to4 (2002:aabb:ccdd::) or NAT64 (64:ff9b::a.b.c.d). A
    connection to it reaches that IPv4 address, so that is the address to judge."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip in _IPV4_COMPATIBLE or any(ip in network for network in _NAT64):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def refused_address(address: str) -> str | None:
    """Why `address` may not be a sink's (private, loopback ...), or None when it is a public one.
    Every address must be globally routable; one that carries an IPv4 address is judged by that too."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip in _TEREDO:
            return "Teredo"  # a tunnel whose far end Convene cannot judge
        inner = embedded_ipv4(ip) if not (ip.is_unspecified or ip.is_loopback) else None
        if inner is not None:
            reason = refused_address(str(inner))
            if reason is not None:
                return f"{reason} (embedded IPv4)"
    for reason, refused in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved or ip in _IETF_PROTOCOL or ip in _SIX_TO_FOUR_RELAY),
        ("not globally routable", not ip.is_global),
    ):
        if refused:
            return reason
    return None


def check_addresses(addresses: list[str], rules: SinkRules) -> None:
    """Every address the sink's host resolves to must be allowed: one refused one refuses the sink."""
    if not addresses:
        raise RuleViolation("sink_unresolvable", "the sink's host name does not resolve", field="sink")
    if rules.allow_private_addresses:
        return
    for address in addresses:
        reason = refused_address(address)
        if reason is not None:
            raise RuleViolation("sink_address_refused", f"the sink's host resolves to a {reason} address", field="sink")
