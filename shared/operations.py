"""Operator tasks behind `python -m services.cli`: rebuild projections by replaying topics,
inspect and redrive dead letters, purge old outbox, inbox and idempotency rows."""
from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from kafka import TopicPartition
from sqlalchemy import delete, func, select

from shared import kafka
from shared.clock import utcnow
from shared.config import Settings
from shared.consumer import DEAD_LETTER_HEADERS, VALUE_OMITTED_HEADER, Consumer, Subscription
from shared.db import Database

log = logging.getLogger(__name__)
DLQ_HEADERS = (*DEAD_LETTER_HEADERS, VALUE_OMITTED_HEADER)
SAFE_HEADERS = ("ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_region", "ce_correlationid")


class Progress:
    """A one-line progress bar on stderr for long runs."""

    def __init__(self, label: str, total: int, stream=sys.stderr):
        self.label, self.total, self.stream, self.done, self._drawn = label, max(total, 1), stream, 0, 0.0

    def advance(self, count: int = 1) -> None:
        self.done += count
        if time.monotonic() - self._drawn > 0.2 or self.done >= self.total:
            filled = int(30 * min(self.done / self.total, 1))
            self.stream.write(f"\r{self.label} [{'#' * filled}{'.' * (30 - filled)}] {self.done}/{self.total}")
            self.stream.flush()
            self._drawn = time.monotonic()

    def close(self) -> None:
        self.stream.write("\n")


def replay(settings: Settings, db: Database, subscription: Subscription, projection_tables, *, since: datetime | None = None, progress=True) -> int:
    """Rebuild a consumer's projection: empty its tables and inbox, then apply its input topics
    from the start (or from `since`) up to their current end. Stop the service's worker first."""
    consumer = Consumer(settings, db, subscription)
    with db.transaction() as conn:
        for table in projection_tables:
            conn.execute(delete(table))
        conn.execute(delete(db.tables.inbox).where(db.tables.inbox.c.consumer == consumer.group_id))
    client = kafka.consumer(settings, group_id=None, enable_auto_commit=False, max_poll_records=1000)
    partitions = [TopicPartition(topic, p) for topic in subscription.topics(settings.topic_prefix) for p in (client.partitions_for_topic(topic) or [])]
    client.assign(partitions)
    starts = _start_offsets(client, partitions, since)
    ends = client.end_offsets(partitions)
    for partition, offset in starts.items():
        client.seek(partition, offset)
    bar = Progress(f"replay {consumer.group_id}", sum(ends[p] - starts[p] for p in partitions)) if progress else None
    applied = 0
    remaining = {p for p in partitions if starts[p] < ends[p]}
    while remaining:
        for partition, messages in client.poll(timeout_ms=1000).items():
            wanted = [message for message in messages if message.offset < ends[partition]]
            consumer.process_batch(wanted)
            applied += len(wanted)
            if bar:
                bar.advance(len(wanted))
            if client.position(partition) >= ends[partition]:
                remaining.discard(partition)
    client.close()
    if bar:
        bar.close()
    return applied


def _start_offsets(client, partitions, since: datetime | None) -> dict:
    if since is None:
        return client.beginning_offsets(partitions)
    found = client.offsets_for_times({p: int(since.timestamp() * 1000) for p in partitions})
    ends = client.end_offsets(partitions)
    return {p: (found[p].offset if found.get(p) else ends[p]) for p in partitions}


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    headers: dict

    def summary(self) -> dict:
        """What an operator may see: ids, type, reason and error; never the payload."""
        return {"offset": self.offset, **{name: self.headers.get(name) for name in SAFE_HEADERS + DLQ_HEADERS if name in self.headers}}


def dead_letters(settings: Settings, topic: str, *, limit: int = 1000) -> list[DeadLetter]:
    client = kafka.consumer(settings, group_id=None, consumer_timeout_ms=3000)
    partitions = [TopicPartition(topic + ".dlq", p) for p in (client.partitions_for_topic(topic + ".dlq") or [])]
    client.assign(partitions)
    client.seek_to_beginning(*partitions)
    found = []
    for message in client:
        found.append(DeadLetter(message.partition, message.offset, {k: v.decode(errors="replace") for k, v in message.headers or []}))
        if len(found) >= limit:
            break
    client.close()
    return found


def redrive(settings: Settings, topic: str, offsets: set[int] | None = None, *, dry_run: bool = False) -> int:
    """Publish dead letters again to their source topic, as they first arrived (same ce_id, so
    consumers that already applied them skip them). `offsets` None: all of them. A letter
    parked without its value (too large to copy) is left where it is: there is nothing to send.
    `dry_run` counts what would be sent and sends nothing."""
    client = kafka.consumer(settings, group_id=None, consumer_timeout_ms=3000)
    partitions = [TopicPartition(topic + ".dlq", p) for p in (client.partitions_for_topic(topic + ".dlq") or [])]
    client.assign(partitions)
    client.seek_to_beginning(*partitions)
    producer = kafka.producer(settings)
    sent = 0
    for message in client:
        if offsets is not None and message.offset not in offsets:
            continue
        if any(name == VALUE_OMITTED_HEADER for name, _ in message.headers or []):
            log.warning("dead letter without its value not redriven", extra={"topic": topic, "offset": message.offset})
            continue
        sent += 1
        if dry_run:
            continue
        original = [(k, v) for k, v in message.headers or [] if k not in DLQ_HEADERS]
        source = dict(message.headers or []).get("dlq_source_topic", topic.encode()).decode()
        producer.send(source, key=message.key, value=message.value, headers=original).get(timeout=30)
    producer.flush()
    producer.close()
    client.close()
    return sent


def purge(db: Database, *, older_than: timedelta, dry_run: bool = False) -> dict[str, int]:
    """Delete published outbox rows, inbox rows and idempotency keys older than the retention.
    Keep the inbox longer than the topics' retention, or a replayed old event could apply twice.
    `dry_run` counts the rows that would go and deletes nothing."""
    cutoff = utcnow() - older_than
    tables = db.tables
    expired = {
        "outbox": (tables.outbox, tables.outbox.c.published_at.is_not(None) & (tables.outbox.c.published_at < cutoff)),
        "inbox": (tables.inbox, tables.inbox.c.processed_at < cutoff),
        "idempotency_keys": (tables.idempotency, tables.idempotency.c.created_at < cutoff),
    }
    if dry_run:
        with db.read() as conn:
            return {name: conn.execute(select(func.count()).select_from(table).where(where)).scalar_one() for name, (table, where) in expired.items()}
    with db.transaction() as conn:
        return {name: conn.execute(delete(table).where(where)).rowcount for name, (table, where) in expired.items()}
