"""Transactional outbox: events are written in the same transaction as the state they describe.

The relay (shared.relay) publishes them afterwards; a crash between commit and publish
loses nothing, because the rows wait in the table until Kafka has acknowledged them.
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, Table, bindparam, func, insert, select

from shared.contracts.registry import EventType
from shared.envelope import Envelope
from shared.logs import current_correlation_id
from shared.relay_wakeup import CHANNEL
from shared.schemas import instance
from shared.tracing import current_traceparent


def envelope_of(event_type: EventType, data: dict, region: str | None) -> Envelope:
    """The event as it travels: `data` validated against its declaration and dumped through it."""
    payload = instance(event_type.schema).dump(event_type.validate(data))
    return Envelope(
        type=event_type.type,
        source=event_type.source,
        data=payload,
        subject=str(payload[event_type.subject_field]),
        partitionkey=event_type.key_of(payload),
        region=region or payload.get("region"),
        correlationid=current_correlation_id(),
        traceparent=current_traceparent(),
    )


class Outbox:
    """The outbox table of a service's database."""

    def __init__(self, table: Table, topic_prefix: str):
        self.table = table
        self.topic_prefix = topic_prefix
        self._insert = insert(table)
        self._insert_notifying = _insert_notifying(table)

    def record(self, conn: Connection, event_type: EventType, data: dict, *, region: str | None = None) -> Envelope:
        """Validate `data` against the declaration and queue it; raises ValidationError if it does not fit."""
        envelope = envelope_of(event_type, data, region)
        # Values as parameters of a bare INSERT, not .values(): the statement then compiles once.
        conn.execute(
            self._insert_notifying if conn.dialect.name == "postgresql" else self._insert,
            {
                "event_id": envelope.id,
                "event_type": envelope.type,
                "topic": event_type.topic.address(self.topic_prefix),
                "key": envelope.partitionkey,
                "headers": json.dumps([(name, value.decode()) for name, value in envelope.headers()]),
                "value": envelope.value().decode(),
                "created_at": envelope.time,
            },
        )
        return envelope


_COLUMNS = ("event_id", "event_type", "topic", "key", "headers", "value", "created_at")


def _insert_notifying(table: Table):
    """On PostgreSQL the row is inserted from `SELECT <its values> FROM pg_notify(...)`: the
    INSERT itself queues the relay's wake-up (shared.relay_wakeup), delivered when the
    transaction commits and never for a rollback, the notifications of one transaction folded
    into one by PostgreSQL. No statement or round trip of its own."""
    values = select(*(bindparam(name, type_=table.c[name].type) for name in _COLUMNS))
    return insert(table).from_select(_COLUMNS, values.select_from(func.pg_notify(CHANNEL, "")))


class MemoryOutbox:
    """Keeps the events a unit records in a list: for use cases tested without I/O. Each event
    is validated exactly as the real outbox validates it."""

    def __init__(self):
        self.recorded: list[Envelope] = []

    def record(self, conn, event_type: EventType, data: dict, *, region: str | None = None) -> Envelope:
        envelope = envelope_of(event_type, data, region)
        self.recorded.append(envelope)
        return envelope

    def types(self) -> list[str]:
        return [envelope.type for envelope in self.recorded]
