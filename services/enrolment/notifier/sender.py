"""The notifier: a loop of enrolment's worker that sends the e-mails due.

Exactly once in effect. A notification is recorded once, in the transaction of the change or
consumed event that calls for it (unique per cause, person and kind; a redelivered event is
dropped by the inbox, a replay by `notified_events`). One notifier is active at a time in the
deployment (a lease, shared.lease), and beneath it each notification is claimed on its own
before it is sent (`claimed_until`, only once due): two notifiers never send one at once, even
while a lease changes hands or a send is slow, and a crashed notifier's claim expires. A send is
bounded (SMTP_TIMEOUT_SECONDS for the whole conversation, NOTIFY_TIMEOUT_SECONDS), the claim
outlasts it, and a round starts no send it could not finish within NOTIFIER_CYCLE_SECONDS.

Erasure. The transaction that decides to send renews the claim and reads the person locked: an
erasure committed before it has deleted the notification (nothing is sent), and one that starts
after it waits for that transaction, so whoever is e-mailed was not erased when it was decided.
The mail then leaves within the send's bound; its log row is not written if the person was
erased meanwhile.

SMTP cannot take part in our transaction, so one gap remains: a crash after the server
accepted the mail and before the mark is committed sends it again once the claim expires.
Every try of a notification carries the same Message-ID (its id), so the receiving system can
drop the repeat; GOV.UK Notify gets the id as `reference`. Nothing is ever sent twice otherwise.

A failed try is retried with exponential backoff and jitter (domain.retries) and parked after
NOTIFICATION_MAX_ATTEMPTS; `services.cli notifications parked` lists those, `retry` sends them
again. Logs carry the notification id, kind and error class: never an address or a body.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from datetime import timedelta

from services.enrolment.domain.retries import next_attempt, parks
from services.enrolment.notifier.channels import channel, failure
from services.enrolment.notifier.letters import compose
from services.enrolment.store import notifications as store
from services.enrolment.store import participants as participant_store
from shared.clock import utcnow
from shared.lease import Lease
from shared.worker_health import beat

log = logging.getLogger(__name__)
LEASE_NAME = "enrolment.notifier"
LEASE_SECONDS = 30
BATCH = 20
MAX_ROUND_BACKOFF_SECONDS = 10.0
# A claim outlasts its send by this much more: the transactions around it, and Notify's client,
# whose timeout bounds each wait rather than the whole.
CLAIM_MARGIN_SECONDS = 30.0


class Notifier:
    def __init__(self, settings, db, *, sending_channel=None, draw=random.random):
        self.settings, self.db = settings, db
        self.channel = sending_channel or channel(settings)
        self.draw = draw
        # Renewed once less than half is left: an idle notifier then writes rarely.
        self.lease = Lease(db, LEASE_NAME, seconds=LEASE_SECONDS, renew_within=LEASE_SECONDS / 2)
        self.send_seconds = settings.send_timeout_seconds()
        self.claim_seconds = 2 * self.send_seconds + CLAIM_MARGIN_SECONDS

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
        """Claim and send each notification due now, within one round's time; how many were due."""
        ends = time.monotonic() + self.settings.notifier_cycle_seconds
        with self.db.read() as conn:
            ids = store.due(conn, utcnow(), BATCH)
        for notification_id in ids:
            # The lease again before each: a slow mail server must not let it lapse mid-batch.
            if (stop is not None and stop.is_set()) or not self.lease.hold():
                break
            if ends - time.monotonic() < self.send_seconds:
                break  # the rest wait for the next round, unclaimed
            row = self.claim(notification_id)
            if row is not None:  # None: sent, dropped, erased or claimed by another since it was listed
                self.send(row)
            beat()
        return len(ids)

    def claim(self, notification_id: str) -> dict | None:
        now = utcnow()
        with self.db.transaction() as conn:
            return store.claim(conn, notification_id, self.lease.holder, now, self._claim_until(now))

    def send(self, row: dict) -> None:
        """Send a notification this notifier has claimed (claim), or drop it."""
        with self.db.transaction() as conn:
            # Under the claim, in one transaction: the claim renewed for the send, the person read
            # locked and not erased, the letter composed (module docstring, "Erasure").
            now = utcnow()
            # The person first, as erasure locks them (then their notifications): one order, no deadlock.
            participant_store.participant(conn, row["participant_id"], lock="share")
            if not store.renew_claim(conn, row["id"], self.lease.holder, now, self._claim_until(now)):
                return  # erased meanwhile (the row is gone), or the claim lapsed and another may have it
            composed = compose(conn, row, now)
            if isinstance(composed, str):
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

    def _claim_until(self, now):
        return now + timedelta(seconds=self.claim_seconds)

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
