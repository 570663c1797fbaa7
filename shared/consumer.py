"""The idempotent consumer: each event is handled once in effect, or dead-lettered.

For every message: parse the CloudEvent and validate its data against the declaration; then,
in one database transaction for all the valid events of a poll, record each (consumer, source,
id) in the inbox and run its handler. One transaction per poll rather than per event is what
lets a consumer keep up with the relay (a commit is the dearest step, an fsync on PostgreSQL).
Handlers of that transaction share a batch (shared.batch): a person's erasure looked up once
for the poll, writes a store queues made in one multi-row statement before the commit.
If anything in that transaction fails, it is rolled back whole and the poll's events are
applied again one by one, so a failing event is retried, and dead-lettered, on its own.
Offsets are committed only after the transactions, so a crash redelivers, and the inbox turns
the redelivery into a no-op. A message that cannot be read or validated, or whose handler
keeps failing, goes to `<topic>.dlq` with the error in its headers, and the partition moves on.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from kafka import ConsumerRebalanceListener
from kafka.errors import KafkaError, MessageSizeTooLargeError
from marshmallow import ValidationError
from sqlalchemy import Connection, Table, and_, or_, select
from sqlalchemy.exc import DBAPIError, OperationalError

from shared import kafka, metrics, tracing
from shared.batch import batching, is_batched
from shared.clock import utcnow
from shared.config import Settings
from shared.consistency import Awaited
from shared.contracts.registry import lookup
from shared.db import Database, dialect_insert
from shared.envelope import Envelope, MalformedEvent
from shared.errors import DomainError
from shared.logs import reset_correlation_id, set_correlation_id
from shared.outbox import Outbox
from shared.unit import Unit
from shared.worker_health import beat

log = logging.getLogger(__name__)
Handler = Callable[[Envelope, Unit], None]
MAX_CONSECUTIVE_INFRA_ERRORS = 50
LAG_INTERVAL_SECONDS = 5.0
DEAD_LETTER_HEADERS = {
    "dlq_reason": (
        "Why: `malformed` (not a Convene CloudEvent), `schema_invalid` (data does not fit the declaration) or "
        "`handler_failed`."
    ),
    "dlq_error": "The invalid field names and broken rules, or the error class; never a value from the event.",
    "dlq_consumer": "The consumer group that gave up on the event.",
    "dlq_source_topic": "The topic the event was read from.",
    "dlq_source_partition": "Its partition there.",
    "dlq_source_offset": "Its offset there.",
    "dlq_failed_at": "When it was dead-lettered (ISO 8601, UTC).",
}
VALUE_OMITTED_HEADER = "dlq_value_omitted"
VALUE_OMITTED_DESCRIPTION = (
    "Present only when the event was too large to copy with these headers added: its size in bytes. "
    "The dead letter then has no value; the event is still at its source offset until the topic's retention."
)


@dataclass(frozen=True)
class Subscription:
    """What one consumer group of a service listens to: event type → handler(event, unit)."""

    name: str
    handlers: dict[str, Handler]

    def topics(self, prefix: str) -> list[str]:
        return sorted({lookup(event_type).topic.address(prefix) for event_type in self.handlers})


def group_id(settings: Settings, subscription: Subscription) -> str:
    """The consumer group a service's subscription reads in, and the inbox rows it writes are under."""
    return f"{settings.topic_prefix}{settings.service}.{subscription.name}"


class InboxWatch:
    """Which events a service's consumers have applied, as their inbox says: what a request that
    names its own earlier writes (shared.consistency) waits for. An event no subscription of the
    service handles is never awaited: the service has nothing to apply."""

    def __init__(self, settings: Settings, inbox: Table, subscriptions: Sequence[Subscription]):
        self.inbox = inbox
        self.groups: dict[str, list[str]] = {}
        for subscription in subscriptions:
            for event_type in subscription.handlers:
                self.groups.setdefault(event_type, []).append(group_id(settings, subscription))

    def expected(self, awaited: Iterable[Awaited]) -> list[tuple[str, str, str]]:
        """The inbox rows (consumer group, source, event id) that applying `awaited` leaves here."""
        return [
            (group, lookup(event.type).source, event.id)
            for event in awaited
            for group in self.groups.get(event.type, ())
        ]

    def missing(self, conn: Connection, expected: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        """Of the `expected` inbox rows, those not there yet: one look-up by primary key each."""
        if not expected:
            return []
        c = self.inbox.c
        held = {
            tuple(found)
            for found in conn.execute(
                select(c.consumer, c.event_source, c.event_id).where(
                    or_(*(and_(c.consumer == g, c.event_source == s, c.event_id == i) for g, s, i in expected))
                )
            )
        }
        return [row for row in expected if row not in held]


class Consumer:
    def __init__(self, settings: Settings, db: Database, subscription: Subscription):
        self.settings = settings
        self.db = db
        self.subscription = subscription
        self.group_id = group_id(settings, subscription)
        self.inbox = db.tables.inbox
        self.outbox = Outbox(
            db.tables.outbox, settings.topic_prefix
        )  # what handlers record goes out like any write's events
        self._dlq_producer = None
        self._lag_recorded_at = 0.0
        self.tracer = tracing.tracer(settings)

    def run(self, stop: threading.Event, *, poll_ms: int = 1000) -> None:
        # poll() answers as soon as events arrive, so its timeout costs no latency; it only sets
        # how often an idle consumer goes round its loop (each round is several hand-offs to
        # kafka-python's IO thread): 1 s, not 200 ms, and a stop is still seen within a second.
        client = kafka.consumer(self.settings, self.group_id)
        topics = self.subscription.topics(self.settings.topic_prefix)
        # Join the group only once the topics' partitions are in the client's metadata: a member
        # that joins earlier is assigned nothing and may wait minutes for the next rebalance.
        while not stop.is_set() and not all(client.partitions_for_topic(topic) for topic in topics):
            stop.wait(0.5)
        listener = _AssignmentLog(self.group_id, self.settings.service)
        client.subscribe(topics, listener=listener)
        try:
            while not stop.is_set():
                beat()  # liveness: one per poll, with or without messages (shared.worker_health)
                try:
                    batches = client.poll(timeout_ms=poll_ms)
                except KafkaError as error:
                    log.warning("poll failed; retrying", extra={"error": type(error).__name__})
                    stop.wait(1.0)
                    continue
                for messages in batches.values():
                    self.process_batch(messages)
                if batches:
                    self._commit(client)
                # Idle polls too: measured only after commits, the gauge kept the lag of the
                # last burst for good once the consumer had caught up.
                if time.monotonic() - self._lag_recorded_at > LAG_INTERVAL_SECONDS:
                    self._record_lag(client)
                    self._lag_recorded_at = time.monotonic()
        finally:
            client.close(autocommit=False)
            metrics.forget_consumer_lag(self.settings.service, listener.held)  # none held once closed
            if self._dlq_producer is not None:
                self._dlq_producer.close(timeout=2)

    def _commit(self, client) -> None:
        # A commit that fails (broker away, group rebalanced) is not fatal: the events are
        # already applied, so their redelivery is a no-op in the inbox.
        try:
            client.commit()
        except KafkaError as error:
            log.warning(
                "offset commit failed; events will be redelivered and skipped", extra={"error": type(error).__name__}
            )

    def process_batch(self, messages) -> None:
        """Apply one partition's polled messages, in order, exactly once in effect."""
        ready = [item for item in map(self._read, messages) if item is not None]
        if not ready:
            return
        try:
            outcomes = self._apply_together(ready)
        except Exception as error:
            # Rolled back whole: nothing of the poll was applied, so apply it again event by
            # event, where a database outage is waited out and a failing handler dead-lettered.
            log.info(
                "batch rolled back; applying its events one by one",
                extra={"count": len(ready), "error": type(error).__name__},
            )
            for message, envelope, handler in ready:
                self._handle_with_retries(message, envelope, handler)
            return
        for envelope, outcome in outcomes:
            metrics.EVENTS_PROCESSED.labels(self.settings.service, envelope.type, outcome).inc()

    def _read(self, message):
        """The message as (message, validated envelope, handler); None when it is not this group's
        to apply, or could not be read and was dead-lettered."""
        try:
            envelope = Envelope.from_kafka(message.headers, message.value)
        except MalformedEvent as error:
            self.dead_letter(message, "malformed", str(error))
            return None
        handler = self.subscription.handlers.get(envelope.type)
        if handler is None:
            return None  # a type this group does not handle (add-only evolution: new types are ignored)
        try:
            data = lookup(envelope.type).validate(envelope.data, strict=False)
        except ValidationError as error:
            self.dead_letter(message, "schema_invalid", _fields_of(error), envelope.type)
            return None
        return message, Envelope(**{**envelope.__dict__, "data": data}), handler

    def _apply_together(self, ready) -> list[tuple[Envelope, str]]:
        outcomes = []
        with self.db.transaction() as conn, batching(conn) as batch:
            new = self._remember(conn, [envelope for _message, envelope, _handler in ready])
            fresh = []
            for message, envelope, handler in ready:
                if (envelope.source, envelope.id) not in new:
                    outcomes.append((envelope, "duplicate"))
                    continue
                new.discard((envelope.source, envelope.id))  # the same event twice in one poll applies once
                fresh.append((message, envelope, handler))
                outcomes.append((envelope, "applied"))
            unit = Unit(conn, self.outbox, self.settings)
            _prepare(fresh, unit)
            for message, envelope, handler in fresh:
                if not is_batched(handler):
                    batch.flush(conn)  # it may read what the batched handlers before it queued
                self._run(message, envelope, handler, conn)
            batch.flush(conn)  # before the commit: the effects commit with their inbox rows
        return outcomes

    def _run(self, message, envelope: Envelope, handler: Handler, conn: Connection) -> None:
        token = set_correlation_id(envelope.correlationid)
        try:
            with tracing.process_span(self.tracer, envelope, message, self.group_id):
                handler(envelope, Unit(conn, self.outbox, self.settings))  # a unit per event: its `recorded`
        finally:
            reset_correlation_id(token)

    def _handle_with_retries(self, message, envelope: Envelope, handler: Handler) -> None:
        token = set_correlation_id(envelope.correlationid)
        try:
            failures = infra_failures = 0
            while True:
                try:
                    with self.db.transaction() as conn:
                        outcome = self._apply(conn, message, envelope, handler)
                    metrics.EVENTS_PROCESSED.labels(self.settings.service, envelope.type, outcome).inc()
                    return
                except (OperationalError, DBAPIError) as error:
                    if not _is_infrastructure(error):
                        raise
                    # The database is away: not the event's fault, so wait rather than dead-letter it.
                    infra_failures += 1
                    if infra_failures >= MAX_CONSECUTIVE_INFRA_ERRORS:
                        raise
                    log.warning(
                        "database unavailable; retrying",
                        extra={"event_type": envelope.type, "error": type(error).__name__},
                    )
                    time.sleep(min(0.2 * infra_failures, 5))
                except Exception as error:
                    failures += 1
                    if failures >= self.settings.consumer_max_retries:
                        self.dead_letter(message, "handler_failed", _describe(error), envelope.type)
                        return
                    time.sleep(0.05 * 2**failures)
        finally:
            reset_correlation_id(token)

    def _apply(self, conn: Connection, message, envelope: Envelope, handler: Handler) -> str:
        if not self._remember(conn, [envelope]):
            return "duplicate"
        with batching(conn) as batch:
            with tracing.process_span(self.tracer, envelope, message, self.group_id):
                handler(envelope, Unit(conn, self.outbox, self.settings))
            batch.flush(conn)  # a write the handler queued fails here, as this event's own
        return "applied"

    def _remember(self, conn: Connection, envelopes: list[Envelope]) -> set[tuple[str, str]]:
        """Record the events in the inbox, in one statement; the (source, id) of those this
        consumer had not applied before."""
        # RETURNING, not rowcount: psycopg reports no rowcount for INSERT … ON CONFLICT here.
        statement = (
            dialect_insert(conn, self.inbox)
            .on_conflict_do_nothing()
            .returning(self.inbox.c.event_source, self.inbox.c.event_id)
        )
        now = utcnow()
        rows = [
            {
                "consumer": self.group_id,
                "event_source": e.source,
                "event_id": e.id,
                "event_type": e.type,
                "processed_at": now,
            }
            for e in envelopes
        ]
        return {(source, event_id) for source, event_id in conn.execute(statement, rows)}

    def dead_letter(self, message, reason: str, error: str, event_type: str | None = None) -> None:
        headers = list(message.headers or []) + [
            ("dlq_reason", reason.encode()),
            ("dlq_error", error[:500].encode()),
            ("dlq_consumer", self.group_id.encode()),
            ("dlq_source_topic", message.topic.encode()),
            ("dlq_source_partition", str(message.partition).encode()),
            ("dlq_source_offset", str(message.offset).encode()),
            ("dlq_failed_at", utcnow().isoformat().encode()),
        ]
        try:
            self._send_dead_letter(message, message.value, headers)
        except MessageSizeTooLargeError:
            # The copy with our headers added is over the producer's limit. Blocking the
            # partition would be worse than parking the event without its value: the headers
            # still say where it is at its source, with its size.
            size = len(message.value or b"")
            self._send_dead_letter(message, None, headers + [(VALUE_OMITTED_HEADER, str(size).encode())])
        metrics.EVENTS_DEAD_LETTERED.labels(self.settings.service, event_type or "unknown").inc()
        log.warning(
            "event dead-lettered",
            extra={
                "event_type": event_type,
                "topic": message.topic,
                "partition": message.partition,
                "offset": message.offset,
                "error": reason,
            },
        )

    def _send_dead_letter(self, message, value, headers) -> None:
        if self._dlq_producer is None:
            self._dlq_producer = kafka.producer(self.settings)
        # A dead letter that Kafka did not take must stop the consumer: committing past it would lose it.
        self._dlq_producer.send(message.topic + ".dlq", key=message.key, value=value, headers=headers).get(timeout=30)

    def _record_lag(self, client) -> None:
        try:
            assigned = list(client.assignment())
            ends = client.end_offsets(assigned) if assigned else {}
            for tp in assigned:
                position = client.position(tp)
                metrics.CONSUMER_LAG.labels(self.settings.service, tp.topic, str(tp.partition)).set(
                    max(ends.get(tp, position) - position, 0)
                )
        except KafkaError:
            pass  # lag is a gauge for operators; the next round measures it again


class _AssignmentLog(ConsumerRebalanceListener):
    """Logs every assignment the group gives this member: each line is one rebalance, which an
    operator (and the soak drill) can count; a healthy member logs one or two at start-up only."""

    def __init__(self, group_id: str, service: str = ""):
        self.group_id, self.service = group_id, service
        self.held: set = set()

    def on_partitions_revoked(self, revoked) -> None:
        pass  # offsets are committed after every poll: nothing is left to commit here

    def on_partitions_assigned(self, assigned) -> None:
        # Runs on kafka-python's IO thread: log only, never block.
        log.info("partitions assigned in group %s", self.group_id, extra={"count": len(assigned)})
        # The lag of partitions another member now holds is that member's to report: drop ours.
        metrics.forget_consumer_lag(self.service, self.held - set(assigned))
        self.held = set(assigned)


def _prepare(fresh, unit: Unit) -> None:
    """Give each handler with a `prepare` (shared.batch) all its events of the transaction at once."""
    by_handler: dict = {}
    for _message, envelope, handler in fresh:
        if hasattr(handler, "prepare"):
            by_handler.setdefault(handler, []).append(envelope)
    for handler, envelopes in by_handler.items():
        handler.prepare(envelopes, unit)


def _is_infrastructure(error: DBAPIError) -> bool:
    return bool(getattr(error, "connection_invalidated", False)) or isinstance(error, OperationalError)


def _fields_of(error: ValidationError) -> str:
    """The names of the invalid fields and the rule each broke; never the values."""
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return "; ".join(
        f"{name}: {' '.join(map(str, problems)) if isinstance(problems, list) else 'invalid'}"
        for name, problems in messages.items()
    )


def _describe(error: Exception) -> str:
    if isinstance(error, DomainError):
        return f"{type(error).__name__}: {error.rule}: {error.detail}"
    return type(error).__name__  # database and library messages can carry values
