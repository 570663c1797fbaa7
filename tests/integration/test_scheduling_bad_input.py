"""Refused requests: a 4xx problem+json naming the field or rule, and nothing written —
not a row in any table, not an event in the outbox."""

import pytest

from shared.clock import utcnow
from tests.integration.test_scheduling_support import Scheduling, local, scheduling  # noqa: F401


def refused(scheduling: Scheduling, send) -> dict:
    """Send a request that must be refused; check that it left every table as it was."""
    before = scheduling.counts()
    response = send()
    assert 400 <= response.status_code < 500, response.json
    assert response.mimetype == "application/problem+json"
    assert scheduling.counts() == before
    return response


@pytest.mark.parametrize(
    "body, status, rule, field",
    [
        ({"starts_at": local(-1), "duration_minutes": 60}, 422, "session_in_past", "starts_at"),
        ({"starts_at": local(3), "duration_minutes": -30}, 422, "invalid_request", "duration_minutes"),
        ({"starts_at": local(3) + "+05:30", "duration_minutes": 60}, 422, "offset_not_london", "starts_at"),
        (
            {"starts_at": local(3), "duration_minutes": 60, "facilitator_id": "nobody"},
            422,
            "unknown_facilitator",
            "facilitator_id",
        ),
        ({"starts_at": local(3), "duration_minutes": 60, "status": "cancelled"}, 422, "invalid_request", "status"),
        (
            {"starts_at": local(3), "duration_minutes": 60, "repeat": {"count": 53, "cadence": "weekly"}},
            422,
            "invalid_request",
            "repeat.count",
        ),
        (
            {"starts_at": local(3), "duration_minutes": 60, "repeat": {"count": 3, "cadence": "monthly_nth_weekday"}},
            422,
            "invalid_cadence",
            "cadence",
        ),
    ],
)
def test_a_bad_session_request_is_refused_naming_the_field_and_writes_nothing(
    scheduling: Scheduling, body, status, rule, field
):
    offer_id = scheduling.publish_offer()
    response = refused(scheduling, lambda: scheduling.schedule(offer_id, body))
    assert (response.status_code, response.json["rule"]) == (status, rule)
    assert field in [error["field"] for error in response.json["errors"]]


def test_a_facilitator_already_booked_at_that_time_is_a_clash_naming_them_and_the_other_session(scheduling: Scheduling):
    facilitator = scheduling.add_facilitator()
    first, second = scheduling.publish_offer(), scheduling.publish_offer()
    booked = scheduling.schedule(
        first, {"starts_at": local(4, 10), "duration_minutes": 120, "facilitator_id": facilitator}
    ).json
    response = refused(
        scheduling,
        lambda: scheduling.schedule(
            second, {"starts_at": local(4, 11), "duration_minutes": 60, "facilitator_id": facilitator}
        ),
    )
    assert (response.status_code, response.json["rule"]) == (409, "clash")
    assert (response.json["person_id"], response.json["session_id"]) == (facilitator, booked["id"])


def test_a_member_of_two_groups_cannot_be_booked_into_both_at_once(scheduling: Scheduling):
    first, second = scheduling.publish_offer(), scheduling.publish_offer()
    scheduling.confirm(first, "p-1")
    scheduling.confirm(second, "p-1", "p-2")
    booked = scheduling.schedule(first, {"starts_at": local(6, 9), "duration_minutes": 240}).json
    weekly = {
        "starts_at": local(6, 12),
        "duration_minutes": 60,
        "repeat": {"count": 3, "cadence": "weekly"},
    }  # its first overlaps
    response = refused(scheduling, lambda: scheduling.schedule(second, weekly))
    assert (response.json["person_id"], response.json["session_id"]) == ("p-1", booked["id"])


def test_a_reschedule_into_a_clash_is_refused_and_leaves_the_session_where_it_was(scheduling: Scheduling):
    facilitator = scheduling.add_facilitator()
    offer_id = scheduling.publish_offer()
    scheduling.schedule(offer_id, {"starts_at": local(8, 10), "duration_minutes": 60, "facilitator_id": facilitator})
    other = scheduling.schedule(
        offer_id, {"starts_at": local(9, 10), "duration_minutes": 60, "facilitator_id": facilitator}
    ).json

    def send():
        return scheduling.client.patch(
            f"/v1/sessions/{other['id']}",
            json={"starts_at": local(8, 10, 30)},
            headers=scheduling.headers(**{"If-Match": 'W/"0"'}),
        )  # noqa: E731

    assert refused(scheduling, send).json["rule"] == "clash"
    assert scheduling.client.get(f"/v1/sessions/{other['id']}", headers=scheduling.headers()).json["sequence"] == 0


def test_a_facilitator_beyond_their_monthly_capacity_is_refused(scheduling: Scheduling):
    facilitator = scheduling.add_facilitator(monthly_capacity=2)
    offer_id = scheduling.publish_offer()
    january = f"{utcnow().year + 1}-01-05T10:00"  # three weekly sessions, all in January
    body = {
        "starts_at": january,
        "duration_minutes": 60,
        "facilitator_id": facilitator,
        "repeat": {"count": 3, "cadence": "weekly"},
    }
    response = refused(scheduling, lambda: scheduling.schedule(offer_id, body))
    assert (response.status_code, response.json["rule"], response.json["month"]) == (
        409,
        "facilitator_capacity",
        january[:7],
    )


def test_a_coaching_booking_beyond_the_offers_allowance_is_refused(scheduling: Scheduling):
    coach = scheduling.add_facilitator(kind="coach")
    offer_id = scheduling.publish_offer(offer_type="coaching", capacity=1, session_allowance=2)
    scheduling.confirm(offer_id, "p-1")
    path = f"/v1/offers/{offer_id}/coaching-bookings"
    for days in (3, 10):
        booked = scheduling.client.post(
            path,
            json={"participant_id": "p-1", "coach_id": coach, "starts_at": local(days), "duration_minutes": 60},
            headers=scheduling.headers(),
        )
        assert booked.status_code == 201, booked.json

    def send():
        return scheduling.client.post(
            path,
            json={"participant_id": "p-1", "coach_id": coach, "starts_at": local(17), "duration_minutes": 60},
            headers=scheduling.headers(),
        )  # noqa: E731

    response = refused(scheduling, send)
    assert (response.status_code, response.json["rule"]) == (422, "allowance_exceeded")


def test_group_sessions_and_coaching_bookings_do_not_mix(scheduling: Scheduling):
    coaching = scheduling.publish_offer(offer_type="coaching", capacity=1, session_allowance=6)
    cohort = scheduling.publish_offer()
    scheduling.confirm(cohort, "p-1")
    coach = scheduling.add_facilitator(kind="coach")
    assert (
        refused(
            scheduling, lambda: scheduling.schedule(coaching, {"starts_at": local(3), "duration_minutes": 60})
        ).json["rule"]
        == "wrong_session_kind"
    )
    body = {"participant_id": "p-1", "coach_id": coach, "starts_at": local(3), "duration_minutes": 60}

    def send():
        return scheduling.client.post(f"/v1/offers/{cohort}/coaching-bookings", json=body, headers=scheduling.headers())  # noqa: E731

    assert refused(scheduling, send).json["rule"] == "wrong_session_kind"
