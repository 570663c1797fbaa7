"""A session that already happened, recorded after the fact, over the real broker on both
databases: an administrator back from three weeks away records last month's session with
`already_held`, then its attendance; feedback hears both from scheduling's events and accepts an
attendee's answer, its window counted from the recording, though the session ended longer ago
than the window."""

from datetime import timedelta

import pytest

from shared.clock import utcnow
from shared.contracts.enrolment import ENROLMENT_CONFIRMED
from tests.e2e.test_feedback_flow import ANSWER, publish
from tests.e2e.test_scheduling_rosters import REGION, Enrolment, admin, roster_of  # noqa: F401
from tests.harness import RunningService, eventually, service_environment
from tests.integration.test_scheduling_support import local

SERVICES = ("enrolment", "scheduling", "feedback")


@pytest.fixture
def stack(databases, kafka_bootstrap, topic_prefix, signing_keys):
    running = {
        name: RunningService(
            name, service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
        ).start_worker()
        for name in SERVICES
    }
    yield running
    for service in running.values():
        service.stop()


def test_a_session_recorded_after_it_happened_takes_attendance_and_feedback_from_its_recording(
    stack, admin, make_token
):
    enrolment, scheduling, feedback = Enrolment(stack["enrolment"], admin), stack["scheduling"], stack["feedback"]
    offer_id = enrolment.offer("Set met while the administrator was away")
    # Enrolled a month ago: enrolment's own confirmation, through its outbox and relay.
    member = "p-catch-up-1"
    publish(
        stack["enrolment"],
        ENROLMENT_CONFIRMED,
        {
            "enrolment_id": "e-catch-up-1",
            "offer_id": offer_id,
            "participant_id": member,
            "region": REGION,
            "offer_type": "action_learning_set",
            "role": "clinical_director",
            "status": "confirmed",
            "changed_at": (utcnow() - timedelta(days=30)).isoformat(),
        },
    )
    eventually(lambda: roster_of(scheduling, admin, offer_id) == [member], message="the member to reach the roster")

    # Held 20 days ago: longer ago than feedback's 14-day window.
    body = {"starts_at": local(-20, 10), "duration_minutes": 120, "already_held": True}
    recorded = scheduling.client.post(f"/v1/offers/{offer_id}/sessions", json=body, headers=admin)
    assert recorded.status_code == 201, recorded.json
    session_id = recorded.json["id"]
    marks = {"records": [{"participant_id": member, "attendance": "present"}]}
    sheet = scheduling.client.put(f"/v1/sessions/{session_id}/attendance", json=marks, headers=admin)
    assert sheet.status_code == 200, sheet.json

    as_member = {"Authorization": "Bearer " + make_token("participant", REGION, member)}

    def answered():
        response = feedback.client.post(f"/v1/sessions/{session_id}/feedback", json=ANSWER, headers=as_member)
        assert response.status_code in (201, 404, 422), response.json  # 404/422 until both events arrive
        if response.status_code == 422:
            assert response.json["rule"] == "not_an_attendee", response.json
        return response.status_code == 201

    eventually(answered, message="feedback to accept the attendee's answer")
    again = feedback.client.post(f"/v1/sessions/{session_id}/feedback", json=ANSWER, headers=as_member)
    assert (again.status_code, again.json["rule"]) == (409, "feedback_already_given")
