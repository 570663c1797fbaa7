"""The relay publishes an event as soon as its transaction commits, not after its idle pause:
on PostgreSQL the outbox INSERT's NOTIFY, delivered at commit, ends the relay's wait on its
LISTEN connection; a lost LISTEN connection falls back to polling and is opened again. SQLite keeps polling."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import MetaData, create_engine, func, select, text
from sqlalchemy.engine import make_url

from services.enrolment.settings import EnrolmentSettings
from shared import kafka
from shared.contracts.enrolment import ENROLMENT_WAITLISTED
from shared.db import Database
from shared.outbox import Outbox
from shared.relay import Relay
from shared.relay_wakeup import Listener, Polling
from tests.conftest import DatabaseFactory
from tests.harness import eventually
from tests.payloads import waitlisted


class RunningRelay:
    """A producing database and its relay on a thread, with the idle pause given."""

    def __init__(self, url: str, kafka_bootstrap: str, topic_prefix: str, idle_seconds: float):
        self.settings = EnrolmentSettings.load(
            {
                "DATABASE_URL": url,
                "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
                "CONVENE_TOPIC_PREFIX": topic_prefix,
                "RELAY_IDLE_SECONDS": str(idle_seconds),
                "RELAY_IDLE_MAX_SECONDS": str(idle_seconds),
                "LOG_LEVEL": "WARNING",
            }
        )
        self.db = Database(url, MetaData())
        self.db.create_schema()
        kafka.ensure_topics(self.settings)
        self.outbox = Outbox(self.db.tables.outbox, topic_prefix)
        self.relay = Relay(self.settings, Database(url, MetaData()))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self.relay.run, args=(self._stop,), daemon=True)
        self._thread.start()

    def write_event(self) -> None:
        with self.db.transaction() as conn:
            self.outbox.record(conn, ENROLMENT_WAITLISTED, waitlisted())

    def published(self) -> int:
        outbox = self.db.tables.outbox
        with self.db.read() as conn:
            return conn.execute(select(func.count()).where(outbox.c.published_at.is_not(None))).scalar()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=20)
        assert not self._thread.is_alive(), "the relay did not stop within its wait's stop slices"
        self.relay.db.dispose()
        self.db.dispose()


@pytest.fixture
def postgres(tmp_path, postgres_admin_url):
    factory = DatabaseFactory("postgres", tmp_path, postgres_admin_url)
    yield factory
    factory.drop_all()


@pytest.fixture
def relays():
    started: list[RunningRelay] = []
    yield started
    for relay in started:
        relay.close()


def test_on_postgresql_an_event_is_published_at_its_commit_while_the_idle_pause_still_runs(
    postgres, kafka_bootstrap, topic_prefix, relays
):
    # A 30 s pause: only the NOTIFY of the writing transaction can end the wait before it runs out.
    running = RunningRelay(postgres.new("producer"), kafka_bootstrap, topic_prefix, idle_seconds=30)
    relays.append(running)
    wakeup = running.relay.wakeup
    assert isinstance(wakeup, Listener)
    eventually(lambda: wakeup.waits >= 1, message="the relay to find the outbox empty and wait")

    for n in (1, 2, 3):
        running.write_event()
        eventually(lambda n=n: running.published() == n, timeout=25, message=f"event {n} to be published")
    assert wakeup.notified >= 3  # each event ended a wait...
    assert wakeup.timed_out == 0 and wakeup.lost == 0  # ...and no 30 s pause ever ran out


def test_on_postgresql_a_lost_listen_connection_falls_back_to_polling_and_is_opened_again(
    postgres, kafka_bootstrap, topic_prefix, relays, postgres_admin_url
):
    url = postgres.new("producer")
    running = RunningRelay(url, kafka_bootstrap, topic_prefix, idle_seconds=0.2)
    relays.append(running)
    wakeup = running.relay.wakeup
    eventually(lambda: wakeup.connection is not None, message="the relay to LISTEN")
    running.write_event()  # also opens the pooled connections the rest of the test writes on
    eventually(lambda: running.published() == 1, message="the first event to be published")

    # New connections to the database refused (the pools keep theirs), then the LISTEN one cut.
    admin = create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    database = make_url(url).database
    try:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS false'))
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": wakeup.connection.info.backend_pid})
        eventually(lambda: wakeup.lost == 1, message="the relay to notice its LISTEN connection is gone")
        polled_before = wakeup.timed_out
        running.write_event()
        eventually(lambda: running.published() == 2, message="the event to be found by a poll")
        assert wakeup.connection is None  # it could not listen again: the poll found it
        assert wakeup.timed_out > polled_before
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS true'))
        admin.dispose()

    eventually(lambda: wakeup.connection is not None, message="the relay to LISTEN again")
    notified_before = wakeup.notified
    running.write_event()
    eventually(lambda: running.published() == 3, message="an event after the reconnection to be published")
    eventually(lambda: wakeup.notified > notified_before, message="a notification on the new connection")


def test_on_sqlite_the_relay_polls(tmp_path, kafka_bootstrap, topic_prefix, relays):
    url = DatabaseFactory("sqlite", tmp_path, None).new("producer")
    running = RunningRelay(url, kafka_bootstrap, topic_prefix, idle_seconds=0.05)
    relays.append(running)
    assert isinstance(running.relay.wakeup, Polling)  # SQLite has no NOTIFY
    running.write_event()  # and its outbox write sends none
    eventually(lambda: running.published() == 1, message="the event to be found by a poll")
