"""The delivery loop of the worker: every poll it picks the deliveries that are due (one per key
at a time, a few per subscription, domain.ordering), claims each one with a lease of its own in
the database (a conditional UPDATE that holds only while the row is pending, due and unleased,
so several worker processes never send the same attempt at once) and sends them on a bounded
pool. An attempt is bounded in time (delivery.http: each request within the timeout in all),
and the lease outlasts it.

A crash mid-send leaves the lease to expire and the delivery pending: it is sent again, with
the same webhook-id, so delivery is at least once and a receiver drops the duplicate. Once a
minute the loop also empties the bodies of deliveries past their retention.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta

from services.subscriptions.delivery import http
from services.subscriptions.delivery.addresses import check_sink
from services.subscriptions.domain.ordering import sendable
from services.subscriptions.domain.secrets import signing_secrets
from services.subscriptions.store import deliveries, secrets, subscriptions
from services.subscriptions.usecases import attempts
from shared.clock import utcnow
from shared.errors import RuleViolation
from shared.runtime import Runtime
from shared.worker_health import beat

log = logging.getLogger(__name__)
LOOP_NAME = "delivery"
PURGE_EVERY_SECONDS = 60.0


class Dispatcher:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.settings = runtime.settings
        # The lease outlasts the longest attempt: the handshake and the delivery, each within the
        # timeout in all (delivery.http), the DNS look-up and the recording of the outcome.
        self.lease = timedelta(seconds=self.settings.webhook_timeout_seconds * 2 + 30)
        self._running: set[int] = set()
        self._lock = threading.Lock()
        self._purged_at = float("-inf")

    def run(self, stop: threading.Event) -> None:
        with ThreadPoolExecutor(self.settings.webhook_concurrency, thread_name_prefix="webhook") as pool:
            while not stop.is_set():
                beat()
                try:
                    self.dispatch(pool)
                    self.purge()
                except Exception as error:  # a database outage is waited out, not fatal
                    log.warning("delivery poll failed; retrying", extra={"error": type(error).__name__})
                stop.wait(self.settings.webhook_poll_seconds)

    def purge(self) -> int:
        """Empty the bodies past their retention, at most once a minute: how many."""
        if time.monotonic() - self._purged_at < PURGE_EVERY_SECONDS:
            return 0
        with self.runtime.db.transaction() as conn:
            purged = attempts.purge(self.runtime.unit(conn))
        self._purged_at = time.monotonic()
        return purged

    def dispatch(self, pool: ThreadPoolExecutor) -> int:
        """Start what is due, as far as the pool has room: how many were started."""
        with self._lock:
            room = self.settings.webhook_concurrency - len(self._running)
        if room <= 0:
            return 0
        now = utcnow()
        with self.runtime.db.read() as conn:
            due = sendable(deliveries.pending(conn, now), now, self.settings.webhook_per_subscription_concurrency)
        started = 0
        for item in due[:room]:
            with self.runtime.db.transaction() as conn:
                claimed = deliveries.claim(
                    conn, item, now, now + self.lease, self.settings.webhook_per_subscription_concurrency
                )
            if claimed:
                with self._lock:
                    self._running.add(item.delivery_id)
                pool.submit(self._send, item.delivery_id)
                started += 1
        return started

    def _send(self, delivery_id: int) -> None:
        try:
            self.send(delivery_id)
        except Exception as error:  # the lease expires and the delivery is tried again
            log.warning("delivery failed unrecorded", extra={"error": type(error).__name__})
        finally:
            with self._lock:
                self._running.discard(delivery_id)

    def send(self, delivery_id: int) -> None:
        with self.runtime.db.read() as conn:
            delivery = deliveries.find(conn, delivery_id)
            subscription = subscriptions.find(conn, delivery["subscription_id"]) if delivery else None
            secret, previous = secrets.opened(conn, subscription["id"]) if subscription else (None, None)
        if subscription is None:
            return  # deleted meanwhile, its deliveries with it
        if delivery["status"] != deliveries.PENDING or subscription["status"] != "active":
            # Its person was erased meanwhile (usecases.erasure): never sent; or its subscription paused.
            with self.runtime.db.transaction() as conn:
                attempts.release(self.runtime.unit(conn), delivery_id)
            return
        try:
            # DNS may have changed since creation; the address checked now is the one connected to.
            target = check_sink(subscription["sink"], self.settings.sink_rules)
        except RuleViolation:
            with self.runtime.db.transaction() as conn:
                unit = self.runtime.unit(conn)
                attempts.release(unit, delivery_id)
                attempts.pause(unit, subscription, "sink_refused")
            return
        outcome = http.send(
            target,
            self.settings.webhook_timeout_seconds,
            message_id=delivery["event_id"],
            body=delivery["payload"],
            secrets=signing_secrets(secret, previous, _aware(subscription["previous_secret_until"]), utcnow()),
            origin=self.settings.webhook_origin,
            validated=subscription["validated_at"] is not None,
        )
        with self.runtime.db.transaction() as conn:
            attempts.record(self.runtime.unit(conn), delivery, subscription, outcome)


def _aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
