"""Programme rules across enrolment and scheduling over the real broker, on both databases:

- completing an offer in enrolment cancels its sessions still to come in scheduling, with
  `session.cancelled` events and calendar feeds showing STATUS:CANCELLED at a higher SEQUENCE,
  while the session it held stays;
- a coachee's goals reach their coach, the region's administrator sees the types only, and
  `coaching.goals_set` on the topic carries the types and none of the coachee's words.
"""

import json
from datetime import datetime, timedelta

from icalendar import Calendar

from services.scheduling.domain.recurrence import LONDON, Slot
from services.scheduling.store import rosters as store
from services.scheduling.store import sessions as session_store
from services.scheduling.usecases.sessions import new_session
from shared.clock import utcnow
from shared.contracts.scheduling import COACHING_GOALS_SET, SCHEDULING_TOPIC, SESSION_CANCELLED
from tests.e2e.test_enrolment_events import read_topic
from tests.e2e.test_scheduling_rosters import REGION, Enrolment, admin, roster_of, stack  # noqa: F401
from tests.harness import eventually

WORDS = "Chair the PCN board through the merger without losing the practice nurses"


def local_start(days: int, hour: int) -> str:
    start = (utcnow() + timedelta(days=days)).astimezone(LONDON)
    return start.replace(tzinfo=None, hour=hour, minute=0, second=0, microsecond=0).isoformat()


def headers_of(make_token, role: str, subject: str) -> dict:
    return {"Authorization": "Bearer " + make_token(role, REGION, subject)}


def held_now(scheduling, offer_id: str, admin: dict) -> str:
    """A session that began as the last member joined and is over a second later: written to the
    store, since the API schedules only future sessions; its attendance goes out as an event."""
    joined = max(
        m["joined_at"] for m in scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=admin).json["members"]
    )
    with scheduling.runtime.db.transaction() as conn:
        offer = dict(store.find_offer(conn, offer_id))
        starts = max(utcnow() - timedelta(seconds=2), datetime.fromisoformat(joined))
        row = new_session(offer, Slot(starts, starts + timedelta(seconds=1)), {})
        session_store.add_sessions(conn, [row])
    return row["id"]


def test_completing_an_offer_cancels_its_future_sessions_in_every_calendar_with_a_higher_sequence(
    stack, admin, make_token, kafka_bootstrap, topic_prefix
):
    enrolment, scheduling = Enrolment(stack["enrolment"], admin), stack["scheduling"]
    offer_id = enrolment.offer("Set to complete")
    people = [enrolment.participant(n) for n in range(2)]
    for person in people:
        enrolment.enrol(offer_id, person)
    eventually(
        lambda: sorted(roster_of(scheduling, admin, offer_id)) == sorted(people),
        message="the roster to hold the members",
    )

    series = {"starts_at": local_start(7, 10), "duration_minutes": 120, "repeat": {"count": 3, "cadence": "weekly"}}
    scheduled = scheduling.client.post(f"/v1/offers/{offer_id}/sessions", json=series, headers=admin)
    assert scheduled.status_code == 201, scheduled.json
    future = {s["id"] for s in scheduled.json["sessions"]}
    held = held_now(scheduling, offer_id, admin)
    marks = {"records": [{"participant_id": p, "attendance": "present"} for p in people]}
    eventually(
        lambda: scheduling.client.put(f"/v1/sessions/{held}/attendance", json=marks, headers=admin).status_code == 200,
        message="the held session to be over",
    )

    assert enrolment.client.post(f"/v1/offers/{offer_id}/start", headers=admin).status_code == 200
    # Completion waits for enrolment to hear, by event, that a session was held.
    eventually(
        lambda: enrolment.client.post(f"/v1/offers/{offer_id}/complete", headers=admin).status_code == 200,
        message="the offer to complete",
    )

    as_member = headers_of(make_token, "participant", people[0])

    def feed() -> dict:
        response = scheduling.client.get(f"/v1/participants/{people[0]}/calendar.ics", headers=as_member)
        return {
            str(e["UID"]).removesuffix("@convene"): (str(e["STATUS"]), int(e["SEQUENCE"]))
            for e in Calendar.from_ical(response.data).walk("VEVENT")
        }

    eventually(
        lambda: {feed().get(s, ("", 0))[0] for s in future} == {"CANCELLED"},
        message="completion to cancel the future sessions",
    )
    assert feed() == {**{s: ("CANCELLED", 1) for s in future}, held: ("CONFIRMED", 0)}

    messages = read_topic(kafka_bootstrap, SCHEDULING_TOPIC.address(topic_prefix), expected=3 + 2 + 3)
    cancelled = [json.loads(m.value) for m in messages if dict(m.headers)["ce_type"].decode() == SESSION_CANCELLED.type]
    assert sorted((c["session_id"], c["status"], c["sequence"]) for c in cancelled) == sorted(
        (s, "cancelled", 1) for s in future
    )
    assert all(m.key.decode() == offer_id for m in messages)


def test_a_coachees_goals_reach_their_coach_and_goals_set_carries_the_types_and_no_words(
    stack, admin, make_token, kafka_bootstrap, topic_prefix
):
    enrolment, scheduling = Enrolment(stack["enrolment"], admin), stack["scheduling"]
    body = {
        "offer_type": "coaching",
        "title": "Coaching",
        "capacity": 1,
        "session_allowance": 6,
        "planned_sessions": 6,
        "starts_on": "2027-01-04",
        "ends_on": "2027-12-20",
    }
    offer_id = enrolment._ok(enrolment.client.post("/v1/offers", json=body, headers=admin))["id"]
    enrolment._ok(enrolment.client.post(f"/v1/offers/{offer_id}/publish", headers=admin))
    coachee = enrolment.participant(7)
    assert enrolment.enrol(offer_id, coachee)["status"] == "confirmed"
    eventually(
        lambda: roster_of(scheduling, admin, offer_id) == [coachee], message="the coachee to reach scheduling's roster"
    )

    coach = scheduling.client.post(
        "/v1/facilitators", json={"kind": "coach", "monthly_capacity": 10}, headers=admin
    ).json["id"]
    booking = {"participant_id": coachee, "coach_id": coach, "starts_at": local_start(5, 9), "duration_minutes": 60}
    assert (
        scheduling.client.post(f"/v1/offers/{offer_id}/coaching-bookings", json=booking, headers=admin).status_code
        == 201
    )
    goals_path = f"/v1/coaching/offers/{offer_id}/goals/{coachee}"
    as_coachee, as_coach = headers_of(make_token, "participant", coachee), headers_of(make_token, "coach", coach)
    set_goals = scheduling.client.put(
        goals_path, json={"goal_types": ["leadership_goal", "facilitation_skills"], "words": WORDS}, headers=as_coachee
    )
    assert set_goals.status_code == 200, set_goals.json

    by_coach = scheduling.client.get(goals_path, headers=as_coach).json
    by_admin = scheduling.client.get(goals_path, headers=admin).json
    assert (by_coach["goal_types"], by_coach["words"]) == (["leadership_goal", "facilitation_skills"], WORDS)
    assert by_admin["goal_types"] == ["leadership_goal", "facilitation_skills"] and "words" not in by_admin

    messages = read_topic(
        kafka_bootstrap, SCHEDULING_TOPIC.address(topic_prefix), expected=3
    )  # scheduled, booked, goals_set
    [goals_set] = [m for m in messages if dict(m.headers)["ce_type"].decode() == COACHING_GOALS_SET.type]
    data = json.loads(goals_set.value)
    assert (data["offer_id"], data["participant_id"], data["region"], data["goal_types"]) == (
        offer_id,
        coachee,
        REGION,
        ["leadership_goal", "facilitation_skills"],
    )
    everything = b" ".join(m.value + b"".join(v for _, v in m.headers) for m in messages)
    assert b"merger" not in everything and b"nurses" not in everything
