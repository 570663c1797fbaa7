"""Consistency tokens: reading your own writes across services (docs/consistency.md).

A write that records events answers with a token naming them (header Convene-Consistency); a
later request to another service may send it back, and that service waits, briefly, until its
consumers have applied those events (shared.api). This module only makes and reads tokens: no I/O.

A token names, for each event type and partition key the write recorded, its last event. Events
of one key travel on one partition in the order they were recorded, and a consumer applies a
partition in order, so once the last is in a consumer's inbox every earlier one of that type and
key is too: a series of 52 sessions of one offer is one entry, not 52.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass

HEADER = "Convene-Consistency"
VERSION = "1"
MAX_EVENTS = 100  # per request, over all its tokens: more is refused, so one request cannot queue a long wait
_TYPE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,199}$")
_ID = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class MalformedToken(ValueError):
    """A Convene-Consistency value that no Convene service made; its message names what is wrong."""


@dataclass(frozen=True)
class Awaited:
    """One event a token names: its type and id (its source is its type's)."""

    type: str
    id: str


def token_for(envelopes: Iterable) -> str | None:
    """The token of the events one transaction recorded (shared.envelope.Envelope, in the order
    recorded); None when it recorded none."""
    last: dict[tuple[str, str | None], str] = {}
    for envelope in envelopes:
        last[(envelope.type, envelope.partitionkey)] = envelope.id
    if not last:
        return None
    entries = sorted({(event_type, event_id) for (event_type, _key), event_id in last.items()})
    payload = json.dumps([list(entry) for entry in entries], separators=(",", ":")).encode()
    return f"{VERSION}.{base64.urlsafe_b64encode(payload).rstrip(b'=').decode()}"


def parse(values: Iterable[str]) -> list[Awaited]:
    """The events named by the Convene-Consistency values of a request (the header may be sent
    more than once, or hold several tokens separated by commas). Raises MalformedToken."""
    awaited: dict[Awaited, None] = {}
    for value in values:
        for token in (part.strip() for part in value.split(",")):
            if not token:
                raise MalformedToken("an empty token")
            for entry in _entries(token):
                awaited[entry] = None
    if len(awaited) > MAX_EVENTS:
        raise MalformedToken(f"names more than {MAX_EVENTS} events")
    return list(awaited)


def _entries(token: str) -> list[Awaited]:
    version, dot, body = token.partition(".")
    if not dot or version != VERSION:
        raise MalformedToken(f"not a version {VERSION} token")
    try:
        document = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)).decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError):
        raise MalformedToken("not readable") from None
    if not isinstance(document, list) or not document:
        raise MalformedToken("names no events")
    entries = []
    for item in document:
        if not (isinstance(item, list) and len(item) == 2 and all(isinstance(part, str) for part in item)):
            raise MalformedToken("an entry is not [type, id]")
        event_type, event_id = item
        if not _TYPE.match(event_type) or not _ID.match(event_id):
            raise MalformedToken("an entry's type or id is not well formed")
        entries.append(Awaited(event_type, event_id))
    return entries
