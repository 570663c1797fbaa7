"""Rebuild the roster projection from enrolment's topic: `python -m services.scheduling.rebuild`.

The projection (offers and memberships) is emptied, then enrolment's topic is read from its
beginning with a fresh consumer group up to the offsets it had when the rebuild began, each
event going through the same validation, inbox and `handlers.PROJECTION` as live. Only the
projection is rebuilt: reactions that changed scheduling's own sessions happened once and are
not repeated. Stop the worker while it runs, or events that arrive meanwhile are applied by
both (harmless: every projection handler is idempotent in effect). The topic's retention
bounds what can be rebuilt, so it must keep enrolment's events for the life of an offer.
"""
from __future__ import annotations

import sys
import time
import uuid

from kafka.structs import TopicPartition

from shared import kafka
from shared.config import Settings
from shared.consumer import Consumer, Subscription
from shared.contracts.enrolment import ENROLMENT_TOPIC
from shared.db import Database
from services.scheduling import store
from services.scheduling.handlers import PROJECTION


def rebuild_rosters(settings: Settings, db: Database, *, timeout_seconds: float = 120.0) -> int:
    """Empty the projection and replay the topic into it; returns the number of messages read."""
    with db.transaction() as conn:
        store.clear_projection(conn)
    consumer = Consumer(settings, db, Subscription(f"rosters-rebuild-{uuid.uuid4().hex[:12]}", PROJECTION))
    client = kafka.consumer(settings, consumer.group_id)
    try:
        partitions = _partitions(client, ENROLMENT_TOPIC.address(settings.topic_prefix))
        client.assign(partitions)
        client.seek_to_beginning(*partitions)
        ends = client.end_offsets(partitions)
        deadline, read = time.monotonic() + timeout_seconds, 0
        while any(client.position(tp) < ends[tp] for tp in partitions):
            if time.monotonic() > deadline:
                raise TimeoutError("the rebuild did not reach the end of the topic in time")
            for messages in client.poll(timeout_ms=500).values():
                for message in messages:
                    consumer.process(message)
                    read += 1
        client.commit()
        return read
    finally:
        client.close(autocommit=False)


def _partitions(client, topic: str) -> list[TopicPartition]:
    client.topics()  # loads the cluster metadata
    return [TopicPartition(topic, p) for p in sorted(client.partitions_for_topic(topic) or ())]


if __name__ == "__main__":
    from services.scheduling.app import build_runtime

    runtime = build_runtime()
    print(f"rebuilt the roster projection from {rebuild_rosters(runtime.settings, runtime.db)} events", file=sys.stderr)
