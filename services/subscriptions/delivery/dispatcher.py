"""The delivery loop of the worker: every poll it picks the deliveries that are due (one per key
at a time, a few per subscription, domain.ordering), takes each one's lease in the database (so
several worker processes never send the same one at once) and sends them on a bounded pool.

A crash mid-send leaves the lease to expire and the delivery pending: it is sent again, with
the same webhook-id, so delivery is at least once and a receiver drops the duplicate.
"""

from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, timedelta

from services.subscriptions.delivery import http
from services.subscriptions.delivery.addresses import check_sink
from services.subscriptions.domain.ordering import sendable
from services.subscriptions.domain.secrets import signing_secrets
from services.subscriptions.store import deliveries, subscriptions
from services.subscriptions.usecases import attempts
from shared.clock import utcnow
from shared.errors import RuleViolation
from shared.runtime import Runtime
from shared.worker_health import beat

log = logging.getLogger(__name__)
LOOP_NAME = "delivery"


class Dispatcher:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        self.settings = runtime.settings
        # The lease outlasts the longest send (handshake and delivery, each within the timeout).
        self.lease = timedelta(seconds=self.settings.webhook_timeout_seconds * 3 + 5)
        self.client = http.client(self.settings.webhook_timeout_seconds)
        self._running: set[int] = set()
        self._lock = threading.Lock()

    def run(self, stop: threading.Event) -> None:
        with ThreadPoolExecutor(self.settings.webhook_concurrency, thread_name_prefix="webhook") as pool:
            while not stop.is_set():
                beat()
                try:
                    self.dispatch(pool)
                except Exception as error:  # a database outage is waited out, not fatal
                    log.warning("delivery poll failed; retrying", extra={"error": type(error).__name__})
                stop.wait(self.settings.webhook_poll_seconds)
        self.client.close()

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
                claimed = deliveries.claim(conn, item.delivery_id, now, now + self.lease)
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
        if subscription is None:
            return  # deleted meanwhile, its deliveries with it
        if delivery["status"] != deliveries.PENDING:
            return  # its person was erased meanwhile (usecases.erasure): never sent
        if subscription["status"] != "active":
            with self.runtime.db.transaction() as conn:
                attempts.release(self.runtime.unit(conn), delivery_id)
            return
        try:
            check_sink(subscription["sink"], self.settings.sink_rules)  # DNS may have changed since creation
        except RuleViolation:
            with self.runtime.db.transaction() as conn:
                unit = self.runtime.unit(conn)
                attempts.release(unit, delivery_id)
                attempts.pause(unit, subscription, "sink_refused")
            return
        outcome = http.send(
            self.client,
            subscription["sink"],
            message_id=delivery["event_id"],
            body=delivery["payload"],
            secrets=signing_secrets(
                subscription["secret"],
                subscription["previous_secret"],
                _aware(subscription["previous_secret_until"]),
                utcnow(),
            ),
            origin=self.settings.webhook_origin,
            validated=subscription["validated_at"] is not None,
        )
        with self.runtime.db.transaction() as conn:
            attempts.record(self.runtime.unit(conn), delivery, subscription, outcome)


def _aware(moment):
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=UTC)
