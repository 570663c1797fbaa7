"""How an idle relay waits for new outbox rows: woken at once on PostgreSQL, polling on SQLite.

On PostgreSQL the outbox's INSERT itself queues `NOTIFY convene_outbox` (it selects its row
from `pg_notify`: shared.outbox). NOTIFY is transactional: a listener hears it once that
transaction has committed (a read started after that sees its rows), never for one rolled back,
and several in one transaction arrive as one. Notifications stay within their database, and
each service has its own, so a relay hears only its own outbox. The relay holding the lease
LISTENs on a connection of its own and, after a round that found the outbox empty, waits on
that connection's socket instead of sleeping. The idle pause (shared.idle_pause) still bounds
the wait, so nothing depends on NOTIFY: a lost notification, or a LISTEN connection that broke
(opened again on the next round, at most once a second while that fails), only means the next
poll finds the rows, as before.

SQLite has no NOTIFY, and its writers are other processes (gunicorn's workers): the relay keeps
polling there, 10 ms apart while events flow.
"""

from __future__ import annotations

import logging
import threading
import time

import psycopg

from shared import metrics
from shared.db import Database

log = logging.getLogger(__name__)
CHANNEL = "convene_outbox"
APPLICATION_NAME = "convene-relay-listen"
STOP_CHECK_SECONDS = 1.0  # a long wait is cut into slices this long, so a stop is seen within one
RECONNECT_SECONDS = 1.0  # while the LISTEN connection cannot be opened, try again this often
CONNECT_TIMEOUT_SECONDS = 5


def wakeup_for(db: Database, service: str) -> Polling | Listener:
    return Polling() if db.is_sqlite else Listener(db, service)


class Polling:
    """Sleeps the pause out (SQLite)."""

    def ready(self) -> None:
        pass

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        stop.wait(seconds)
        return False

    def close(self) -> None:
        pass


class Listener:
    """A LISTEN connection to the service's PostgreSQL database, and the wait on it."""

    def __init__(self, db: Database, service: str):
        self.db, self.service = db, service
        self.connection: psycopg.Connection | None = None
        self._retry_at = 0.0
        # What ended each wait; the relay's loop runs in one thread, so plain counts (and metrics).
        self.waits = self.notified = self.timed_out = self.lost = 0

    def ready(self) -> None:
        """LISTEN, unless already listening. Called before each read of the outbox: a commit after
        that read then wakes the wait that follows it."""
        if self.connection is not None or time.monotonic() < self._retry_at:
            return
        try:
            cargs, cparams = self.db.engine.dialect.create_connect_args(self.db.engine.url)
            options = {"application_name": APPLICATION_NAME, "connect_timeout": CONNECT_TIMEOUT_SECONDS, **cparams}
            connection = psycopg.connect(*cargs, **options, autocommit=True)
            connection.execute(f"LISTEN {CHANNEL}")
            self.connection = connection
        except psycopg.Error as error:
            self._retry_at = time.monotonic() + RECONNECT_SECONDS
            log.warning("relay cannot LISTEN; polling meanwhile", extra={"error": type(error).__name__})

    def wait(self, seconds: float, stop: threading.Event) -> bool:
        """Until a notification, `seconds` or `stop`; True when a notification ended it."""
        self.waits += 1
        if self.connection is None:
            stop.wait(seconds)
            self._count("timeout")
            return False
        deadline = time.monotonic() + seconds
        try:
            while not stop.is_set():
                left = deadline - time.monotonic()
                if left <= 0:
                    self._count("timeout")
                    return False
                for _ in self.connection.notifies(timeout=min(left, STOP_CHECK_SECONDS), stop_after=1):
                    self._count("notified")
                    return True
        except psycopg.Error as error:
            log.warning("relay's LISTEN connection lost; polling", extra={"error": type(error).__name__})
            self._count("lost")
            self.close()
        return False

    def close(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:
                pass
            self.connection = None

    def _count(self, cause: str) -> None:
        if cause == "notified":
            self.notified += 1
        elif cause == "timeout":
            self.timed_out += 1
        else:
            self.lost += 1
        metrics.RELAY_WAKEUPS.labels(self.service, cause).inc()
