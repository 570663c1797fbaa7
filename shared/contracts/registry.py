"""Event declarations: each event type is declared once, with its data schema and key.

A declaration is the single source for publishing (validation before the outbox), consuming
(validation before a handler), JSON Schema export and the AsyncAPI contract.
"""

from __future__ import annotations

from dataclasses import dataclass

from marshmallow import EXCLUDE, RAISE, Schema, ValidationError

from shared.schemas import instance


@dataclass(frozen=True)
class Topic:
    """A Kafka topic Convene owns. `name` is without the environment prefix."""

    name: str
    owner: str
    key: str
    description: str
    compacted: bool = False
    retention_ms: int = 30 * 24 * 3600 * 1000

    def address(self, prefix: str) -> str:
        return prefix + self.name

    def dead_letter_address(self, prefix: str) -> str:
        return prefix + self.name + ".dlq"

    def configs(self) -> dict[str, str]:
        """The topic's own configs, whatever the cluster: compaction or time retention."""
        if self.compacted:
            return {"cleanup.policy": "compact", "min.compaction.lag.ms": "0"}
        return {"cleanup.policy": "delete", "retention.ms": str(self.retention_ms)}

    def dead_letter_configs(self) -> dict[str, str]:
        """Its dead-letter topic's: kept as long as the source's events (even when the source is
        compacted), so a redrive finds them."""
        return {"cleanup.policy": "delete", "retention.ms": str(self.retention_ms)}


# With acks=all, a write is acknowledged once this many replicas have it: a topic of three
# replicas stays writable with one broker away and loses nothing it acknowledged.
MIN_INSYNC_REPLICAS = 2


def replica_configs(replication: int) -> dict[str, str]:
    """Configs every topic (and dead-letter topic) of `replication` replicas is created with."""
    if replication <= 1:
        return {}  # one replica: the broker's default (1) is the only possible value
    return {"min.insync.replicas": str(min(MIN_INSYNC_REPLICAS, replication - 1))}


@dataclass(frozen=True)
class EventType:
    """One versioned event type: `org.convene.<service>.<subject>.<action>.v<N>`."""

    type: str
    topic: Topic
    schema: type[Schema]
    key_field: str
    description: str
    subject_field: str | None = None

    @property
    def source(self) -> str:
        return f"/convene/{self.topic.owner}"

    def validate(self, data: dict, *, strict: bool = True) -> dict:
        """Return the data as the schema loads it; raise ValidationError naming the fields.

        Producers validate strictly; consumers pass strict=False so that fields added later
        (add-only evolution) are ignored rather than dead-lettered.
        """
        return instance(self.schema, unknown=RAISE if strict else EXCLUDE).load(data)

    def key_of(self, data: dict) -> str:
        return str(data[self.key_field])


_EVENTS: dict[str, EventType] = {}
_TOPICS: dict[str, Topic] = {}


def topic(**kwargs) -> Topic:
    declared = Topic(**kwargs)
    _TOPICS[declared.name] = declared
    return declared


def declare(
    type: str, topic: Topic, schema: type[Schema], key_field: str, description: str, subject_field=None
) -> EventType:
    if type in _EVENTS:
        raise ValueError(f"event type {type} is declared twice")
    if key_field not in schema().fields:
        raise ValueError(f"{type}: key field {key_field} is not in its schema")
    declared = EventType(type, topic, schema, key_field, description, subject_field or key_field)
    _EVENTS[type] = declared
    return declared


def event_types() -> dict[str, EventType]:
    _load_all()
    return dict(_EVENTS)


def topics() -> dict[str, Topic]:
    _load_all()
    return dict(_TOPICS)


def lookup(type: str) -> EventType | None:
    _load_all()
    return _EVENTS.get(type)


def _load_all() -> None:
    # Importing the domain modules registers their declarations.
    from shared.contracts import enrolment, feedback, scheduling, subscriptions  # noqa: F401


__all__ = ["EventType", "Topic", "ValidationError", "declare", "event_types", "lookup", "topic", "topics"]
