"""A sink's host resolved to addresses and checked against the sink rules (domain.sinks)."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from services.subscriptions.domain.sinks import SinkRules, check_addresses, check_sink_url
from shared.errors import RuleViolation


def resolve(host: str, port: int) -> list[str]:
    try:
        found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return []
    return sorted({entry[4][0] for entry in found})


def check_sink(url: str, rules: SinkRules) -> None:
    """Raise RuleViolation (field `sink`) unless `url` is a sink Convene may send to now."""
    host = check_sink_url(url, rules)
    parts = urlsplit(url)
    check_addresses(resolve(host, parts.port or (443 if parts.scheme == "https" else 80)), rules)


__all__ = ["RuleViolation", "check_sink", "resolve"]
