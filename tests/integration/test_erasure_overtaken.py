"""An erasure overtaken by events about the same person, over the real broker, on both databases.

`participant.erased` travels under the participant's key; enrolment's memberships travel under
the offer's, and scheduling's attendance and goal types on another topic: any of them can reach
scheduling or feedback after the erasure was applied there (and a rebuild replays them all).
Here the erasure is published and applied first, then events naming the person arrive, as the
consumers would see them overtaken. Nothing readable of the id may come back into any table of
either service, live or after scheduling rebuilds its rosters; the events are still applied
under the erasure's pseudonym, as they would have been had they come first (the other member,
published alike, shows they were applied).
"""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from kafka import KafkaProducer
from sqlalchemy import event, select, text

from services.feedback.handlers import SUBSCRIPTIONS as FEEDBACK_SUBSCRIPTIONS
from services.feedback.store import tables as feedback_tables
from services.scheduling.handlers import SUBSCRIPTIONS as SCHEDULING_SUBSCRIPTIONS
from services.scheduling.rebuild import rebuild_rosters
from services.scheduling.store import rosters
from services.scheduling.store import tables as scheduling_tables
from shared import kafka
from shared.contracts import enrolment, scheduling
from shared.envelope import Envelope
from tests.harness import RunningService, eventually, service_environment

NOW = datetime.now(UTC).replace(microsecond=0)
REGION = "Y56"


class Broker:
    """Publishes events straight to the run's topics, as their owners' relays would."""

    def __init__(self, bootstrap: str, prefix: str):
        self.producer = KafkaProducer(bootstrap_servers=bootstrap)
        self.prefix = prefix
        self.sent: list[Envelope] = []

    def publish(self, event_type, data: dict) -> Envelope:
        envelope = Envelope(type=event_type.type, source=event_type.source, data=data)
        event_type.validate(data)
        self.producer.send(
            event_type.topic.address(self.prefix),
            key=event_type.key_of(data).encode(),
            value=envelope.value(),
            headers=envelope.headers(),
        ).get(timeout=30)
        self.sent.append(envelope)
        return envelope


@pytest.fixture
def services(databases, kafka_bootstrap, topic_prefix, signing_keys):
    running = {
        name: RunningService(
            name, service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
        ).start_worker()
        for name in ("scheduling", "feedback")
    }
    broker = Broker(kafka_bootstrap, topic_prefix)
    yield running, broker
    broker.producer.close()
    for service in running.values():
        service.stop()


def applied(service: RunningService, subscriptions, envelopes: list[Envelope]) -> bool:
    """Has the service's inbox every event of `envelopes` that one of its subscriptions takes?"""
    handled = {t for s in subscriptions for t in s.handlers}
    wanted = {e.id for e in envelopes if e.type in handled}
    inbox = service.runtime.db.tables.inbox
    with service.runtime.db.read() as conn:
        held = set(conn.execute(select(inbox.c.event_id).where(inbox.c.event_id.in_(wanted))).scalars())
    return held == wanted


def tables_holding(service: RunningService, text: str) -> list[str]:
    """Every table of the service in whose rows `text` can be read."""
    db = service.runtime.db
    with db.read() as conn:
        return [
            table.name
            for table in db.metadata.sorted_tables
            if text in repr([tuple(row) for row in conn.execute(select(table))])
        ]


def membership(offer_id: str, participant_id: str, status: str, at: datetime) -> dict:
    return {
        "enrolment_id": str(uuid.uuid5(uuid.NAMESPACE_URL, offer_id + participant_id)),  # opaque, as enrolment's
        "offer_id": offer_id,
        "participant_id": participant_id,
        "region": REGION,
        "offer_type": "action_learning_set",
        "role": "gp",
        "status": status,
        "changed_at": at.isoformat(),
    }


def test_events_about_an_erased_participant_that_come_after_the_erasure_write_nothing_of_them_back(services):
    (running, broker) = services
    sched, feedback = running["scheduling"], running["feedback"]
    erased, other = f"p-{uuid.uuid4().hex}", f"p-{uuid.uuid4().hex}"
    offer_id, session_id = str(uuid.uuid4()), str(uuid.uuid4())

    broker.publish(
        enrolment.PARTICIPANT_ERASED, {"participant_id": erased, "region": REGION, "erased_at": NOW.isoformat()}
    )
    eventually(
        lambda: (
            applied(sched, SCHEDULING_SUBSCRIPTIONS, broker.sent)
            and applied(feedback, FEEDBACK_SUBSCRIPTIONS, broker.sent)
        ),
        timeout=90,
        message="both services to apply the erasure",
    )

    # What was on its way when the erasure overtook it: enrolment's events of the person's place
    # (the withdrawal is the one enrolment's erasure made), and scheduling's of their session.
    offer = {
        "offer_id": offer_id,
        "region": REGION,
        "offer_type": "action_learning_set",
        "title": "Set",
        "capacity": 8,
        "status": "published",
        "planned_sessions": 1,
    }
    broker.publish(enrolment.OFFER_PUBLISHED, offer)
    ends = NOW - timedelta(days=1)
    for person in (erased, other):
        broker.publish(
            enrolment.PARTICIPANT_REGISTERED,
            {
                "participant_id": person,
                "region": REGION,
                "pcn_code": "U10001",
                "role": "gp",
                "leadership_experience": "none",
            },
        )
        broker.publish(
            enrolment.ENROLMENT_CONFIRMED, membership(offer_id, person, "confirmed", NOW - timedelta(days=9))
        )
        broker.publish(
            scheduling.ATTENDANCE_RECORDED,
            {
                "session_id": session_id,
                "offer_id": offer_id,
                "region": REGION,
                "participant_id": person,
                "attendance": "present",
                "session_starts_at": (ends - timedelta(hours=2)).isoformat(),
                "session_ends_at": ends.isoformat(),
                "recorded_at": ends.isoformat(),
            },
        )
        broker.publish(
            scheduling.COACHING_GOALS_SET,
            {
                "offer_id": offer_id,
                "participant_id": person,
                "region": REGION,
                "goal_types": ["leadership_goal"],
                "set_at": (NOW - timedelta(days=2)).isoformat(),
            },
        )
    broker.publish(enrolment.ENROLMENT_WITHDRAWN, membership(offer_id, erased, "withdrawn", NOW))
    eventually(
        lambda: (
            applied(sched, SCHEDULING_SUBSCRIPTIONS, broker.sent)
            and applied(feedback, FEEDBACK_SUBSCRIPTIONS, broker.sent)
        ),
        timeout=90,
        message="both services to apply every event",
    )

    # The other member's events were applied: the same events about the erased one were too.
    assert tables_holding(sched, other) == ["memberships"]
    assert set(tables_holding(feedback, other)) == {
        "attendance",
        "members",
        "membership_changes",
        "participants",
        "coaching_goals",
    }
    assert tables_holding(sched, erased) == []
    assert tables_holding(feedback, erased) == []

    # Scheduling: the place is the pseudonym's, ended by the erasure's withdrawal, as it would
    # have been had the erasure come last.
    with sched.runtime.db.read() as conn:
        periods = sorted((p.member_id, p.left_at) for p in rosters.membership_periods(conn, offer_id))
        (pseudonym,) = conn.execute(select(scheduling_tables.erased_participants.c.pseudonym)).scalars()
    assert pseudonym.startswith("erased-")
    assert periods == sorted([(other, None), (pseudonym, NOW)])

    # Feedback: the attendance is counted in the figures, its row is gone; the goal types follow
    # the pseudonym; memberships, joinings and the PCN are gone.
    with feedback.runtime.db.read() as conn:
        counts = feedback_tables.attendee_counts.c
        attendees = conn.execute(
            select(counts.attendees).where(counts.scope == "session", counts.key == session_id)
        ).scalar_one()
        goals = set(conn.execute(select(feedback_tables.coaching_goals.c.participant_id)).scalars())
        (outcome_pseudonym,) = conn.execute(select(feedback_tables.erased_participants.c.pseudonym)).scalars()
    assert attendees == 2
    assert goals == {other, outcome_pseudonym} and outcome_pseudonym.startswith("erased-")

    # A rebuild of the rosters replays enrolment's topic from its beginning: the same again.
    rebuild_rosters(sched.settings, sched.runtime.db)
    assert tables_holding(sched, erased) == []
    with sched.runtime.db.read() as conn:
        rebuilt = sorted((p.member_id, p.left_at) for p in rosters.membership_periods(conn, offer_id))
    assert rebuilt == periods


@pytest.mark.parametrize("databases", ["postgres"], indirect=True)  # SQLite begins IMMEDIATE: one writer at a time
def test_an_erasure_applied_while_an_event_about_the_person_is_being_applied_waits_for_it_and_then_erases_it(
    databases, kafka_bootstrap, topic_prefix, signing_keys
):
    """Feedback's two consumer groups (enrolment's topic, scheduling's) apply an erasure and an
    attendance of the same person in concurrent transactions: the erasure waits for the
    attendance's transaction, then finds and deletes its row."""
    feedback = RunningService(
        "feedback", service_environment(databases.new("feedback"), kafka_bootstrap, topic_prefix, signing_keys[1])
    )
    handlers = {t: h for s in FEEDBACK_SUBSCRIPTIONS for t, h in s.handlers.items()}
    erased, session_id = f"p-{uuid.uuid4().hex}", str(uuid.uuid4())
    ends = NOW - timedelta(days=1)
    attendance = {
        "session_id": session_id,
        "offer_id": str(uuid.uuid4()),
        "region": REGION,
        "participant_id": erased,
        "attendance": "present",
        "session_starts_at": (ends - timedelta(hours=2)).isoformat(),
        "session_ends_at": ends.isoformat(),
        "recorded_at": ends.isoformat(),
    }
    erasure = {"participant_id": erased, "region": REGION, "erased_at": NOW.isoformat()}

    def apply(event_type, data: dict, conn) -> None:
        envelope = Envelope(type=event_type.type, source=event_type.source, data=event_type.validate(data))
        handlers[event_type.type](envelope, feedback.runtime.unit(conn))

    def erase() -> None:
        with feedback.runtime.db.transaction() as conn:
            apply(enrolment.PARTICIPANT_ERASED, erasure, conn)

    def erasure_waits_or_is_done() -> bool:
        with feedback.runtime.db.read() as conn:
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND wait_event_type = 'Lock' AND wait_event = 'advisory'"
                )
            ).scalar_one()
        return waiting > 0 or not eraser.is_alive()

    eraser = threading.Thread(target=erase, daemon=True)
    try:
        with feedback.runtime.db.transaction() as conn:
            apply(scheduling.ATTENDANCE_RECORDED, attendance, conn)
            eraser.start()
            eventually(erasure_waits_or_is_done, message="the erasure to wait for the attendance, or be done")
        eraser.join(timeout=60)
        assert not eraser.is_alive()
        assert tables_holding(feedback, erased) == []
        with feedback.runtime.db.read() as conn:
            counts = feedback_tables.attendee_counts.c
            attendees = conn.execute(
                select(counts.attendees).where(counts.scope == "session", counts.key == session_id)
            ).scalar_one()
        assert attendees == 1  # counted, as erasure leaves attendance
    finally:
        feedback.stop()


@pytest.mark.parametrize("databases", ["postgres"], indirect=True)  # the locks are PostgreSQL's advisory locks
def test_a_replay_takes_one_lock_for_everyone_however_many_people_its_events_name(
    databases, kafka_bootstrap, topic_prefix, signing_keys
):
    """A replay is one transaction, so a lock per person would be held until it ends: a topic of
    a million people outgrew PostgreSQL's lock table ("out of shared memory"). It locks everyone
    once; an erasure it replays still takes its person's lock, within that."""
    sched = RunningService(  # no worker: a replay is refused while the service's consumers run
        "scheduling", service_environment(databases.new("scheduling"), kafka_bootstrap, topic_prefix, signing_keys[1])
    )
    kafka.ensure_topics(sched.settings)
    broker = Broker(kafka_bootstrap, topic_prefix)
    offer_id = str(uuid.uuid4())
    broker.publish(
        enrolment.OFFER_PUBLISHED,
        {
            "offer_id": offer_id,
            "region": REGION,
            "offer_type": "regional_programme",
            "title": "Programme",
            "capacity": 100,
            "status": "published",
            "planned_sessions": 1,
        },
    )
    people = [f"p-{uuid.uuid4().hex}" for _ in range(40)]
    for person in people:
        broker.publish(
            enrolment.ENROLMENT_CONFIRMED, membership(offer_id, person, "confirmed", NOW - timedelta(days=1))
        )
    broker.publish(
        enrolment.PARTICIPANT_ERASED, {"participant_id": people[0], "region": REGION, "erased_at": NOW.isoformat()}
    )
    held: list[int] = []  # advisory locks the replay's transaction holds as it commits

    def count_locks(conn) -> None:
        held.append(
            conn.exec_driver_sql(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
            ).scalar_one()
        )

    engine = sched.runtime.db.engine
    event.listen(engine, "commit", count_locks)
    try:
        rebuild_rosters(sched.settings, sched.runtime.db)
    finally:
        event.remove(engine, "commit", count_locks)
        broker.producer.close()
    try:
        # Everyone (exclusive, and shared by the erasure it replays) and the erased person: not one a person.
        assert held and max(held) == 3, held
        with sched.runtime.db.read() as conn:
            members = {p.member_id for p in rosters.membership_periods(conn, offer_id)}
        assert members >= set(people[1:]) and people[0] not in members and len(members) == len(people)
    finally:
        sched.stop()
