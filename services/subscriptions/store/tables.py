"""The subscriptions service's tables: outside systems' webhook subscriptions, one delivery
row per event each subscription is to receive (what it is, never what the receiver answered),
keyed hashes of the participants erased, and the wrapped keys of the service (shared.data_keys)."""

from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, MetaData, String, Table, Text, UniqueConstraint

from shared import data_keys

metadata = MetaData()
ID = 64

subscriptions = Table(
    "subscriptions",
    metadata,
    Column("id", String(36), primary_key=True),
    Column("owner", String(ID), nullable=False, index=True),  # the token subject of the system that created it
    Column("sink", String(2000), nullable=False),
    Column("protocol", String(10), nullable=False),
    Column("types", Text, nullable=False),  # JSON list of event types; empty: all
    Column("regions", Text, nullable=False),  # JSON list of region codes; empty: all, and events without a region
    Column("status", String(10), nullable=False),  # active | paused
    Column("paused_reason", String(200)),
    # Sealed, each with its own data key wrapped by the key-encryption key (store.secrets).
    Column("secret", Text, nullable=False),
    Column("previous_secret", Text),
    Column("previous_secret_until", DateTime(timezone=True)),
    Column("validated_at", DateTime(timezone=True)),  # when the sink answered the validation handshake
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

deliveries = Table(
    "deliveries",
    metadata,
    # Its order is the order events were consumed in: a key's deliveries go out by it.
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("subscription_id", String(36), nullable=False),
    Column("event_id", String(100), nullable=False),
    Column("event_type", String(200), nullable=False),
    Column("event_time", DateTime(timezone=True), nullable=False),
    Column("ordering_key", String(300), nullable=False),  # topic and partition key of the event
    # The CloudEvent in structured JSON, as it is sent; emptied after the retention, or on erasure.
    Column("payload", Text, nullable=False),
    Column("status", String(10), nullable=False),  # pending | delivered | erased
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("first_attempt_at", DateTime(timezone=True)),
    Column("lease_until", DateTime(timezone=True)),  # the claim of the worker sending it; expires with it
    Column("last_status_code", Integer),
    Column("last_error", String(100)),  # the kind of failure, never the receiver's words
    Column("last_latency_ms", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    UniqueConstraint("subscription_id", "event_id", name="uq_deliveries_subscription_event"),
    Index("ix_deliveries_pending", "status", "subscription_id", "id"),
    Index("ix_deliveries_subscription_time", "subscription_id", "event_time"),
)

# Participants erased, by a keyed hash of their opaque id (never the id): an event naming one that
# arrives after the erasure is recorded erased, never sent (usecases.erasure).
erased_participants = Table(
    "erased_participants",
    metadata,
    Column("participant_hash", String(ID), primary_key=True),
    Column("erased_at", DateTime(timezone=True), nullable=False),
)

keys = data_keys.table(metadata)  # the service key of those hashes
