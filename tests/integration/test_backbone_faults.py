"""The event backbone under faults, against the real broker: every outbox event reaches the
consumer's projection exactly once, in order per key, when the relay or the consumer is
SIGKILLed mid-stream and when the broker is stopped for 10 seconds."""

from __future__ import annotations

import subprocess
import threading
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import MetaData, func, select

from services.enrolment.settings import EnrolmentSettings
from shared import kafka
from shared.contracts.enrolment import ENROLMENT_WAITLISTED
from shared.db import Database
from shared.outbox import Outbox
from tests.harness import eventually
from tests.integration.backbone_proc import consumer_metadata
from tests.processes import REPO, WorkerProcess

OFFERS = [str(uuid.uuid4()) for _ in range(12)]


class Backbone:
    """A producing database with an outbox, a consuming database with `applied`, and the
    environment their processes share."""

    def __init__(self, databases, kafka_bootstrap: str, topic_prefix: str, log_dir: Path):
        self.producer_url = databases.new("producer")
        self.consumer_url = databases.new("consumer")
        self.environ = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "CONVENE_TOPIC_PREFIX": topic_prefix,
            "RELAY_BATCH_SIZE": "25",
            "LOG_LEVEL": "WARNING",
        }
        self.settings = EnrolmentSettings.load({**self.environ, "DATABASE_URL": self.producer_url})
        self.producer_db = Database(self.producer_url, MetaData())
        self.producer_db.create_schema()
        metadata, self.applied = consumer_metadata()
        self.consumer_db = Database(self.consumer_url, metadata)
        self.consumer_db.create_schema()
        self.outbox = Outbox(self.producer_db.tables.outbox, topic_prefix)
        self.positions = {offer: 0 for offer in OFFERS}
        self.log_dir = log_dir
        kafka.ensure_topics(self.settings)

    def write_events(self, count: int, per_transaction: int = 25) -> None:
        for start in range(0, count, per_transaction):
            with self.producer_db.transaction() as conn:
                for n in range(start, min(start + per_transaction, count)):
                    offer = OFFERS[n % len(OFFERS)]
                    self.positions[offer] += 1
                    self.outbox.record(conn, ENROLMENT_WAITLISTED, _waitlisted(offer, self.positions[offer]))

    def relay(self) -> WorkerProcess:
        return WorkerProcess(
            "tests.integration.backbone_proc",
            {**self.environ, "DATABASE_URL": self.producer_url},
            self.log_dir,
            args=["relay"],
        ).start()

    def consumer(self, delay: float = 0.0) -> WorkerProcess:
        environ = {**self.environ, "DATABASE_URL": self.consumer_url, "PROBE_HANDLER_DELAY": str(delay)}
        return WorkerProcess("tests.integration.backbone_proc", environ, self.log_dir, args=["consume"]).start()

    def published(self) -> int:
        with self.producer_db.read() as conn:
            return conn.execute(
                select(func.count()).where(self.producer_db.tables.outbox.c.published_at.is_not(None))
            ).scalar()

    def applied_count(self) -> int:
        with self.consumer_db.read() as conn:
            return conn.execute(select(func.count()).select_from(self.applied)).scalar()

    def assert_exactly_once_in_order(self, expected: int) -> None:
        with self.producer_db.read() as conn:
            sent = {row.event_id for row in conn.execute(select(self.producer_db.tables.outbox.c.event_id))}
        with self.consumer_db.read() as conn:
            rows = conn.execute(select(self.applied).order_by(self.applied.c.seq)).all()
        assert len(sent) == expected
        assert len(rows) == expected, f"{len(rows) - expected:+d} applications against {expected} events"
        assert {row.event_id for row in rows} == sent, "an event was lost"
        seen = {offer: [] for offer in OFFERS}
        for row in rows:
            seen[row.offer_id].append(row.position)
        for offer, positions in seen.items():
            assert positions == list(range(1, self.positions[offer] + 1)), f"offer {offer} out of order"

    def close(self) -> None:
        self.producer_db.dispose()
        self.consumer_db.dispose()


def _waitlisted(offer_id: str, position: int) -> dict:
    return {
        "enrolment_id": str(uuid.uuid4()),
        "offer_id": offer_id,
        "participant_id": str(uuid.uuid4()),
        "region": "Y61",
        "offer_type": "regional_programme",
        "role": "clinical_director",
        "status": "waitlisted",
        "waitlist_position": position,
        "changed_at": datetime.now(UTC),
    }


@pytest.fixture
def backbone(databases, kafka_bootstrap, topic_prefix, tmp_path):
    built = Backbone(databases, kafka_bootstrap, topic_prefix, tmp_path)
    yield built
    built.close()


@pytest.fixture
def processes():
    started: list[WorkerProcess] = []
    yield started
    for process in started:
        process.kill()
        print(f"--- {process.command[-1]} log ---\n{process.log()[-4000:]}")  # shown when a test fails


def test_a_relay_killed_mid_stream_and_restarted_delivers_every_event_exactly_once_in_order(backbone, processes):
    total = 3000
    backbone.write_events(total)
    processes.append(backbone.consumer())
    relay = backbone.relay()
    processes.append(relay)
    eventually(lambda: backbone.published() >= 300, timeout=60, message="the relay to publish a first part")
    relay.kill()
    assert backbone.published() < total, "the relay finished before it could be killed mid-stream"
    processes.append(backbone.relay())
    eventually(lambda: backbone.applied_count() >= total, timeout=120, message="every event to be applied")
    time.sleep(1)  # anything applied twice would arrive now
    backbone.assert_exactly_once_in_order(total)


def test_a_consumer_killed_mid_batch_and_restarted_applies_every_event_exactly_once(backbone, processes):
    total = 1500
    backbone.write_events(total)
    processes.append(backbone.relay())
    eventually(lambda: backbone.published() == total, timeout=60, message="the relay to publish everything")
    consumer = backbone.consumer(delay=0.002)
    processes.append(consumer)
    eventually(lambda: backbone.applied_count() >= 200, timeout=60, message="the consumer to apply a first part")
    consumer.kill()
    assert backbone.applied_count() < total, "the consumer finished before it could be killed mid-stream"
    processes.append(backbone.consumer())
    eventually(lambda: backbone.applied_count() >= total, timeout=120, message="every event to be applied")
    time.sleep(1)
    backbone.assert_exactly_once_in_order(total)


def test_a_broker_stopped_for_ten_seconds_mid_stream_loses_and_repeats_nothing(
    backbone, processes, kafka_dir, kafka_bootstrap
):
    processes.append(backbone.consumer())
    processes.append(backbone.relay())
    backbone.write_events(600)
    eventually(lambda: backbone.applied_count() >= 100, timeout=60, message="the first events to flow")

    writer = threading.Thread(target=backbone.write_events, args=(900,))
    writer.start()  # events keep being written while the broker is away
    _kafka("stop", kafka_dir)
    time.sleep(10)
    _kafka("start", kafka_bootstrap.rsplit(":", 1)[1], kafka_dir)
    writer.join()
    eventually(
        lambda: backbone.applied_count() >= 1500,
        timeout=180,
        message="every event to be applied after the broker returned",
    )
    time.sleep(1)
    backbone.assert_exactly_once_in_order(1500)


def _kafka(*args: str) -> None:
    subprocess.run([str(REPO / "deploy" / "kafka" / "kafka.sh"), *args], check=True, capture_output=True)
