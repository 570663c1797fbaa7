"""Operator tools against the real broker: replay rebuilds an identical projection, and a
dead-lettered event is redriven once its cause is fixed, then applied exactly once."""
from __future__ import annotations

import threading
import uuid

import pytest
from sqlalchemy import func, select

from services.enrolment.settings import EnrolmentSettings
from shared import kafka, operations
from shared.consumer import Consumer, Subscription
from shared.contracts.enrolment import ENROLMENT_TOPIC, ENROLMENT_WAITLISTED
from shared.db import Database
from shared.outbox import Outbox
from shared.relay import Relay
from tests.harness import eventually
from tests.integration.backbone_proc import consumer_metadata
from tests.integration.test_backbone_dead_letters import _valid_data


class Pipeline:
    """Outbox → real relay → real broker → real consumer into `applied`, on threads."""

    def __init__(self, databases, kafka_bootstrap, topic_prefix):
        environ = {"KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap, "CONVENE_TOPIC_PREFIX": topic_prefix, "CONSUMER_MAX_RETRIES": "2", "RELAY_IDLE_SECONDS": "0.01"}
        self.settings = EnrolmentSettings.load({**environ, "DATABASE_URL": databases.new("producer")})
        self.producer_db = Database(self.settings.database_url, __import__("sqlalchemy").MetaData())
        self.producer_db.create_schema()
        metadata, self.applied = consumer_metadata()
        self.consumer_db = Database(databases.new("consumer"), metadata)
        self.consumer_db.create_schema()
        kafka.ensure_topics(self.settings)
        self.refused: set[int] = set()
        self.subscription = Subscription("ops-probe", {ENROLMENT_WAITLISTED.type: self.apply})
        self.stop = threading.Event()
        self.threads = [
            threading.Thread(target=Relay(self.settings, self.producer_db).run, args=(self.stop,), daemon=True),
            threading.Thread(target=Consumer(self.settings, self.consumer_db, self.subscription).run, args=(self.stop,), daemon=True),
        ]
        for thread in self.threads:
            thread.start()

    def apply(self, event, conn):
        if event.data["waitlist_position"] in self.refused:
            raise RuntimeError("refused")
        conn.execute(self.applied.insert().values(event_id=event.id, offer_id=event.data["offer_id"], position=event.data["waitlist_position"]))

    def publish(self, offer_id: str, positions) -> None:
        outbox = Outbox(self.producer_db.tables.outbox, self.settings.topic_prefix)
        with self.producer_db.transaction() as conn:
            for position in positions:
                outbox.record(conn, ENROLMENT_WAITLISTED, _valid_data(offer_id, position))

    def rows(self):
        with self.consumer_db.read() as conn:
            return sorted((row.event_id, row.offer_id, row.position) for row in conn.execute(select(self.applied)))

    def close(self):
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=20)
        self.producer_db.dispose()
        self.consumer_db.dispose()


@pytest.fixture
def pipeline(databases, kafka_bootstrap, topic_prefix):
    built = Pipeline(databases, kafka_bootstrap, topic_prefix)
    yield built
    built.close()


def test_replaying_the_topic_rebuilds_an_identical_projection(pipeline):
    offers = [str(uuid.uuid4()) for _ in range(5)]
    for offer in offers:
        pipeline.publish(offer, range(1, 41))
    live = eventually(lambda: rows if len(rows := pipeline.rows()) == 200 else None, timeout=60, message="the live projection")
    pipeline.stop.set()  # the worker is stopped before a rebuild
    for thread in pipeline.threads:
        thread.join(timeout=20)

    replayed = operations.replay(pipeline.settings, pipeline.consumer_db, pipeline.subscription, [pipeline.applied], progress=False)

    assert replayed == 200
    assert pipeline.rows() == live


def test_a_dead_letter_is_redriven_after_its_cause_is_fixed_and_applied_once(pipeline):
    offer = str(uuid.uuid4())
    pipeline.refused.add(2)
    pipeline.publish(offer, [1, 2, 3])
    eventually(lambda: sorted(r[2] for r in pipeline.rows()) == [1, 3], timeout=60, message="the events around the refused one")
    topic = ENROLMENT_TOPIC.address(pipeline.settings.topic_prefix)
    letters = eventually(lambda: operations.dead_letters(pipeline.settings, topic), timeout=30, message="the dead letter")
    assert [letter.summary()["dlq_reason"] for letter in letters] == ["handler_failed"]
    assert "ce_id" in letters[0].summary() and "value" not in letters[0].summary()

    pipeline.refused.clear()  # the cause is fixed
    assert operations.redrive(pipeline.settings, topic, dry_run=True) == 1
    assert sorted(r[2] for r in pipeline.rows()) == [1, 3]  # a dry run sent nothing
    assert operations.redrive(pipeline.settings, topic, {letters[0].offset}) == 1
    eventually(lambda: sorted(r[2] for r in pipeline.rows()) == [1, 2, 3], timeout=60, message="the redriven event to be applied")

    assert operations.redrive(pipeline.settings, topic) == 1  # redriving again changes nothing
    eventually(lambda: _duplicates_skipped(pipeline.consumer_db), timeout=30, message="the repeat to reach the consumer")
    assert sorted(r[2] for r in pipeline.rows()) == [1, 2, 3]


def _duplicates_skipped(db) -> bool:
    inbox = db.tables.inbox
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(inbox)).scalar() == 3


def test_purge_removes_only_rows_older_than_the_retention(pipeline):
    pipeline.publish(str(uuid.uuid4()), [1, 2])
    eventually(lambda: len(pipeline.rows()) == 2, timeout=60, message="the events to flow")
    from datetime import timedelta

    assert operations.purge(pipeline.producer_db, older_than=timedelta(days=1)) == {"outbox": 0, "inbox": 0, "idempotency_keys": 0}
    assert operations.purge(pipeline.producer_db, older_than=timedelta(seconds=-1), dry_run=True)["outbox"] == 2
    assert operations.purge(pipeline.producer_db, older_than=timedelta(seconds=-1))["outbox"] == 2  # the dry run kept them
    assert operations.purge(pipeline.producer_db, older_than=timedelta(seconds=-1))["outbox"] == 0
