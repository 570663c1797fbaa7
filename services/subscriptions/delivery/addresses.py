"""A sink's host resolved to addresses and checked against the sink rules (domain.sinks): the
address a delivery connects to is one of those checked, never a second DNS answer."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from services.subscriptions.domain.sinks import SinkRules, check_addresses, check_sink_url
from shared.errors import RuleViolation


@dataclass(frozen=True)
class Target:
    """Where to send: the sink's URL (its host name stays the Host header and the TLS server
    name) and the checked address the connection goes to."""

    url: str
    address: str


def resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({entry[4][0] for entry in found})


def check_sink(url: str, rules: SinkRules) -> Target:
    """The sink's target if `url` is a sink Convene may send to now; else RuleViolation (field
    `sink`). Every address the host resolves to is checked; the first of them is connected to."""
    host = check_sink_url(url, rules)
    parts = urlsplit(url)
    addresses = resolve(host, parts.port or (443 if parts.scheme == "https" else 80))
    check_addresses(addresses, rules)
    return Target(url, addresses[0])


__all__ = ["RuleViolation", "Target", "check_sink", "resolve"]
