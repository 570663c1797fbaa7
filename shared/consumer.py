"""The idempotent consumer: each event is handled once in effect, or dead-lettered.

For every message: parse the CloudEvent, validate its data against the declaration, then in
one database transaction record (consumer, source, id) in the inbox and run the handler.
Offsets are committed only after those transactions, so a crash redelivers, and the inbox
turns the redelivery into a no-op. A message that cannot be read or validated, or whose
handler keeps failing, goes to `<topic>.dlq` with the error in its headers, and the partition
moves on.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from kafka.errors import KafkaError
from marshmallow import ValidationError
from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError, OperationalError

from shared import kafka, metrics
from shared.clock import utcnow
from shared.config import Settings
from shared.contracts.registry import lookup
from shared.db import Database
from shared.envelope import Envelope, MalformedEvent
from shared.errors import DomainError
from shared.logs import reset_correlation_id, set_correlation_id

log = logging.getLogger(__name__)
Handler = Callable[[Envelope, Connection], None]
MAX_CONSECUTIVE_INFRA_ERRORS = 50
LAG_INTERVAL_SECONDS = 5.0


@dataclass(frozen=True)
class Subscription:
    """What one consumer group of a service listens to: event type → handler."""

    name: str
    handlers: dict[str, Handler]

    def topics(self, prefix: str) -> list[str]:
        return sorted({lookup(event_type).topic.address(prefix) for event_type in self.handlers})


class Consumer:
    def __init__(self, settings: Settings, db: Database, subscription: Subscription):
        self.settings = settings
        self.db = db
        self.subscription = subscription
        self.group_id = f"{settings.topic_prefix}{settings.service}.{subscription.name}"
        self.inbox = db.tables.inbox
        self._dlq_producer = None
        self._lag_recorded_at = 0.0

    def run(self, stop: threading.Event, *, poll_ms: int = 200) -> None:
        client = kafka.consumer(self.settings, self.group_id)
        topics = self.subscription.topics(self.settings.topic_prefix)
        # Join the group only once the topics' partitions are in the client's metadata: a member
        # that joins earlier is assigned nothing and may wait minutes for the next rebalance.
        while not stop.is_set() and not all(client.partitions_for_topic(topic) for topic in topics):
            stop.wait(0.5)
        client.subscribe(topics)
        try:
            while not stop.is_set():
                try:
                    batches = client.poll(timeout_ms=poll_ms)
                except KafkaError as error:
                    log.warning("poll failed; retrying", extra={"error": type(error).__name__})
                    stop.wait(1.0)
                    continue
                for messages in batches.values():
                    for message in messages:
                        self.process(message)
                if batches:
                    self._commit(client)
        finally:
            client.close(autocommit=False)
            if self._dlq_producer is not None:
                self._dlq_producer.close(timeout=2)

    def _commit(self, client) -> None:
        # A commit that fails (broker away, group rebalanced) is not fatal: the events are
        # already applied, so their redelivery is a no-op in the inbox.
        try:
            client.commit()
        except KafkaError as error:
            log.warning("offset commit failed; events will be redelivered and skipped", extra={"error": type(error).__name__})
            return
        if time.monotonic() - self._lag_recorded_at > LAG_INTERVAL_SECONDS:
            self._record_lag(client)
            self._lag_recorded_at = time.monotonic()

    def process(self, message) -> None:
        try:
            envelope = Envelope.from_kafka(message.headers, message.value)
        except MalformedEvent as error:
            self.dead_letter(message, "malformed", str(error))
            return
        handler = self.subscription.handlers.get(envelope.type)
        if handler is None:
            return  # a type this group does not handle (add-only evolution: new types are ignored)
        try:
            data = lookup(envelope.type).validate(envelope.data, strict=False)
        except ValidationError as error:
            self.dead_letter(message, "schema_invalid", _fields_of(error), envelope.type)
            return
        self._handle_with_retries(message, Envelope(**{**envelope.__dict__, "data": data}), handler)

    def _handle_with_retries(self, message, envelope: Envelope, handler: Handler) -> None:
        token = set_correlation_id(envelope.correlationid)
        try:
            failures = infra_failures = 0
            while True:
                try:
                    self._apply_once(envelope, handler)
                    metrics.EVENTS_PROCESSED.labels(self.settings.service, envelope.type, "applied").inc()
                    return
                except (OperationalError, DBAPIError) as error:
                    if not _is_infrastructure(error):
                        raise
                    # The database is away: not the event's fault, so wait rather than dead-letter it.
                    infra_failures += 1
                    if infra_failures >= MAX_CONSECUTIVE_INFRA_ERRORS:
                        raise
                    log.warning("database unavailable; retrying", extra={"event_type": envelope.type, "error": type(error).__name__})
                    time.sleep(min(0.2 * infra_failures, 5))
                except Exception as error:
                    failures += 1
                    if failures >= self.settings.consumer_max_retries:
                        self.dead_letter(message, "handler_failed", _describe(error), envelope.type)
                        return
                    time.sleep(0.05 * 2**failures)
        finally:
            reset_correlation_id(token)

    def _apply_once(self, envelope: Envelope, handler: Handler) -> None:
        with self.db.transaction() as conn:
            if not self._remember(conn, envelope):
                metrics.EVENTS_PROCESSED.labels(self.settings.service, envelope.type, "duplicate").inc()
                return
            handler(envelope, conn)

    def _remember(self, conn: Connection, envelope: Envelope) -> bool:
        """Record the event in the inbox; False when this consumer has already applied it."""
        dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(self.inbox)
            .values(consumer=self.group_id, event_source=envelope.source, event_id=envelope.id, event_type=envelope.type, processed_at=utcnow())
            .on_conflict_do_nothing()
            .returning(self.inbox.c.event_id)
        )
        # RETURNING, not rowcount: psycopg reports no rowcount for INSERT … ON CONFLICT here.
        return conn.execute(statement).first() is not None

    def dead_letter(self, message, reason: str, error: str, event_type: str | None = None) -> None:
        if self._dlq_producer is None:
            self._dlq_producer = kafka.producer(self.settings)
        headers = list(message.headers or []) + [
            ("dlq_reason", reason.encode()),
            ("dlq_error", error[:500].encode()),
            ("dlq_consumer", self.group_id.encode()),
            ("dlq_source_topic", message.topic.encode()),
            ("dlq_source_partition", str(message.partition).encode()),
            ("dlq_source_offset", str(message.offset).encode()),
            ("dlq_failed_at", utcnow().isoformat().encode()),
        ]
        # A dead letter that Kafka did not take must stop the consumer: committing past it would lose it.
        self._dlq_producer.send(message.topic + ".dlq", key=message.key, value=message.value, headers=headers).get(timeout=30)
        metrics.EVENTS_DEAD_LETTERED.labels(self.settings.service, event_type or "unknown").inc()
        log.warning(
            "event dead-lettered",
            extra={"event_type": event_type, "topic": message.topic, "partition": message.partition, "offset": message.offset, "error": reason},
        )

    def _record_lag(self, client) -> None:
        try:
            assigned = list(client.assignment())
            ends = client.end_offsets(assigned) if assigned else {}
            for tp in assigned:
                position = client.position(tp)
                metrics.CONSUMER_LAG.labels(self.settings.service, tp.topic, str(tp.partition)).set(max(ends.get(tp, position) - position, 0))
        except KafkaError:
            pass  # lag is a gauge for operators; the next round measures it again


def _is_infrastructure(error: DBAPIError) -> bool:
    return bool(getattr(error, "connection_invalidated", False)) or isinstance(error, OperationalError)


def _fields_of(error: ValidationError) -> str:
    """The names of the invalid fields and the rule each broke; never the values."""
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return "; ".join(f"{name}: {' '.join(map(str, problems)) if isinstance(problems, list) else 'invalid'}" for name, problems in messages.items())


def _describe(error: Exception) -> str:
    if isinstance(error, DomainError):
        return f"{type(error).__name__}: {error.rule}: {error.detail}"
    return type(error).__name__  # database and library messages can carry values

