"""Tables every service has beside its own: outbox, inbox, relay lease, idempotency keys."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text


def _table(metadata: MetaData, name: str, *columns) -> Table:
    return metadata.tables.get(name) if name in metadata.tables else Table(name, metadata, *columns)


class SharedTables:
    def __init__(self, metadata: MetaData):
        self.outbox = _table(
            metadata,
            "outbox",
            # BigInteger with a SQLite variant: an INTEGER PRIMARY KEY autoincrements there.
            Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
            Column("event_id", String(36), nullable=False, unique=True),
            Column("event_type", String(200), nullable=False),
            Column("topic", String(200), nullable=False),
            Column("key", String(200), nullable=False),
            Column("headers", Text, nullable=False),
            Column("value", Text, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False),
            Column("published_at", DateTime(timezone=True)),
            Index("ix_outbox_unpublished", "published_at", "id"),
        )
        self.inbox = _table(
            metadata,
            "inbox",
            Column("consumer", String(100), primary_key=True),
            Column("event_source", String(200), primary_key=True),
            Column("event_id", String(100), primary_key=True),
            Column("event_type", String(200), nullable=False),
            Column("processed_at", DateTime(timezone=True), nullable=False, index=True),
        )
        self.relay_lease = _table(
            metadata,
            "relay_lease",
            Column("name", String(100), primary_key=True),
            Column("holder", String(100), nullable=False),
            Column("expires_at", DateTime(timezone=True), nullable=False),
        )
        self.audit = _table(
            metadata,
            "audit_log",
            Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
            Column("at", DateTime(timezone=True), nullable=False),
            Column("subject", String(200), nullable=False),
            Column("role", String(40), nullable=False),
            Column("region", String(10), index=True),
            Column("action", String(10), nullable=False),
            Column("route", String(200), nullable=False),
            Column("record_id", String(100), index=True),
            Column("status", Integer, nullable=False),
            Column("correlation_id", String(100)),
        )
        self.idempotency = _table(
            metadata,
            "idempotency_keys",
            Column("subject", String(200), primary_key=True),
            Column("key", String(200), primary_key=True),
            Column("fingerprint", String(64), nullable=False),
            Column("status", Integer, nullable=False),
            Column("body", Text, nullable=False),
            Column("created_at", DateTime(timezone=True), nullable=False, index=True),
        )
