"""Scheduling's roster consumer applying a poll's events as one batch (shared.batch), on both
databases: the same projection as one event at a time, a duplicate inside one poll applied once,
a failing event in the middle of a poll dead-lettered alone with its neighbours applied once,
and an erasure earlier in the poll honoured by the events after it."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import select

from services.scheduling.handlers import PROJECTION
from services.scheduling.store import rosters as store
from services.scheduling.store import tables
from shared import kafka
from shared.clock import utcnow
from shared.consumer import Consumer, Subscription
from shared.contracts import enrolment
from shared.envelope import Envelope
from tests.integration.test_scheduling_support import Scheduling, scheduling  # noqa: F401

NOW = utcnow()


@dataclass
class Message:
    """What the consumer reads of a Kafka record."""

    topic: str
    partition: int
    offset: int
    key: bytes
    value: bytes
    headers: list


def messages(scheduling: Scheduling, events: list[tuple]) -> list[Message]:
    topic = enrolment.ENROLMENT_CONFIRMED.topic.address(scheduling.service.settings.topic_prefix)
    found = []
    for offset, (event_type, data, event_id) in enumerate(events):
        envelope = Envelope(
            type=event_type.type,
            source=event_type.source,
            data=data,
            partitionkey=data.get("offer_id", data["participant_id"]),
            region="Y56",
            **({"id": event_id} if event_id else {}),
        )
        key = envelope.partitionkey.encode()
        found.append(Message(topic, 0, offset, key, envelope.value(), envelope.headers()))
    return found


def membership(scheduling: Scheduling, offer_id: str, participant_id: str, event_type=None, at=None, event_id=None):
    data = scheduling.enrolment_data(offer_id, participant_id, "confirmed", at or NOW)
    return (event_type or enrolment.ENROLMENT_CONFIRMED, data, event_id)


def consumer(scheduling: Scheduling, handlers: dict) -> Consumer:
    settings = scheduling.service.settings
    kafka.ensure_topics(settings)
    return Consumer(settings, scheduling.db, Subscription(f"batch-{uuid.uuid4().hex[:8]}", handlers))


def periods(scheduling: Scheduling, offer_id: str) -> list[tuple]:
    with scheduling.db.read() as conn:
        rows = store.membership_periods(conn, offer_id)
    return sorted((period.member_id, period.joined_at, period.left_at) for period in rows)


def version(scheduling: Scheduling, offer_id: str) -> int:
    with scheduling.db.read() as conn:
        return store.find_offer(conn, offer_id)["roster_version"]


@pytest.fixture(autouse=True)
def consumer_log(caplog):
    caplog.set_level(logging.INFO, logger="shared.consumer")  # where a rolled-back batch is told


def applied_together(caplog) -> bool:
    """The poll was applied as one batch, not rolled back and applied again one by one."""
    return "batch rolled back" not in caplog.text


def test_a_poll_of_joins_leaves_and_a_rejoin_gives_the_same_periods_as_one_by_one(scheduling: Scheduling, caplog):
    offer_id = scheduling.publish_offer()
    before = version(scheduling, offer_id)
    t1, t2, t3 = (NOW - timedelta(days=d) for d in (9, 6, 3))
    batch = [
        membership(scheduling, offer_id, "p1", at=t1),
        membership(scheduling, offer_id, "p2", at=t1),
        membership(scheduling, offer_id, "p1", enrolment.ENROLMENT_WITHDRAWN, at=t2),
        membership(scheduling, offer_id, "p1", at=t3),
        membership(scheduling, offer_id, "p2", at=t3),  # already a member: changes nothing
        membership(scheduling, offer_id, "p2", enrolment.ENROLMENT_COMPLETED, at=t3),
    ]
    consumer(scheduling, PROJECTION).process_batch(messages(scheduling, batch))
    assert applied_together(caplog)
    assert periods(scheduling, offer_id) == [("p1", t1, t2), ("p1", t3, None), ("p2", t1, None)]
    with scheduling.db.read() as conn:
        assert [(m["participant_id"], m["status"]) for m in store.roster(conn, offer_id)] == [
            ("p2", "completed"),
            ("p1", "confirmed"),
        ]
    assert version(scheduling, offer_id) > before


def test_the_same_event_twice_in_one_poll_is_applied_once(scheduling: Scheduling, caplog):
    offer_id = scheduling.publish_offer()
    event_id = str(uuid.uuid4())
    joined = membership(scheduling, offer_id, "p1", at=NOW - timedelta(days=4), event_id=event_id)
    left = membership(scheduling, offer_id, "p1", enrolment.ENROLMENT_WITHDRAWN, at=NOW - timedelta(days=2))
    rejoined_again = membership(scheduling, offer_id, "p1", at=NOW - timedelta(days=4), event_id=event_id)
    applying = consumer(scheduling, PROJECTION)
    applying.process_batch(messages(scheduling, [joined, left, rejoined_again]))
    assert applied_together(caplog)
    # Applied twice, the repeated join would have opened a second period after the withdrawal.
    assert periods(scheduling, offer_id) == [("p1", NOW - timedelta(days=4), NOW - timedelta(days=2))]
    applying.process_batch(messages(scheduling, [joined]))  # redelivered in a later poll
    assert len(periods(scheduling, offer_id)) == 1


def test_a_failing_event_in_the_middle_of_a_poll_is_dead_lettered_and_its_neighbours_applied_once(
    scheduling: Scheduling,
):
    offer_id = scheduling.publish_offer()
    failing = PROJECTION[enrolment.ENROLMENT_COMPLETED.type]
    tries = []

    def poisoned(event, unit):
        if event.data["participant_id"] == "poison":
            tries.append(event.id)
            raise RuntimeError("this handler cannot take the poison")
        failing(event, unit)

    applying = consumer(scheduling, {**PROJECTION, enrolment.ENROLMENT_COMPLETED.type: poisoned})
    dead = []
    applying.dead_letter = lambda message, reason, error, event_type=None: dead.append((message.offset, reason))
    batch = [
        membership(scheduling, offer_id, "p1", at=NOW - timedelta(days=3)),
        membership(scheduling, offer_id, "poison", enrolment.ENROLMENT_COMPLETED),
        membership(scheduling, offer_id, "p2", at=NOW - timedelta(days=3)),
        membership(scheduling, offer_id, "p1", enrolment.ENROLMENT_WITHDRAWN, at=NOW - timedelta(days=1)),
    ]
    applying.process_batch(messages(scheduling, batch))
    assert dead == [(1, "handler_failed")]
    assert len(tries) == 1 + scheduling.service.settings.consumer_max_retries  # the batch's, then its own
    assert periods(scheduling, offer_id) == [
        ("p1", NOW - timedelta(days=3), NOW - timedelta(days=1)),
        ("p2", NOW - timedelta(days=3), None),
    ]
    with scheduling.db.read() as conn:
        inbox = scheduling.db.tables.inbox
        applied = conn.execute(select(inbox.c.event_id).where(inbox.c.consumer == applying.group_id)).all()
    assert len(applied) == 3  # the poison's row rolled back with it


def test_an_erasure_early_in_a_poll_is_honoured_by_the_events_after_it(scheduling: Scheduling, caplog):
    offer_id = scheduling.publish_offer()
    other_offer = scheduling.publish_offer()
    erased = (
        enrolment.PARTICIPANT_ERASED,
        {"participant_id": "p9", "region": "Y56", "erased_at": NOW.isoformat()},
        None,
    )
    batch = [
        membership(scheduling, offer_id, "p9", at=NOW - timedelta(days=3)),
        erased,
        membership(scheduling, other_offer, "p9", at=NOW),  # overtook nothing: came after the erasure
    ]
    consumer(scheduling, PROJECTION).process_batch(messages(scheduling, batch))
    assert applied_together(caplog)
    with scheduling.db.read() as conn:
        ids = set(conn.execute(select(tables.memberships.c.participant_id)).scalars())
    assert "p9" not in ids
    assert len(ids) == 1 and next(iter(ids)).startswith("erased-")
    assert [m[0] for m in periods(scheduling, other_offer)] == list(ids)
