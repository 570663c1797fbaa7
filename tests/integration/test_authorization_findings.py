"""The findings of the outside security review, each told by a test that failed before its fix,
on both databases:

6. the national team and integrations read every offer's roster of people;
7. they read 1:1 coaching bookings (coachee, time, private video link);
8. a coachee promoted from the waitlist saw the previous coachee's bookings.

The class of each (every person-level read, every object route) is held by the authorisation
matrix against docs/authorization.md; these tests tell each finding's own story.
"""

from datetime import timedelta

from icalendar import Calendar

from shared.clock import utcnow
from shared.contracts import enrolment as enrolment_events
from tests.integration.test_enrolment_support import as_role, create_offer, enrol, enrolment, register  # noqa: F401
from tests.integration.test_scheduling_support import Scheduling, local, scheduling  # noqa: F401

PRIVATE_LINK = "https://meet.example.nhs.uk/first-coachee-private"
NOT_REGIONAL = ("national", "service")


def _refused(response) -> bool:
    return (response.status_code, response.get_json().get("rule")) == (403, "role_not_allowed")


def _uids(response) -> set[str]:
    return {str(event["UID"]).removesuffix("@convene") for event in Calendar.from_ical(response.data).walk("VEVENT")}


def _ids(response) -> list[str]:
    return [item["id"] for item in response.json["items"]]


def _book(
    scheduling: Scheduling, offer_id: str, coachee: str, coach: str, days: int, headers: dict | None = None, **extra
) -> str:
    body = {"participant_id": coachee, "coach_id": coach, "starts_at": local(days), "duration_minutes": 60, **extra}
    response = scheduling.client.post(
        f"/v1/offers/{offer_id}/coaching-bookings", json=body, headers=headers or scheduling.headers()
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def _coaching_offer(scheduling: Scheduling, capacity: int = 1) -> str:
    return scheduling.publish_offer(offer_type="coaching", title="Coaching", capacity=capacity, session_allowance=6)


def test_the_national_team_and_integrations_get_an_offers_figures_but_never_its_roster(
    enrolment, as_role, scheduling: Scheduling
):  # noqa: F811
    offer_id = create_offer(enrolment.client, as_role())
    person = register(enrolment.client, as_role())
    assert enrol(enrolment.client, as_role(), offer_id, person).status_code == 201
    members = scheduling.publish_offer()
    scheduling.confirm(members, person)
    for role in NOT_REGIONAL:
        assert _refused(enrolment.client.get(f"/v1/offers/{offer_id}/enrolments", headers=as_role(role, None))), role
        assert _refused(
            scheduling.client.get(f"/v1/offers/{members}/roster", headers=scheduling.headers(role, None))
        ), role
        figures = enrolment.client.get(f"/v1/offers/{offer_id}", headers=as_role(role, None))
        # One person: published to the nearest five, as every count of people outside the region.
        assert figures.status_code == 200 and (figures.json["places_taken"], figures.json["waitlist_length"]) == (0, 0)
        assert person not in figures.get_data(as_text=True)
    assert (
        enrolment.client.get(f"/v1/offers/{offer_id}/enrolments", headers=as_role()).json["items"][0]["participant_id"]
        == person
    )


def test_the_national_team_and_integrations_read_no_coaching_booking_session_calendar_or_facilitator(
    scheduling: Scheduling,
):  # noqa: F811
    coach = scheduling.add_facilitator("coach", 10)
    offer_id = _coaching_offer(scheduling)
    scheduling.confirm(offer_id, "p1")
    booking = _book(scheduling, offer_id, "p1", coach, 40, video_link=PRIVATE_LINK)
    reads = [
        f"/v1/offers/{offer_id}/coaching-bookings",
        f"/v1/offers/{offer_id}/sessions",
        f"/v1/sessions/{booking}",
        f"/v1/offers/{offer_id}/calendar.ics",
        "/v1/participants/p1/calendar.ics",
        "/v1/facilitators",
        f"/v1/facilitators/{coach}",
    ]
    for role in NOT_REGIONAL:
        for path in reads:
            answer = scheduling.client.get(path, headers=scheduling.headers(role, None))
            assert _refused(answer) and PRIVATE_LINK not in answer.get_data(as_text=True), (role, path)


def test_a_coachee_promoted_from_the_waitlist_sees_none_of_the_previous_coachees_bookings(scheduling: Scheduling):  # noqa: F811
    coach = scheduling.add_facilitator("coach", 10)
    offer_id = _coaching_offer(scheduling)
    scheduling.confirm(offer_id, "p1", at=utcnow() - timedelta(days=30))
    theirs = _book(scheduling, offer_id, "p1", coach, 40, video_link=PRIVATE_LINK)
    scheduling.withdraw(offer_id, "p1")
    scheduling.enrolment(enrolment_events.ENROLMENT_PROMOTED, offer_id, "p2", "confirmed")
    me = scheduling.headers("participant", subject="p2")
    mine = _book(scheduling, offer_id, "p2", coach, 42, headers=me)

    assert _ids(scheduling.client.get(f"/v1/offers/{offer_id}/sessions", headers=me)) == [mine]
    assert _ids(scheduling.client.get(f"/v1/offers/{offer_id}/coaching-bookings", headers=me)) == [mine]
    for feed in (f"/v1/offers/{offer_id}/calendar.ics", "/v1/participants/p2/calendar.ics"):
        answer = scheduling.client.get(feed, headers=me)
        assert _uids(answer) == {mine} and PRIVATE_LINK.encode() not in answer.data, feed
    hidden = scheduling.client.get(f"/v1/sessions/{theirs}", headers=me)
    assert (hidden.status_code, hidden.json["rule"]) == (404, "session_not_found")
    # The first coachee keeps their own booking, ever; the administrator sees both.
    assert (
        scheduling.client.get(
            f"/v1/sessions/{theirs}", headers=scheduling.headers("participant", subject="p1")
        ).status_code
        == 200
    )
    assert set(
        _ids(scheduling.client.get(f"/v1/offers/{offer_id}/coaching-bookings", headers=scheduling.headers()))
    ) == {theirs, mine}


def test_a_coach_sees_only_the_bookings_they_lead_and_the_people_they_coach(scheduling: Scheduling):  # noqa: F811
    mine, colleague = scheduling.add_facilitator("coach", 10), scheduling.add_facilitator("coach", 10)
    offer_id = _coaching_offer(scheduling, capacity=2)
    scheduling.confirm(offer_id, "p1", "p2", at=utcnow() - timedelta(days=30))
    led = _book(scheduling, offer_id, "p1", mine, 40)
    other = _book(scheduling, offer_id, "p2", colleague, 41, video_link=PRIVATE_LINK)
    me = scheduling.headers("coach", subject=mine)

    assert _ids(scheduling.client.get(f"/v1/offers/{offer_id}/coaching-bookings", headers=me)) == [led]
    assert _ids(scheduling.client.get(f"/v1/offers/{offer_id}/sessions", headers=me)) == [led]
    assert _uids(scheduling.client.get(f"/v1/offers/{offer_id}/calendar.ics", headers=me)) == {led}
    roster = scheduling.client.get(f"/v1/offers/{offer_id}/roster", headers=me).json
    assert ([m["participant_id"] for m in roster["members"]], roster["member_count"]) == (["p1"], 1)
    continuity = scheduling.client.get(f"/v1/offers/{offer_id}/continuity", headers=me).json
    assert [m["participant_id"] for m in continuity["members"]] == ["p1"]
    for path in (f"/v1/sessions/{other}", f"/v1/sessions/{other}/attendance"):
        assert scheduling.client.get(path, headers=me).status_code == 404, path


def test_a_coachee_told_their_coach_is_busy_learns_nothing_of_the_other_coachees_booking(scheduling: Scheduling):  # noqa: F811
    coach = scheduling.add_facilitator("coach", 10)
    offer_id = _coaching_offer(scheduling, capacity=2)
    scheduling.confirm(offer_id, "p1", "p2")
    theirs = _book(scheduling, offer_id, "p1", coach, 40)
    body = {"participant_id": "p2", "coach_id": coach, "starts_at": local(40), "duration_minutes": 60}
    busy = scheduling.client.post(
        f"/v1/offers/{offer_id}/coaching-bookings", json=body, headers=scheduling.headers("participant", subject="p2")
    )
    assert (busy.status_code, busy.json["rule"], busy.json["person_id"]) == (409, "clash", coach)
    assert theirs not in busy.get_data(as_text=True) and "session_id" not in busy.json
    # The administrator, who sees every booking, is told which one it clashes with.
    assert (
        scheduling.client.post(
            f"/v1/offers/{offer_id}/coaching-bookings", json=body, headers=scheduling.headers()
        ).json["session_id"]
        == theirs
    )
