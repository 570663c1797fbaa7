"""Completion from attendance: scheduling's session and attendance events, published on the
real broker as CloudEvents, build enrolment's projection; when the offer completes, each
confirmed member present at enough of the held sessions completes with it."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from shared import kafka
from shared.contracts.enrolment import ENROLMENT_COMPLETED
from shared.contracts.scheduling import ATTENDANCE_RECORDED, SESSION_CANCELLED, SESSION_SCHEDULED
from shared.envelope import Envelope
from tests.harness import RunningService, eventually
from tests.integration.test_enrolment_support import (
    LONDON,
    create_offer,
    enrol,
    outbox_types,
    register,
    start_enrolment,
)

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def start(databases, kafka_bootstrap, topic_prefix, signing_keys):
    """start(**settings) → the enrolment service with its worker."""
    running = []

    def started(**settings: str) -> RunningService:
        service = start_enrolment(
            databases.new("enrolment"), kafka_bootstrap, topic_prefix, signing_keys[1], **settings
        )
        running.append(service)
        return service.start_worker()

    yield started
    for service in running:
        service.stop()


class Scheduling:
    """Publishes what scheduling would: its events, as CloudEvents on its topic, keyed by offer."""

    def __init__(self, service: RunningService, offer_id: str):
        self.producer = kafka.producer(service.settings)
        self.prefix, self.offer_id = service.settings.topic_prefix, offer_id
        self.sent: set[str] = set()

    def publish(self, event_type, data: dict, envelope: Envelope | None = None) -> Envelope:
        payload = event_type.schema().dump(event_type.validate({"offer_id": self.offer_id, "region": LONDON, **data}))
        envelope = envelope or Envelope(
            type=event_type.type,
            source=event_type.source,
            data=payload,
            subject=payload[event_type.subject_field],
            partitionkey=self.offer_id,
            region=LONDON,
        )
        self.producer.send(
            event_type.topic.address(self.prefix),
            key=self.offer_id.encode(),
            value=envelope.value(),
            headers=envelope.headers(),
        ).get(timeout=30)
        self.sent.add(envelope.id)
        return envelope

    def session(self, session_id: str, days_ago: int, *, cancelled: bool = False) -> None:
        starts_at = NOW - timedelta(days=days_ago)
        data = {
            "session_id": session_id,
            "kind": "group",
            "starts_at": starts_at,
            "ends_at": starts_at + timedelta(hours=2),
            "sequence": 1 if cancelled else 0,
            "status": "cancelled" if cancelled else "scheduled",
        }
        self.publish(SESSION_CANCELLED if cancelled else SESSION_SCHEDULED, data)

    def attendance(
        self, session_id: str, participant_id: str, attendance: str, *, minutes_after: int = 0, days_ago: int = 2
    ) -> Envelope:
        recorded_at = NOW - timedelta(days=1) + timedelta(minutes=minutes_after)
        data = {
            "session_id": session_id,
            "participant_id": participant_id,
            "attendance": attendance,
            "session_starts_at": NOW - timedelta(days=days_ago),
            "session_ends_at": NOW - timedelta(days=days_ago) + timedelta(hours=2),
            "recorded_at": recorded_at,
        }
        return self.publish(ATTENDANCE_RECORDED, data)

    def wait_until_applied(self, service: RunningService) -> None:
        inbox = service.runtime.db.tables.inbox

        def applied():
            with service.runtime.db.read() as conn:
                return conn.execute(select(func.count()).select_from(inbox)).scalar_one() == len(self.sent)

        eventually(applied, timeout=90, message=f"enrolment to apply all {len(self.sent)} scheduling events")
        self.producer.close()


def started_set(service: RunningService, make_token, members: int, waitlisted: int = 0):
    admin = {"Authorization": "Bearer " + make_token("regional_admin", LONDON)}
    offer_id = create_offer(service.client, admin, capacity=members)
    people = [register(service.client, admin, n=n) for n in range(members + waitlisted)]
    enrolled = {person: enrol(service.client, admin, offer_id, person).json["id"] for person in people}
    assert service.client.post(f"/v1/offers/{offer_id}/start", headers=admin).status_code == 200
    return admin, offer_id, people, enrolled


def statuses(service: RunningService, admin: dict, offer_id: str) -> dict[str, str]:
    roster = service.client.get(f"/v1/offers/{offer_id}/enrolments", headers=admin).json["items"]
    return {entry["participant_id"]: entry["status"] for entry in roster}


def test_members_present_at_three_quarters_of_the_held_sessions_complete_with_the_offer(start, make_token):
    service = start()
    admin, offer_id, people, _ = started_set(service, make_token, members=4, waitlisted=1)
    steady, exactly, short, corrected = people[:4]
    scheduling = Scheduling(service, offer_id)
    for n in range(1, 5):
        scheduling.session(f"s{n}", days_ago=30 - n)
    scheduling.session("future", days_ago=-7)
    scheduling.session("called-off", days_ago=3)
    scheduling.session("called-off", days_ago=3, cancelled=True)
    for n in range(1, 5):
        scheduling.attendance(f"s{n}", steady, "present")
        scheduling.attendance(f"s{n}", exactly, "present" if n < 4 else "absent")
        scheduling.attendance(f"s{n}", short, {1: "present", 2: "present", 3: "apologies", 4: "absent"}[n])
    # Sessions not held do not count, however present anyone was.
    scheduling.attendance("future", short, "present")
    scheduling.attendance("called-off", short, "present")
    # The latest record wins, whatever order the corrections arrive in; a redelivery changes nothing.
    scheduling.attendance("s1", corrected, "present")
    scheduling.attendance("s2", corrected, "absent")
    scheduling.attendance("s3", corrected, "absent")
    scheduling.attendance("s3", corrected, "present", minutes_after=10)
    latest = scheduling.attendance("s4", corrected, "present", minutes_after=20)
    scheduling.attendance("s4", corrected, "absent", minutes_after=5)
    scheduling.publish(ATTENDANCE_RECORDED, latest.data, envelope=latest)
    scheduling.attendance("s2", short, "absent", minutes_after=40)
    scheduling.wait_until_applied(service)

    completed = service.client.post(f"/v1/offers/{offer_id}/complete", headers=admin)
    assert completed.status_code == 200 and completed.json["status"] == "completed"
    # The set's waitlist was released when it started (docs/programme-rules.md).
    assert statuses(service, admin, offer_id) == {
        steady: "completed",
        exactly: "completed",
        corrected: "completed",
        short: "confirmed",
        people[4]: "withdrawn",
    }
    assert outbox_types(service).count(ENROLMENT_COMPLETED.type) == 3


def test_the_completion_threshold_is_a_setting(start, make_token):
    service = start(COMPLETION_THRESHOLD="0.5")
    admin, offer_id, (half, less), _ = started_set(service, make_token, members=2)
    scheduling = Scheduling(service, offer_id)
    for n in range(1, 5):
        scheduling.session(f"s{n}", days_ago=10 + n)
        scheduling.attendance(f"s{n}", half, "present" if n <= 2 else "absent")
        scheduling.attendance(f"s{n}", less, "present" if n <= 1 else "absent")
    scheduling.wait_until_applied(service)
    assert service.client.post(f"/v1/offers/{offer_id}/complete", headers=admin).status_code == 200
    assert statuses(service, admin, offer_id) == {half: "completed", less: "confirmed"}


def test_an_offer_that_held_no_session_is_refused_completion_until_scheduling_reports_one_held(start, make_token):
    service = start()
    admin, offer_id, people, _ = started_set(service, make_token, members=2)
    scheduling = Scheduling(service, offer_id)
    scheduling.session("future", days_ago=-7)
    scheduling.session("called-off", days_ago=3)
    scheduling.session("called-off", days_ago=3, cancelled=True)
    scheduling.wait_until_applied(service)
    before = outbox_types(service)

    refused = service.client.post(f"/v1/offers/{offer_id}/complete", headers=admin)

    assert (refused.status_code, refused.json["rule"], refused.json["sessions_held"]) == (409, "no_session_held", 0)
    assert service.client.get(f"/v1/offers/{offer_id}", headers=admin).json["status"] == "started"
    assert set(statuses(service, admin, offer_id).values()) == {"confirmed"} and outbox_types(service) == before
    held = Scheduling(service, offer_id)
    held.sent |= scheduling.sent  # what enrolment's inbox holds already
    held.session("held", days_ago=2)
    held.wait_until_applied(service)
    assert service.client.post(f"/v1/offers/{offer_id}/complete", headers=admin).status_code == 200
    assert ENROLMENT_COMPLETED.type not in outbox_types(service)  # nobody was present at the one held
