"""The CloudEvents 1.0 envelope in Kafka binary content mode.

Attributes travel as `ce_*` headers, the data as a JSON value; `source` + `id` is the
deduplication key every consumer uses.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from shared.clock import utcnow

SPEC_VERSION = "1.0"
CONTENT_TYPE = "application/json"
_OPTIONAL_ATTRIBUTES = ("subject", "partitionkey", "region", "correlationid", "traceparent")


class MalformedEvent(ValueError):
    """A Kafka message that is not a Convene CloudEvent (missing header, bad JSON)."""


@dataclass(frozen=True)
class Envelope:
    type: str
    source: str
    data: dict
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    time: datetime = field(default_factory=utcnow)  # shared.clock, so a demo's history carries its own times
    subject: str | None = None
    partitionkey: str | None = None
    region: str | None = None
    correlationid: str | None = None
    traceparent: str | None = None

    @property
    def dedup_key(self) -> tuple[str, str]:
        return (self.source, self.id)

    def headers(self) -> list[tuple[str, bytes]]:
        headers = [
            ("ce_specversion", SPEC_VERSION),
            ("ce_id", self.id),
            ("ce_source", self.source),
            ("ce_type", self.type),
            ("ce_time", self.time.isoformat().replace("+00:00", "Z")),
            ("content-type", CONTENT_TYPE),
        ]
        headers += [(f"ce_{name}", getattr(self, name)) for name in _OPTIONAL_ATTRIBUTES if getattr(self, name)]
        return [(name, value.encode()) for name, value in headers]

    def value(self) -> bytes:
        return json.dumps(self.data, separators=(",", ":"), sort_keys=True).encode()

    @classmethod
    def from_kafka(cls, headers, value: bytes | None) -> Envelope:
        attributes = {name: raw.decode("utf-8", "replace") for name, raw in (headers or []) if raw is not None}
        missing = [h for h in ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time") if h not in attributes]
        if missing:
            raise MalformedEvent(f"missing CloudEvents headers: {', '.join(missing)}")
        if attributes["ce_specversion"] != SPEC_VERSION:
            raise MalformedEvent("unsupported ce_specversion")
        try:
            data = json.loads(value or b"")
            time = datetime.fromisoformat(attributes["ce_time"].replace("Z", "+00:00"))
        except ValueError as error:
            # The message is deliberately not echoed: it may hold personal data.
            raise MalformedEvent(f"unreadable event: {type(error).__name__}") from None
        if not isinstance(data, dict):
            raise MalformedEvent("event data is not a JSON object")
        optional = {name: attributes.get(f"ce_{name}") for name in _OPTIONAL_ATTRIBUTES}
        return cls(
            type=attributes["ce_type"],
            source=attributes["ce_source"],
            id=attributes["ce_id"],
            time=time,
            data=data,
            **optional,
        )
