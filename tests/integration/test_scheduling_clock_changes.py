"""Times around Europe/London's clock changes through scheduling's API, on both databases: a time
that does not exist is refused naming the gap, a repeated one asks which is meant and takes an
offset, and a series with a session in either hour is refused naming that session; nothing is
written by a refusal."""

from datetime import UTC, date, datetime, timedelta

from shared.clock import utcnow
from tests.integration.test_scheduling_support import Scheduling, scheduling  # noqa: F401

YEAR = utcnow().year + 1


def last_sunday(month: int) -> date:
    last = date(YEAR, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - 6) % 7)


# Next year's clocks go forward at 01:00 on the last Sunday of March and back at 02:00 on October's.
SPRING, AUTUMN = last_sunday(3), last_sunday(10)
GAP = f"{SPRING}T01:30"
REPEATED = f"{AUTUMN}T01:30"


def one(start: str) -> dict:
    return {"starts_at": start, "duration_minutes": 60}


def problem(response) -> dict:
    assert response.status_code == 422, response.json
    assert response.content_type == "application/problem+json"
    return response.json


def test_a_start_in_the_spring_gap_is_answered_422_naming_the_field_and_the_gap(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    before = scheduling.counts()
    body = problem(scheduling.schedule(offer_id, one(GAP)))
    assert (body["rule"], body["errors"][0]["field"]) == ("nonexistent_local_time", "starts_at")
    assert body["gap"] == {"from": f"{SPRING}T01:00", "to": f"{SPRING}T02:00"}
    assert scheduling.counts() == before


def test_an_ambiguous_autumn_start_names_both_offsets_and_an_offset_chooses(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    body = problem(scheduling.schedule(offer_id, one(REPEATED)))
    assert (body["rule"], body["errors"][0]["field"]) == ("ambiguous_local_time", "starts_at")
    assert body["offsets"] == ["+01:00", "+00:00"]

    first = scheduling.schedule(offer_id, one(REPEATED + "+01:00"))
    second = scheduling.schedule(offer_id, one(REPEATED + "+00:00"))
    assert (first.status_code, second.status_code) == (201, 201), (first.json, second.json)
    at = datetime(AUTUMN.year, AUTUMN.month, AUTUMN.day, tzinfo=UTC)
    assert datetime.fromisoformat(first.json["starts_at"]) == at + timedelta(minutes=30)
    assert datetime.fromisoformat(second.json["starts_at"]) == at + timedelta(minutes=90)
    assert first.json["local_start"] == second.json["local_start"] == REPEATED


def test_an_offset_london_does_not_have_at_that_time_is_refused(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    body = problem(scheduling.schedule(offer_id, one(f"{YEAR}-06-01T10:00+00:00")))
    assert (body["rule"], body["errors"][0]["field"]) == ("offset_not_london", "starts_at")


def test_a_series_with_a_session_in_the_gap_is_refused_naming_the_session(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    before = scheduling.counts()
    series = {**one(f"{SPRING - timedelta(weeks=2)}T01:30"), "repeat": {"count": 4, "cadence": "weekly"}}
    body = problem(scheduling.schedule(offer_id, series))
    assert (body["rule"], body["occurrence"], body["local_time"]) == ("nonexistent_local_time", 3, GAP)
    assert scheduling.counts() == before


def test_rescheduling_into_the_gap_is_refused_and_the_session_stays(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    created = scheduling.schedule(offer_id, one(f"{SPRING - timedelta(days=8)}T10:00"))
    assert created.status_code == 201, created.json
    session = f"/v1/sessions/{created.json['id']}"
    moved = scheduling.client.patch(
        session, json={"starts_at": GAP}, headers=scheduling.headers(**{"If-Match": 'W/"0"'})
    )
    assert problem(moved)["rule"] == "nonexistent_local_time"
    assert (
        scheduling.client.get(session, headers=scheduling.headers()).json["local_start"]
        == f"{SPRING - timedelta(days=8)}T10:00"
    )


def test_a_coaching_booking_in_the_gap_is_refused_and_one_in_the_repeated_hour_takes_its_offset(
    scheduling: Scheduling,
):
    coach = scheduling.add_facilitator(kind="coach")
    offer_id = scheduling.publish_offer(offer_type="coaching", capacity=1, session_allowance=6)
    scheduling.confirm(offer_id, "p-1")
    path = f"/v1/offers/{offer_id}/coaching-bookings"

    def book(start: str):
        body = {"participant_id": "p-1", "coach_id": coach, "starts_at": start, "duration_minutes": 60}
        return scheduling.client.post(path, json=body, headers=scheduling.headers())

    before = scheduling.counts()
    assert problem(book(GAP))["rule"] == "nonexistent_local_time"
    assert problem(book(REPEATED))["offsets"] == ["+01:00", "+00:00"]
    assert scheduling.counts() == before
    booked = book(REPEATED + "+00:00")
    assert booked.status_code == 201, booked.json
    at = datetime(AUTUMN.year, AUTUMN.month, AUTUMN.day, 1, 30, tzinfo=UTC)
    assert datetime.fromisoformat(booked.json["starts_at"]) == at
