"""Where a subscription may send: server-side request forgery rules for a sink URL.

Checked when a subscription is created and again before every delivery, on the addresses its
host resolves to then (DNS can change between the two). A sink must be HTTPS unless plain HTTP
is allowed (local development), and none of its addresses may be private, loopback,
link-local, multicast, reserved or unspecified unless private addresses are allowed (tests
with a receiver on loopback).
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


def refused_address(address: str) -> str | None:
    """Why `address` may not be a sink's (private, loopback ...), or None when it is a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:127.0.0.1 is loopback too
    for reason, refused in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("private", ip.is_private),
        ("reserved", ip.is_reserved),
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
