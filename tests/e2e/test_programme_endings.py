"""Endings and teams across enrolment and scheduling, over HTTP and the real broker, on both
databases (docs/programme-rules.md): cancelling an offer in enrolment ends every enrolment by
events, which empty scheduling's roster and cancel its sessions; a started set releases its
waitlist with the region's open sets as alternatives, on the topic; a team that does not fit is
refused whole, and nothing of it reaches scheduling."""

import json
from datetime import timedelta

from kafka import KafkaConsumer

from services.scheduling.domain.recurrence import LONDON
from shared.clock import utcnow
from shared.contracts.enrolment import ENROLMENT_PROMOTED, ENROLMENT_TOPIC, ENROLMENT_WITHDRAWN
from tests.e2e.test_scheduling_rosters import PCN, Enrolment, admin, roster_of, stack  # noqa: F401 (fixtures)
from tests.harness import eventually


def offer_events(bootstrap: str, topic: str, offer_id: str, until) -> list[tuple[str, dict]]:
    """(type, data) of the offer's events on the topic from the beginning, once `until(events)` holds."""
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=None, auto_offset_reset="earliest", enable_auto_commit=False
    )
    events: list[tuple[str, dict]] = []
    try:

        def arrived():
            for batch in consumer.poll(timeout_ms=500).values():
                for message in batch:
                    if message.key and message.key.decode() == offer_id:
                        headers = {name: value.decode() for name, value in message.headers}
                        events.append((headers["ce_type"], json.loads(message.value)))
            return until(events)

        eventually(arrived, timeout=60, message=f"the events of offer {offer_id} on {topic}")
    finally:
        consumer.close()
    return events


def withdrawals(events) -> dict[str, dict]:
    return {data["participant_id"]: data for event_type, data in events if event_type == ENROLMENT_WITHDRAWN.type}


def test_cancelling_an_offer_ends_every_enrolment_by_events_that_empty_the_roster_and_cancel_its_sessions(
    stack, admin, kafka_bootstrap, topic_prefix
):
    enrolment, scheduling = Enrolment(stack["enrolment"], admin), stack["scheduling"]
    offer_id = enrolment.offer("Set to be cancelled", capacity=2)
    people = [enrolment.participant(n) for n in range(3)]
    assert [enrolment.enrol(offer_id, p)["status"] for p in people] == ["confirmed", "confirmed", "waitlisted"]
    eventually(
        lambda: sorted(roster_of(scheduling, admin, offer_id)) == sorted(people[:2]),
        message="the roster to hold the two members",
    )
    start = (
        (utcnow() + timedelta(days=7))
        .astimezone(LONDON)
        .replace(tzinfo=None, hour=10, minute=0, second=0, microsecond=0)
    )
    series = {"starts_at": start.isoformat(), "duration_minutes": 120, "repeat": {"count": 2, "cadence": "weekly"}}
    scheduled = scheduling.client.post(f"/v1/offers/{offer_id}/sessions", json=series, headers=admin)
    assert scheduled.status_code == 201, scheduled.json

    cancelled = enrolment.client.post(f"/v1/offers/{offer_id}/cancel", headers=admin)

    assert (cancelled.status_code, cancelled.json["places_taken"], cancelled.json["waitlist_length"]) == (200, 0, 0)
    events = offer_events(
        kafka_bootstrap, ENROLMENT_TOPIC.address(topic_prefix), offer_id, until=lambda e: len(withdrawals(e)) == 3
    )
    assert {p: (d["status"], d["reason"]) for p, d in withdrawals(events).items()} == {
        p: ("withdrawn", "offer_cancelled") for p in people
    }
    assert ENROLMENT_PROMOTED.type not in [event_type for event_type, _ in events]
    eventually(
        lambda: roster_of(scheduling, admin, offer_id) == [], message="the withdrawals to empty scheduling's roster"
    )
    for session in scheduled.json["sessions"]:
        shown = scheduling.client.get(f"/v1/sessions/{session['id']}", headers=admin).json
        assert (shown["status"], shown["sequence"] > session["sequence"]) == ("cancelled", True)


def test_a_started_set_releases_its_waitlist_with_the_regions_open_sets_and_keeps_its_members(
    stack, admin, kafka_bootstrap, topic_prefix
):
    enrolment, scheduling = Enrolment(stack["enrolment"], admin), stack["scheduling"]
    full, still_open = enrolment.offer("Full set", capacity=2), enrolment.offer("Set still open")
    people = [enrolment.participant(n) for n in range(4)]
    for person in people:
        enrolment.enrol(full, person)

    assert enrolment.client.post(f"/v1/offers/{full}/start", headers=admin).status_code == 200

    waiting = enrolment.client.get(f"/v1/offers/{full}/enrolments?status=waitlisted", headers=admin).json
    assert waiting["total"] == 0
    events = offer_events(
        kafka_bootstrap, ENROLMENT_TOPIC.address(topic_prefix), full, until=lambda e: len(withdrawals(e)) == 2
    )
    assert {p: (d["reason"], d["alternative_offer_ids"]) for p, d in withdrawals(events).items()} == {
        people[2]: ("waitlist_released", [still_open]),
        people[3]: ("waitlist_released", [still_open]),
    }
    eventually(
        lambda: sorted(roster_of(scheduling, admin, full)) == sorted(people[:2]),
        message="the set's members to stay on its roster",
    )


def test_a_team_that_does_not_fit_is_refused_whole_and_nothing_of_it_reaches_scheduling(
    stack, admin, kafka_bootstrap, topic_prefix
):
    enrolment, scheduling = Enrolment(stack["enrolment"], admin), stack["scheduling"]
    body = {
        "offer_type": "pcn_team",
        "title": "Camden team",
        "capacity": 2,
        "pcn_code": PCN,
        "starts_on": "2027-01-04",
        "ends_on": "2027-06-28",
        "planned_sessions": 4,
    }
    offer_id = enrolment._ok(enrolment.client.post("/v1/offers", json=body, headers=admin))["id"]
    enrolment._ok(enrolment.client.post(f"/v1/offers/{offer_id}/publish", headers=admin))
    team = [enrolment.participant(n) for n in range(3)]

    refused = enrolment.client.post(
        f"/v1/offers/{offer_id}/team-enrolments", json={"participant_ids": team}, headers=admin
    )
    placed = enrolment.client.post(
        f"/v1/offers/{offer_id}/team-enrolments", json={"participant_ids": team[:2]}, headers=admin
    )

    assert (refused.status_code, refused.json["rule"], refused.json["team_size"], refused.json["free_places"]) == (
        409,
        "team_does_not_fit",
        3,
        2,
    )
    assert placed.status_code == 201 and [e["status"] for e in placed.json["items"]] == ["confirmed", "confirmed"]
    eventually(
        lambda: sorted(roster_of(scheduling, admin, offer_id)) == sorted(team[:2]),
        message="the team to reach scheduling's roster",
    )
    events = offer_events(kafka_bootstrap, ENROLMENT_TOPIC.address(topic_prefix), offer_id, until=lambda e: len(e) >= 3)
    assert sorted(d["participant_id"] for t, d in events if t.endswith("enrolment.confirmed.v1")) == sorted(team[:2])
