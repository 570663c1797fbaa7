"""Operator tools against the real broker: replay rebuilds an identical projection, refuses
while a worker consumes, reports its progress and survives being killed midway; a
dead-lettered event is redriven once its cause is fixed, then applied exactly once."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import threading
import time
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
from tests.processes import REPO


class Pipeline:
    """Outbox → real relay → real broker → real consumer into `applied`, on threads."""

    def __init__(self, databases, kafka_bootstrap, topic_prefix):
        environ = {
            "KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
            "CONVENE_TOPIC_PREFIX": topic_prefix,
            "CONSUMER_MAX_RETRIES": "2",
            "RELAY_IDLE_SECONDS": "0.01",
        }
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
            threading.Thread(
                target=Consumer(self.settings, self.consumer_db, self.subscription).run, args=(self.stop,), daemon=True
            ),
        ]
        for thread in self.threads:
            thread.start()

    def apply(self, event, unit):
        if event.data["waitlist_position"] in self.refused:
            raise RuntimeError("refused")
        unit.conn.execute(
            self.applied.insert().values(
                event_id=event.id, offer_id=event.data["offer_id"], position=event.data["waitlist_position"]
            )
        )

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
    live = eventually(
        lambda: rows if len(rows := pipeline.rows()) == 200 else None, timeout=60, message="the live projection"
    )
    _stop_worker(pipeline)

    replayed = operations.replay(
        pipeline.settings, pipeline.consumer_db, pipeline.subscription, [pipeline.applied], progress=False
    )

    assert replayed == 200
    assert pipeline.rows() == live


def _stop_worker(pipeline) -> None:
    pipeline.stop.set()  # the worker is stopped before a rebuild
    for thread in pipeline.threads:
        thread.join(timeout=20)
    eventually(
        lambda: not operations.live_groups(pipeline.settings, [_group(pipeline)]),
        timeout=30,
        message="the worker to leave its group",
    )


def _group(pipeline) -> str:
    return Consumer(pipeline.settings, pipeline.consumer_db, pipeline.subscription).group_id


def test_replay_refuses_while_the_group_has_a_live_member_and_touches_nothing(pipeline):
    pipeline.publish(str(uuid.uuid4()), range(1, 6))
    live = eventually(
        lambda: rows if len(rows := pipeline.rows()) == 5 else None, timeout=60, message="the live projection"
    )
    group = _group(pipeline)
    eventually(
        lambda: operations.live_groups(pipeline.settings, [group]), timeout=30, message="the worker's membership"
    )

    with pytest.raises(operations.ReplayRefused, match=re.escape(group)) as refused:
        operations.replay(
            pipeline.settings, pipeline.consumer_db, pipeline.subscription, [pipeline.applied], progress=False
        )

    assert "Stop the enrolment worker" in str(refused.value)
    assert pipeline.rows() == live, "a refused replay empties nothing"


def test_replay_prints_events_done_rate_and_time_left(pipeline):
    pipeline.publish(str(uuid.uuid4()), range(1, 31))
    eventually(lambda: len(pipeline.rows()) == 30, timeout=60, message="the live projection")
    _stop_worker(pipeline)
    slow = Subscription(
        pipeline.subscription.name,
        {ENROLMENT_WAITLISTED.type: lambda event, unit: (time.sleep(0.02), pipeline.apply(event, unit))},
    )
    stream = io.StringIO()

    assert (
        operations.replay(
            pipeline.settings,
            pipeline.consumer_db,
            slow,
            [pipeline.applied],
            progress_every=0.1,
            stream=stream,
            batch=5,
        )
        == 30
    )

    lines = stream.getvalue().splitlines()
    group = re.escape(_group(pipeline))
    midway = [
        line
        for line in lines
        if (found := re.fullmatch(rf"replay {group}: (\d+)/30 events, \d+/s, about \d+ s left", line))
        and int(found.group(1)) < 30
    ]
    assert midway, lines
    assert re.fullmatch(rf"replay {group}: 30/30 events, \d+/s, done in \d+ s", lines[-1]), lines


def test_a_replay_killed_midway_leaves_the_projection_whole_and_the_next_one_completes(pipeline):
    for _ in range(3):
        pipeline.publish(str(uuid.uuid4()), range(1, 41))
    live = eventually(
        lambda: rows if len(rows := pipeline.rows()) == 120 else None, timeout=60, message="the live projection"
    )
    _stop_worker(pipeline)
    environ = {
        **os.environ,
        "DATABASE_URL": str(pipeline.consumer_db.engine.url.render_as_string(hide_password=False)),
        "KAFKA_BOOTSTRAP_SERVERS": pipeline.settings.kafka_bootstrap_servers,
        "CONVENE_TOPIC_PREFIX": pipeline.settings.topic_prefix,
        "PROBE_HANDLER_DELAY": "0.05",
    }
    replaying = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.replay_proc"],
        cwd=REPO,
        env=environ,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for line in replaying.stderr:  # kill it once it has applied some events, well before the end
            if (found := re.search(r": (\d+)/120 events", line)) and 10 <= int(found.group(1)) < 100:
                break
        else:
            pytest.fail(f"the replay ended before it could be killed (exit {replaying.wait()})")
        os.kill(replaying.pid, signal.SIGKILL)
    finally:
        replaying.kill()
        replaying.wait(timeout=30)
    assert replaying.returncode == -signal.SIGKILL

    assert pipeline.rows() == live, "the killed replay's emptying and partial refill were rolled back"
    assert (
        operations.replay(
            pipeline.settings, pipeline.consumer_db, pipeline.subscription, [pipeline.applied], progress=False
        )
        == 120
    )
    assert pipeline.rows() == live
    assert _inbox_count(pipeline.consumer_db) == 120


def _inbox_count(db) -> int:
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(db.tables.inbox)).scalar()


def test_a_dead_letter_is_redriven_after_its_cause_is_fixed_and_applied_once(pipeline):
    offer = str(uuid.uuid4())
    pipeline.refused.add(2)
    pipeline.publish(offer, [1, 2, 3])
    eventually(
        lambda: sorted(r[2] for r in pipeline.rows()) == [1, 3], timeout=60, message="the events around the refused one"
    )
    topic = ENROLMENT_TOPIC.address(pipeline.settings.topic_prefix)
    letters = eventually(
        lambda: operations.dead_letters(pipeline.settings, topic), timeout=30, message="the dead letter"
    )
    assert [letter.summary()["dlq_reason"] for letter in letters] == ["handler_failed"]
    assert "ce_id" in letters[0].summary() and "value" not in letters[0].summary()

    pipeline.refused.clear()  # the cause is fixed
    assert operations.redrive(pipeline.settings, topic, dry_run=True) == 1
    assert sorted(r[2] for r in pipeline.rows()) == [1, 3]  # a dry run sent nothing
    assert operations.redrive(pipeline.settings, topic, {letters[0].offset}) == 1
    eventually(
        lambda: sorted(r[2] for r in pipeline.rows()) == [1, 2, 3],
        timeout=60,
        message="the redriven event to be applied",
    )

    assert operations.redrive(pipeline.settings, topic) == 1  # redriving again changes nothing
    eventually(
        lambda: _duplicates_skipped(pipeline.consumer_db), timeout=30, message="the repeat to reach the consumer"
    )
    assert sorted(r[2] for r in pipeline.rows()) == [1, 2, 3]


def _duplicates_skipped(db) -> bool:
    inbox = db.tables.inbox
    with db.read() as conn:
        return conn.execute(select(func.count()).select_from(inbox)).scalar() == 3


def test_purge_removes_only_rows_older_than_the_retention(pipeline):
    pipeline.publish(str(uuid.uuid4()), [1, 2])
    eventually(lambda: len(pipeline.rows()) == 2, timeout=60, message="the events to flow")
    from datetime import timedelta

    assert operations.purge(pipeline.producer_db, older_than=timedelta(days=1)) == {
        "outbox": 0,
        "inbox": 0,
        "idempotency_keys": 0,
    }
    assert operations.purge(pipeline.producer_db, older_than=timedelta(seconds=-1), dry_run=True)["outbox"] == 2
    assert (
        operations.purge(pipeline.producer_db, older_than=timedelta(seconds=-1))["outbox"] == 2
    )  # the dry run kept them
    assert operations.purge(pipeline.producer_db, older_than=timedelta(seconds=-1))["outbox"] == 0
