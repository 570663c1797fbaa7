"""Operator tasks behind `python -m services.cli`: rebuild projections by replaying topics,
inspect and redrive dead letters, purge old outbox, inbox and idempotency rows."""

from __future__ import annotations

import logging
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from kafka import TopicPartition
from kafka.errors import CoordinatorNotAvailableError, GroupIdNotFoundError
from sqlalchemy import delete, func, select

from shared import erasures, kafka
from shared.clock import utcnow
from shared.config import Settings
from shared.consumer import DEAD_LETTER_HEADERS, VALUE_OMITTED_HEADER, Consumer, Subscription
from shared.db import Database

log = logging.getLogger(__name__)
DLQ_HEADERS = (*DEAD_LETTER_HEADERS, VALUE_OMITTED_HEADER)
COORDINATOR_WAIT_SECONDS = 60  # how long a look-up of consumer groups waits for a broker starting up
SAFE_HEADERS = ("ce_id", "ce_source", "ce_type", "ce_time", "ce_subject", "ce_region", "ce_correlationid")


class ReplayRefused(RuntimeError):
    """A replay that must not start: a worker still consumes in one of the service's groups."""


class ReplayProgress:
    """A line on stderr every few seconds: events done of all, rate, and the time left."""

    def __init__(self, label: str, total: int, stream=None, every: float = 5.0):
        self.label, self.total, self.stream, self.every, self.done = label, total, stream or sys.stderr, every, 0
        self._started = self._said = time.monotonic()

    def advance(self, count: int) -> None:
        self.done += count
        if time.monotonic() - self._said >= self.every:
            self.say()

    def say(self, final: bool = False) -> None:
        elapsed = max(time.monotonic() - self._started, 1e-6)
        rate = self.done / elapsed
        left = (self.total - self.done) / rate if rate > 0 else None
        tail = (
            f"done in {elapsed:.0f} s"
            if final
            else ("time left unknown" if left is None else f"about {_duration(left)} left")
        )
        self.stream.write(f"{self.label}: {self.done}/{self.total} events, {rate:.0f}/s, {tail}\n")
        self.stream.flush()
        self._said = time.monotonic()


def _duration(seconds: float) -> str:
    seconds = int(round(seconds))
    return (
        f"{seconds // 3600} h {seconds % 3600 // 60} min"
        if seconds >= 3600
        else f"{seconds // 60} min {seconds % 60} s"
        if seconds >= 60
        else f"{seconds} s"
    )


def live_groups(settings: Settings, group_ids: list[str]) -> dict[str, int]:
    """The groups among `group_ids` that have members now (group → member count), from the broker."""
    client = kafka.admin(settings)
    try:
        described = {}
        for group in sorted(set(group_ids)):
            described.update(_described(client, group))
    finally:
        client.close()
    return {group: len(info.get("members") or []) for group, info in described.items() if info.get("members")}


def _described(client, group: str) -> dict:
    # A broker just started answers group look-ups only once its offsets topic is up: wait for it.
    deadline = time.monotonic() + COORDINATOR_WAIT_SECONDS
    while True:
        try:
            return client.describe_groups([group])
        except GroupIdNotFoundError:
            return {}  # never joined, or long gone: nobody consumes in it
        except CoordinatorNotAvailableError:
            if time.monotonic() >= deadline:
                raise
            time.sleep(1.0)


def refuse_while_consumed(settings: Settings, db: Database, subscriptions) -> None:
    """Raise ReplayRefused naming every group of `subscriptions` with a live member."""
    groups = [Consumer(settings, db, subscription).group_id for subscription in subscriptions]
    live = live_groups(settings, groups)
    if live:
        named = ", ".join(
            f"{group} ({count} member{'s' if count != 1 else ''})" for group, count in sorted(live.items())
        )
        raise ReplayRefused(
            f"consumer group {named} has live members: a worker is still consuming. Stop the "
            f"{settings.service} worker (every replica) and run the replay again."
        )


class _Savepoints:
    """What the consumer writes through during a replay: each of its transactions is a savepoint
    of the replay's one transaction, so a poll that fails rolls back alone and the rest waits
    for the single commit at the end."""

    def __init__(self, db: Database, conn):
        self.tables, self._conn = db.tables, conn

    @contextmanager
    def transaction(self):
        with self._conn.begin_nested():
            yield self._conn


def replay(
    settings: Settings,
    db: Database,
    subscription: Subscription,
    projection_tables,
    *,
    since: datetime | None = None,
    progress=True,
    progress_every: float = 5.0,
    stream=None,
    check_groups: bool = True,
    batch: int = 1000,
) -> int:
    """Rebuild a consumer's projection: empty its tables and inbox, then apply its input topics
    from the start (or from `since`) up to their current end.

    Refused (ReplayRefused) while the subscription's consumer group has live members: stop the
    service's worker first. The emptying and every event applied are one database transaction,
    committed only when the replay has reached the end: a replay that crashes or is killed
    leaves the projection exactly as it was, and the next replay starts over. (On SQLite that
    transaction holds the database's write lock until the replay ends.)"""
    if check_groups:
        refuse_while_consumed(settings, db, [subscription])
    client = kafka.consumer(settings, group_id=None, enable_auto_commit=False, max_poll_records=batch)
    try:
        partitions = [
            TopicPartition(topic, p)
            for topic in subscription.topics(settings.topic_prefix)
            for p in (client.partitions_for_topic(topic) or [])
        ]
        client.assign(partitions)
        starts = _start_offsets(client, partitions, since)
        ends = client.end_offsets(partitions)
        for partition, offset in starts.items():
            client.seek(partition, offset)
        consumer = Consumer(settings, db, subscription)
        group = consumer.group_id
        bar = (
            ReplayProgress(f"replay {group}", sum(ends[p] - starts[p] for p in partitions), stream, progress_every)
            if progress
            else None
        )
        applied = 0
        remaining = {p for p in partitions if starts[p] < ends[p]}
        with db.transaction() as conn, erasures.everyone_locked(conn):
            for table in projection_tables:
                conn.execute(delete(table))
            conn.execute(delete(db.tables.inbox).where(db.tables.inbox.c.consumer == group))
            consumer.db = _Savepoints(db, conn)
            while remaining:
                for partition, messages in client.poll(timeout_ms=1000).items():
                    wanted = [message for message in messages if message.offset < ends[partition]]
                    consumer.process_batch(wanted)
                    applied += len(wanted)
                    if bar:
                        bar.advance(len(wanted))
                    if client.position(partition) >= ends[partition]:
                        remaining.discard(partition)
        if bar:
            bar.say(final=True)
        return applied
    finally:
        client.close()


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
        return {
            "offset": self.offset,
            **{name: self.headers.get(name) for name in SAFE_HEADERS + DLQ_HEADERS if name in self.headers},
        }


def dead_letters(settings: Settings, topic: str, *, limit: int = 1000) -> list[DeadLetter]:
    client = kafka.consumer(settings, group_id=None, consumer_timeout_ms=3000)
    partitions = [TopicPartition(topic + ".dlq", p) for p in (client.partitions_for_topic(topic + ".dlq") or [])]
    client.assign(partitions)
    client.seek_to_beginning(*partitions)
    found = []
    for message in client:
        found.append(
            DeadLetter(
                message.partition, message.offset, {k: v.decode(errors="replace") for k, v in message.headers or []}
            )
        )
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
            return {
                name: conn.execute(select(func.count()).select_from(table).where(where)).scalar_one()
                for name, (table, where) in expired.items()
            }
    with db.transaction() as conn:
        return {name: conn.execute(delete(table).where(where)).rowcount for name, (table, where) in expired.items()}
