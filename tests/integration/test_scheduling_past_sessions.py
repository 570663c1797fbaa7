"""Sessions that already happened, recorded after the fact through scheduling's API, on both
databases: `already_held` records a session (or series) that ended, its attendance is taken at
once, its `session.scheduled` carries when it was recorded, a replayed request records it once,
and the rules for sessions to come (and a facilitator's clashes) still hold."""

import json
from datetime import datetime, timedelta

from sqlalchemy import select

from shared.clock import utcnow
from tests.integration.test_scheduling_support import Scheduling, local, scheduling  # noqa: F401

SCHEDULED = "org.convene.scheduling.session.scheduled.v1"


def last_week(hour: int = 10, **more) -> dict:
    return {"starts_at": local(-7, hour), "duration_minutes": 120, "already_held": True, **more}


def events(scheduling: Scheduling, event_type: str) -> list[dict]:
    outbox = scheduling.db.tables.outbox
    with scheduling.db.read() as conn:
        query = select(outbox.c.value).where(outbox.c.event_type == event_type).order_by(outbox.c.id)
        return [json.loads(value) for value in conn.execute(query).scalars()]


def test_a_session_that_already_happened_is_recorded_with_its_attendance(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    scheduling.confirm(offer_id, "p-1", "p-2", at=utcnow() - timedelta(days=30))
    recorded = scheduling.schedule(offer_id, last_week())
    assert recorded.status_code == 201, recorded.json
    assert recorded.json["local_start"] == local(-7, 10)

    [event] = events(scheduling, SCHEDULED)
    assert event["session_id"] == recorded.json["id"]
    assert datetime.fromisoformat(event["recorded_at"]) > datetime.fromisoformat(event["ends_at"])

    marks = {
        "records": [
            {"participant_id": "p-1", "attendance": "present"},
            {"participant_id": "p-2", "attendance": "absent"},
        ]
    }
    sheet = scheduling.client.put(
        f"/v1/sessions/{recorded.json['id']}/attendance", json=marks, headers=scheduling.headers()
    )
    assert sheet.status_code == 200, sheet.json
    assert len(events(scheduling, "org.convene.scheduling.attendance.recorded.v1")) == 2


def test_a_replayed_request_records_the_past_session_once(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    headers = scheduling.headers(**{"Idempotency-Key": "catch-up-1"})
    first = scheduling.client.post(f"/v1/offers/{offer_id}/sessions", json=last_week(), headers=headers)
    again = scheduling.client.post(f"/v1/offers/{offer_id}/sessions", json=last_week(), headers=headers)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json["id"] == first.json["id"]
    assert len(events(scheduling, SCHEDULED)) == 1


def test_a_series_of_past_sessions_is_recorded_whole_and_one_still_to_come_is_refused(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    two = {
        "starts_at": local(-14, 10),
        "duration_minutes": 60,
        "already_held": True,
        "repeat": {"count": 2, "cadence": "weekly"},
    }
    assert scheduling.schedule(offer_id, two).status_code == 201
    before = scheduling.counts()
    three = {**two, "starts_at": local(-13, 10), "repeat": {"count": 3, "cadence": "weekly"}}  # the third: tomorrow
    refused = scheduling.schedule(offer_id, three)
    assert (refused.status_code, refused.json["rule"], refused.json["occurrence"]) == (422, "session_not_over", 3)
    assert refused.json["errors"][0]["field"] == "starts_at"
    assert scheduling.counts() == before


def test_a_past_session_needs_already_held_and_one_recorded_so_must_have_ended_within_ninety_days(
    scheduling: Scheduling,
):
    offer_id = scheduling.publish_offer()
    before = scheduling.counts()
    cases = [
        ({"starts_at": local(-7), "duration_minutes": 60}, "session_in_past"),
        ({"starts_at": local(3), "duration_minutes": 60, "already_held": True}, "session_not_over"),
        ({"starts_at": local(-91), "duration_minutes": 60, "already_held": True}, "held_too_long_ago"),
        ({"starts_at": local(-7), "duration_minutes": 60, "already_held": "yes"}, "invalid_request"),
    ]
    for body, rule in cases:
        response = scheduling.schedule(offer_id, body)
        assert (response.status_code, response.json["rule"]) == (422, rule), body
    assert scheduling.counts() == before


def test_a_facilitators_clash_refuses_a_past_session_as_it_does_one_to_come(scheduling: Scheduling):
    facilitator = scheduling.add_facilitator()
    first, second = scheduling.publish_offer(), scheduling.publish_offer()
    booked = scheduling.schedule(first, last_week(10, facilitator_id=facilitator))
    assert booked.status_code == 201, booked.json
    clash = scheduling.schedule(second, last_week(11, facilitator_id=facilitator))
    assert (clash.status_code, clash.json["rule"]) == (409, "clash")
    assert (clash.json["person_id"], clash.json["session_id"]) == (facilitator, booked.json["id"])


def test_a_member_of_the_group_then_clashes_with_their_other_group_that_week(scheduling: Scheduling):
    first, second = scheduling.publish_offer(), scheduling.publish_offer()
    scheduling.confirm(first, "p-1", at=utcnow() - timedelta(days=30))
    scheduling.confirm(second, "p-1", at=utcnow() - timedelta(days=30))
    assert scheduling.schedule(first, last_week(10)).status_code == 201
    clash = scheduling.schedule(second, last_week(11))
    assert (clash.status_code, clash.json["rule"], clash.json["person_id"]) == (409, "clash", "p-1")
