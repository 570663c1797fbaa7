"""The outbox relay: publishes committed outbox rows to Kafka in order, then marks them sent.

One relay per service is active at a time (shared.lease, under the service's name), so rows
leave in the order they were written. A row is marked only after Kafka acknowledged it (acks=all); a
crash in between publishes it again, and consumers drop the repeat by its event id.

An idle relay waits for the next event on PostgreSQL's LISTEN (the outbox's INSERT queues the
NOTIFY, delivered at commit: shared.outbox) and polls on SQLite; the idle pause bounds the wait
either way (shared.relay_wakeup).
"""

from __future__ import annotations

import logging
import threading
import time

from sqlalchemy import func, select, update

from shared import kafka, metrics, tracing
from shared.clock import as_utc, utcnow
from shared.config import Settings
from shared.db import Database
from shared.idle_pause import IdlePause
from shared.lease import Lease
from shared.relay_wakeup import wakeup_for
from shared.worker_health import beat

log = logging.getLogger(__name__)
LEASE_SECONDS = 10
# The lease is renewed once less than this is left (shared.lease: why not every round).
RENEW_WITHIN_SECONDS = 7
MAX_BACKOFF_SECONDS = 5.0
FLUSH_TIMEOUT_SECONDS = 20


class Relay:
    def __init__(self, settings: Settings, db: Database, producer_factory=kafka.producer):
        self.settings = settings
        self.db = db
        self.outbox = db.tables.outbox
        self.lease = Lease(db, settings.service, seconds=LEASE_SECONDS, renew_within=RENEW_WITHIN_SECONDS)
        self.producer_factory = producer_factory
        self.producer = None
        self.tracer = tracing.tracer(settings)
        self.wakeup = wakeup_for(db, settings.service)

    def run(self, stop: threading.Event) -> None:
        backoff = 0.1
        # 10 ms pauses while events flow (end-to-end latency), growing to at most 500 ms once the
        # outbox has stayed empty for a second: an idle worker then costs next to no CPU.
        idle = IdlePause(self.settings.relay_idle_seconds, self.settings.relay_idle_max_seconds)
        while not stop.is_set():
            beat()  # liveness: one per round, with or without work (shared.worker_health)
            try:
                if not self.hold_lease():
                    self.wakeup.close()  # only the holder publishes, so only the holder listens
                    stop.wait(1.0)
                    continue
                self.wakeup.ready()  # listening before the read: a commit after it ends the wait below
                sent = self.publish_batch()
                backoff = 0.1
                if sent:
                    idle.worked()
                else:
                    self.wakeup.wait(idle.next(), stop)
            except Exception as error:  # Kafka or the database is away: keep the rows, try again.
                log.warning("relay round failed; retrying", extra={"error": type(error).__name__})
                self.lease.lapse()  # the outage may outlast the lease: take it again first
                self._drop_producer()
                self.wakeup.close()  # the database may be away too: listen afresh once it answers
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
        self._drop_producer()
        self.wakeup.close()

    def publish_batch(self) -> int:
        with self.db.read() as conn:
            rows = conn.execute(
                select(self.outbox)
                .where(self.outbox.c.published_at.is_(None))
                .order_by(self.outbox.c.id)
                .limit(self.settings.relay_batch_size)
            ).all()
        if not rows:
            return 0
        producer = self.producer or self._new_producer()
        started = time.perf_counter()
        spans = []  # with tracing on, a publish span per row (shared.tracing)
        futures = [
            producer.send(
                row.topic,
                key=row.key.encode(),
                value=row.value.encode(),
                headers=tracing.publish_headers(self.tracer, row, spans),
            )
            for row in rows
        ]
        try:
            producer.flush(timeout=FLUSH_TIMEOUT_SECONDS)
            for future in futures:
                future.get(timeout=0)  # raises if Kafka refused or timed out this record
        except Exception as error:
            tracing.end_spans(spans, error)
            raise
        tracing.end_spans(spans)
        with self.db.transaction() as conn:
            conn.execute(
                update(self.outbox).where(self.outbox.c.id.in_([row.id for row in rows])).values(published_at=utcnow())
            )
        metrics.RELAY_PUBLISHED.labels(self.settings.service).inc(len(rows))
        metrics.RELAY_LATENCY.labels(self.settings.service).observe(time.perf_counter() - started)
        return len(rows)

    def hold_lease(self) -> bool:
        return self.lease.hold()

    def release_lease(self) -> None:
        self.lease.release()

    def _new_producer(self):
        self.producer = self.producer_factory(self.settings)
        return self.producer

    def _drop_producer(self) -> None:
        if self.producer is not None:
            try:
                self.producer.close(timeout=1)
            except Exception:
                pass
            self.producer = None


def outbox_backlog(db: Database) -> tuple[int, float]:
    """How many outbox events wait to be published, and the age in seconds of the oldest."""
    outbox = db.tables.outbox
    with db.read() as conn:
        count, oldest = conn.execute(
            select(func.count(), func.min(outbox.c.created_at)).where(outbox.c.published_at.is_(None))
        ).one()
    return count, 0.0 if oldest is None else (utcnow() - as_utc(oldest)).total_seconds()
