"""The notifier: a loop of enrolment's worker that sends the e-mails due, one worker at a time.

Exactly once in effect. A notification is recorded once, in the transaction of the change or
consumed event that calls for it (unique per cause, person and kind; a redelivered event is
dropped by the inbox, a replay by `notified_events`). The notifier holds a lease (one sender
at a time in the deployment), sends, and then marks the row sent and logs it. SMTP cannot
take part in our transaction, so one gap remains: a crash after the server accepted the mail
and before the mark is committed sends it again on restart. Every try of a notification
carries the same Message-ID (its id), so the receiving system can drop the repeat; GOV.UK
Notify gets the id as `reference`. Nothing is ever sent twice otherwise.

A failed try is retried with exponential backoff and jitter (domain.retries) and parked after
NOTIFICATION_MAX_ATTEMPTS; `services.cli notifications parked` lists those, `retry` sends them
again. Logs carry the notification id, kind and error class: never an address or a body.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
import uuid
from datetime import timedelta

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from services.enrolment.domain.retries import next_attempt, parks
from services.enrolment.notifier.channels import channel, failure
from services.enrolment.notifier.letters import compose
from services.enrolment.store import notifications as store
from shared.clock import utcnow
from shared.worker_health import beat

log = logging.getLogger(__name__)
LEASE_NAME = "enrolment.notifier"
LEASE_SECONDS = 30
BATCH = 20
MAX_ROUND_BACKOFF_SECONDS = 10.0


class Notifier:
    def __init__(self, settings, db, *, sending_channel=None, draw=random.random):
        self.settings, self.db = settings, db
        self.channel = sending_channel or channel(settings)
        self.draw = draw
        self.lease = Lease(db, LEASE_NAME)

    def run(self, stop: threading.Event) -> None:
        backoff = 0.5
        while not stop.is_set():
            beat()  # liveness (shared.worker_health): one per round, with or without work
            try:
                if not self.lease.hold():
                    stop.wait(1.0)
                    continue
                if not self.send_due(stop):
                    stop.wait(self.settings.notifier_idle_seconds)
                backoff = 0.5
            except Exception as error:  # the database is away: nothing is lost, try again
                log.warning("notifier round failed; retrying", extra={"error": type(error).__name__})
                self.lease.lapse()  # the outage may outlast the lease: take it again first
                stop.wait(backoff)
                backoff = min(backoff * 2, MAX_ROUND_BACKOFF_SECONDS)

    def send_due(self, stop: threading.Event | None = None) -> int:
        """Try each notification due now; how many were tried."""
        with self.db.read() as conn:
            rows = store.due(conn, utcnow(), BATCH)
        for row in rows:
            # The lease again before each: a slow mail server must not let it lapse mid-batch.
            if (stop is not None and stop.is_set()) or not self.lease.hold():
                break
            self.send(row)
            beat()
        return len(rows)

    def send(self, row: dict) -> None:
        with self.db.read() as conn:
            composed = compose(conn, row, utcnow())
        if isinstance(composed, str):
            with self.db.transaction() as conn:
                store.drop(conn, row["id"], composed)
            return
        address, letter = composed
        try:
            self.channel.send(row["id"], address, letter)
        except Exception as error:
            self._failed(row, failure(error))
            return
        with self.db.transaction() as conn:
            store.mark_sent(conn, row, self.channel.name, utcnow())

    def _failed(self, row: dict, reason: str) -> None:
        attempts = row["attempts"] + 1
        now = utcnow()
        retry_at = (
            None
            if parks(attempts, self.settings.notification_max_attempts)
            else next_attempt(
                attempts,
                now,
                base_seconds=self.settings.notification_backoff_seconds,
                max_seconds=self.settings.notification_backoff_max_seconds,
                draw=self.draw(),
            )
        )
        with self.db.transaction() as conn:
            store.mark_failed(conn, row["id"], attempts, retry_at=retry_at, reason=reason)
        log.warning(
            "notification parked" if retry_at is None else "notification not sent; will retry",
            # The log's allow-listed fields (shared.logs): the notification's id and kind, never its person.
            extra={
                "event_id": row["id"],
                "event_type": f"notification.{row['kind']}",
                "count": attempts,
                "error": reason,
            },
        )


class Lease:
    """The right to send, held by one notifier at a time (in the shared `relay_lease` table, under
    its own name): two workers never send the same notification at once."""

    def __init__(self, db, name: str):
        self.db, self.name = db, name
        self.table = db.tables.relay_lease
        self.holder = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"
        self._held_until = 0.0  # monotonic time until which the lease surely holds

    def hold(self) -> bool:
        # Renewed only once less than half is left: an idle notifier then writes rarely.
        if self._held_until - time.monotonic() > LEASE_SECONDS / 2:
            return True
        started = time.monotonic()
        self._held_until = started + LEASE_SECONDS if self._take() else 0.0
        return self._held_until > 0

    def lapse(self) -> None:
        self._held_until = 0.0

    def _take(self) -> bool:
        now = utcnow()
        until = now + timedelta(seconds=LEASE_SECONDS)
        with self.db.transaction() as conn:
            taken = conn.execute(
                update(self.table)
                .where(self.table.c.name == self.name)
                .where((self.table.c.holder == self.holder) | (self.table.c.expires_at < now))
                .values(holder=self.holder, expires_at=until)
            ).rowcount
            if taken:
                return True
            if conn.execute(select(self.table.c.name).where(self.table.c.name == self.name)).first():
                return False
        try:
            with self.db.transaction() as conn:
                conn.execute(insert(self.table).values(name=self.name, holder=self.holder, expires_at=until))
            return True
        except IntegrityError:
            return False  # another notifier took it first
