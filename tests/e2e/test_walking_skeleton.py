"""An event that starts in enrolment, is consumed by scheduling, and whose consequence
reaches feedback — over the real broker, on both databases."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.harness import RunningService, eventually, service_environment


@pytest.fixture
def stack(databases, kafka_bootstrap, topic_prefix, signing_keys):
    running = {
        name: RunningService(
            name, service_environment(databases.new(name), kafka_bootstrap, topic_prefix, signing_keys[1])
        ).start_worker()
        for name in ("enrolment", "scheduling", "feedback")
    }
    yield running
    for service in running.values():
        service.stop()


def test_a_published_offer_can_be_scheduled_and_its_session_reaches_feedback(stack, make_token):
    admin = {"Authorization": "Bearer " + make_token("regional_admin", "Y60")}
    offer = stack["enrolment"].client.post(
        "/v1/offers",
        json={
            "offer_type": "action_learning_set",
            "title": "Set A",
            "capacity": 8,
            "basis": "project",
            "starts_on": "2027-01-04",
            "ends_on": "2027-06-28",
            "planned_sessions": 6,
        },
        headers=admin,
    )
    assert offer.status_code == 201, offer.json
    offer_id = offer.json["id"]
    assert stack["enrolment"].client.post(f"/v1/offers/{offer_id}/publish", headers=admin).status_code == 200

    starts_at = (datetime.now(UTC) + timedelta(days=7)).replace(microsecond=0)
    # Scheduling takes Europe/London wall-clock time, without an offset.
    session_request = {
        "starts_at": starts_at.astimezone(ZoneInfo("Europe/London")).replace(tzinfo=None).isoformat(),
        "duration_minutes": 90,
    }

    def scheduled():
        response = stack["scheduling"].client.post(
            f"/v1/offers/{offer_id}/sessions", json=session_request, headers=admin
        )
        return response if response.status_code == 201 else None

    session = eventually(scheduled, message="scheduling to learn the offer from enrolment's event")
    session_id = session.json["session_id"] if "session_id" in session.json else session.json["id"]

    known = eventually(
        lambda: (
            (r := stack["feedback"].client.get(f"/v1/sessions/{session_id}", headers=admin)).status_code == 200 and r
        ),
        message="feedback to learn the session from scheduling's event",
    )
    assert known.json == {"session_id": session_id, "offer_id": offer_id, "region": "Y60"}


def test_another_regions_admin_cannot_see_the_offer(stack, make_token):
    admin = {"Authorization": "Bearer " + make_token("regional_admin", "Y60")}
    other = {"Authorization": "Bearer " + make_token("regional_admin", "Y56")}
    offer = stack["enrolment"].client.post(
        "/v1/offers",
        json={
            "offer_type": "coaching",
            "title": "Coaching",
            "capacity": 1,
            "session_allowance": 6,
            "starts_on": "2027-01-04",
            "ends_on": "2027-06-28",
            "planned_sessions": 6,
        },
        headers=admin,
    )
    response = stack["enrolment"].client.get(f"/v1/offers/{offer.json['id']}", headers=other)
    assert response.status_code == 404
    assert response.mimetype == "application/problem+json"
