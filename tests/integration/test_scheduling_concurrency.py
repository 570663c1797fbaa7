"""Clash and allowance rules hold when requests race, on both databases."""

from concurrent.futures import ThreadPoolExecutor

from tests.integration.test_scheduling_support import Scheduling, local, scheduling  # noqa: F401

RACERS = 6


def race(send) -> list[int]:
    with ThreadPoolExecutor(RACERS) as pool:
        return sorted(pool.map(lambda n: send(n).status_code, range(RACERS)))


def test_a_facilitator_booked_by_racing_requests_into_overlapping_sessions_gets_only_one(scheduling: Scheduling):
    facilitator = scheduling.add_facilitator()
    offers = [scheduling.publish_offer() for _ in range(RACERS)]
    body = {"starts_at": local(5, 10), "duration_minutes": 120, "facilitator_id": facilitator}
    statuses = race(lambda n: scheduling.schedule(offers[n], body))
    assert statuses == [201] + [409] * (RACERS - 1)


def test_racing_coaching_bookings_never_exceed_the_allowance(scheduling: Scheduling):
    coach = scheduling.add_facilitator(kind="coach")
    offer_id = scheduling.publish_offer(offer_type="coaching", capacity=1, session_allowance=2)
    scheduling.confirm(offer_id, "p1")
    path = f"/v1/offers/{offer_id}/coaching-bookings"

    def book(n: int):
        body = {"participant_id": "p1", "coach_id": coach, "starts_at": local(3 + n), "duration_minutes": 60}
        return scheduling.client.post(path, json=body, headers=scheduling.headers())

    assert race(book) == [201, 201] + [422] * (RACERS - 2)
