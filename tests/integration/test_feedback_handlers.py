"""Feedback's event handlers on both databases: sessions, attendance, offers, memberships, erasure."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from services.feedback.handlers import SUBSCRIPTIONS
from services.feedback.store import tables as store
from shared.contracts import enrolment, scheduling
from shared.contracts.registry import EventType
from shared.envelope import Envelope
from tests.harness import RunningService, service_environment

HANDLERS = {event_type: handler for s in SUBSCRIPTIONS for event_type, handler in s.handlers.items()}
NOW = datetime.now(UTC).replace(microsecond=0)
COUNTED = (
    "feedback_responses",
    "feedback_responded",
    "needs_responses",
    "needs_answered",
    "outcome_responses",
    "aggregate_stats",
    "attendee_counts",
    "published_cells",
    "outbox",
    "idempotency_keys",
)


class FeedbackWorld:
    """The feedback service on a real database, told about sessions, attendance and offers
    through its own handlers (as its consumers would, minus the broker)."""

    def __init__(self, database_url: str, kafka_bootstrap: str, public_key, **environ):
        env = service_environment(database_url, kafka_bootstrap, "t.", public_key) | environ
        self.service = RunningService("feedback", env)
        self.runtime, self.client = self.service.runtime, self.service.client

    def deliver(self, event_type: EventType, data: dict) -> None:
        envelope = Envelope(type=event_type.type, source=event_type.source, data=event_type.validate(data))
        with self.runtime.db.transaction() as conn:
            HANDLERS[event_type.type](envelope, self.runtime.unit(conn))

    def offer(
        self,
        offer_id,
        region="Y56",
        offer_type="action_learning_set",
        event=enrolment.OFFER_PUBLISHED,
        status="published",
        planned_sessions=1,
    ):
        data = {
            "offer_id": offer_id,
            "region": region,
            "offer_type": offer_type,
            "title": "Set",
            "capacity": 8,
            "status": status,
            "planned_sessions": planned_sessions,
        }
        self.deliver(event, data)

    def session(
        self,
        session_id,
        offer_id,
        region="Y56",
        ends_at=NOW - timedelta(days=1),
        sequence=0,
        event=scheduling.SESSION_SCHEDULED,
        recorded_at=None,
    ):
        times = {"starts_at": (ends_at - timedelta(hours=2)).isoformat(), "ends_at": ends_at.isoformat()}
        if recorded_at is not None:
            times["recorded_at"] = recorded_at.isoformat()
        self.deliver(
            event,
            {
                "session_id": session_id,
                "offer_id": offer_id,
                "region": region,
                "kind": "group",
                "sequence": sequence,
                "status": "scheduled",
            }
            | times,
        )

    def attend(
        self,
        session_id,
        offer_id,
        participant_id,
        region="Y56",
        ends_at=NOW - timedelta(days=1),
        attendance="present",
        recorded_at=NOW,
    ):
        times = {
            "session_starts_at": (ends_at - timedelta(hours=2)).isoformat(),
            "session_ends_at": ends_at.isoformat(),
            "recorded_at": recorded_at.isoformat(),
        }
        data = {
            "session_id": session_id,
            "offer_id": offer_id,
            "region": region,
            "participant_id": participant_id,
            "attendance": attendance,
        }
        self.deliver(scheduling.ATTENDANCE_RECORDED, data | times)

    def member(self, offer_id, participant_id, region="Y56", offer_type="action_learning_set", status="confirmed"):
        data = {
            "enrolment_id": f"e-{participant_id}",
            "offer_id": offer_id,
            "participant_id": participant_id,
            "region": region,
            "offer_type": offer_type,
            "role": "gp",
            "status": status,
        }
        self.deliver(enrolment.ENROLMENT_CONFIRMED, data | {"changed_at": NOW.isoformat()})

    def registered(self, participant_id, region="Y56", pcn_code="U10001"):
        data = {
            "participant_id": participant_id,
            "region": region,
            "pcn_code": pcn_code,
            "role": "gp",
            "leadership_experience": "none",
        }
        self.deliver(enrolment.PARTICIPANT_REGISTERED, data)

    def rows(self, table, *where) -> list:
        with self.runtime.db.read() as conn:
            return conn.execute(select(table).where(*where)).mappings().all()

    def counts(self) -> dict:
        tables = self.runtime.db.metadata.tables
        with self.runtime.db.read() as conn:
            return {name: conn.execute(select(func.count()).select_from(tables[name])).scalar_one() for name in COUNTED}

    def attendees(self, scope, key, period="all") -> int:
        rows = self.rows(
            store.attendee_counts,
            store.attendee_counts.c.scope == scope,
            store.attendee_counts.c.key == key,
            store.attendee_counts.c.period == period,
        )
        return rows[0]["attendees"] if rows else 0


@pytest.fixture
def world(databases, kafka_bootstrap, signing_keys):
    running = FeedbackWorld(databases.new("feedback"), kafka_bootstrap, signing_keys[1])
    yield running
    running.service.stop()


def test_a_rescheduled_session_moves_and_an_older_sequence_is_ignored(world):
    world.session("s1", "o1")
    later = NOW + timedelta(days=3)
    world.session("s1", "o1", ends_at=later, sequence=2, event=scheduling.SESSION_RESCHEDULED)
    world.session("s1", "o1", ends_at=NOW, sequence=1, event=scheduling.SESSION_RESCHEDULED)
    [row] = world.rows(store.sessions)
    assert row["sequence"] == 2 and row["ends_at"].replace(tzinfo=UTC) == later


def test_a_cancelled_session_is_remembered_as_cancelled(world):
    world.session("s1", "o1")
    world.deliver(
        scheduling.SESSION_CANCELLED,
        {
            "session_id": "s1",
            "offer_id": "o1",
            "region": "Y56",
            "kind": "group",
            "starts_at": NOW.isoformat(),
            "ends_at": NOW.isoformat(),
            "sequence": 1,
            "status": "cancelled",
        },
    )
    assert world.rows(store.sessions)[0]["status"] == "cancelled"


def test_attendance_counts_attendees_and_a_correction_takes_them_back(world):
    world.offer("o1")
    world.session("s1", "o1")
    world.attend("s1", "o1", "p1")
    world.attend("s1", "o1", "p2")
    assert world.attendees("session", "s1") == 2 and world.attendees("region", "Y56") == 2
    world.attend("s1", "o1", "p2", attendance="apologies", recorded_at=NOW + timedelta(minutes=5))
    assert world.attendees("session", "s1") == 1 and world.attendees("offer_type", "action_learning_set") == 1


def test_a_stale_attendance_record_does_not_overwrite_a_newer_one(world):
    world.offer("o1")
    world.session("s1", "o1")
    world.attend("s1", "o1", "p1", attendance="absent", recorded_at=NOW)
    world.attend("s1", "o1", "p1", attendance="present", recorded_at=NOW - timedelta(hours=1))
    assert world.rows(store.attendance)[0]["present"] is False
    assert world.attendees("session", "s1") == 0


def test_attendance_before_its_session_and_offer_are_known_is_kept_and_filed_when_the_offer_arrives(world):
    world.attend("s1", "o1", "p1")
    assert world.rows(store.sessions)[0]["offer_id"] == "o1"
    assert world.attendees("offer_type", "coaching") == 0
    world.offer("o1", offer_type="coaching")
    assert world.attendees("offer_type", "coaching") == 1 and world.attendees("region", "Y56") == 1
    world.offer("o1", offer_type="coaching", event=enrolment.OFFER_STARTED)
    assert world.attendees("offer_type", "coaching") == 1  # filed once, not on every offer event


def test_memberships_follow_enrolment(world):
    world.member("o1", "p1")
    world.deliver(
        enrolment.ENROLMENT_WITHDRAWN,
        {
            "enrolment_id": "e",
            "offer_id": "o1",
            "participant_id": "p1",
            "region": "Y56",
            "offer_type": "coaching",
            "role": "gp",
            "status": "withdrawn",
            "changed_at": NOW.isoformat(),
        },
    )
    assert [r["status"] for r in world.rows(store.members)] == ["withdrawn"]


def test_erasure_forgets_attendance_membership_markers_and_authorship_but_keeps_figures(world, make_token):
    world.offer("o1")
    world.session("s1", "o1")
    world.attend("s1", "o1", "p1")
    world.member("o1", "p1")
    headers = {"Authorization": "Bearer " + make_token("participant", "Y56", "p1")}
    answer = {"overall": 4, "usefulness": 4, "will_apply": 4, "recommend": "good", "comment": "I am p1"}
    assert world.client.post("/v1/sessions/s1/feedback", json=answer, headers=headers).status_code == 201
    before = world.counts()
    world.deliver(enrolment.PARTICIPANT_ERASED, {"participant_id": "p1", "region": "Y56", "erased_at": NOW.isoformat()})
    [response] = world.rows(store.feedback_responses)
    assert response["participant_id"] is None and response["comment"] is None and response["given_on"] is None
    assert (
        world.rows(store.attendance) == []
        and world.rows(store.members) == []
        and world.rows(store.feedback_responded) == []
    )
    assert world.counts()["aggregate_stats"] == before["aggregate_stats"]
