"""Transactional outbox: events are written in the same transaction as the state they describe.

The relay (shared.relay) publishes them afterwards; a crash between commit and publish
loses nothing, because the rows wait in the table until Kafka has acknowledged them.
"""
from __future__ import annotations

import json
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Table, insert

from shared.contracts.registry import EventType
from shared.envelope import Envelope
from shared.logs import current_correlation_id
from shared.schemas import instance
from shared.tracing import current_traceparent


class Outbox:
    def __init__(self, table: Table, topic_prefix: str):
        self.table = table
        self.topic_prefix = topic_prefix
        self._insert = insert(table)

    def record(self, conn: Connection, event_type: EventType, data: dict, *, region: str | None = None) -> Envelope:
        """Validate `data` against the declaration and queue it; raises ValidationError if it does not fit."""
        loaded = event_type.validate(data)
        payload = instance(event_type.schema).dump(loaded)
        envelope = Envelope(
            type=event_type.type,
            source=event_type.source,
            data=payload,
            subject=str(payload[event_type.subject_field]),
            partitionkey=event_type.key_of(payload),
            region=region or payload.get("region"),
            correlationid=current_correlation_id(),
            traceparent=current_traceparent(),
        )
        # Values as parameters of a bare INSERT, not .values(): the statement then compiles once.
        conn.execute(
            self._insert,
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


_BOUND: WeakKeyDictionary[Engine, Outbox] = WeakKeyDictionary()


def bind(engine: Engine, outbox: Outbox) -> None:
    """Make `outbox` the one that transactions on `engine` record their events in."""
    _BOUND[engine] = outbox


def record(conn: Connection, event_type: EventType, data: dict, *, region: str | None = None) -> Envelope:
    """Queue an event in the outbox of the database `conn` belongs to. Event handlers use
    this: they are given only the transaction, and the events they cause belong in it."""
    return _BOUND[conn.engine].record(conn, event_type, data, region=region)
