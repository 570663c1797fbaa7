"""Scheduling's event handlers on both databases: the roster projection kept from
enrolment's events, and what scheduling does when a participant's data is erased."""
from datetime import timedelta

from sqlalchemy import select

from shared.clock import utcnow
from shared.contracts import enrolment
from services.scheduling.store import rosters as store, tables
from tests.integration.test_scheduling_support import Scheduling, local, scheduling  # noqa: F401

NOW = utcnow()


def periods(scheduling: Scheduling, offer_id: str) -> list[tuple]:
    with scheduling.db.read() as conn:
        rows = store.membership_periods(conn, offer_id)
    return sorted((r["participant_id"], r["joined_at"], r["left_at"]) for r in rows)


def roster(scheduling: Scheduling, offer_id: str) -> list[tuple]:
    with scheduling.db.read() as conn:
        return [(m["participant_id"], m["status"]) for m in store.roster(conn, offer_id)]


def test_confirmed_and_promoted_members_join_and_a_withdrawal_ends_their_membership(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    joined, promoted, left = NOW - timedelta(days=9), NOW - timedelta(days=5), NOW - timedelta(days=2)
    scheduling.confirm(offer_id, "p1", "p2", at=joined)
    scheduling.enrolment(enrolment.ENROLMENT_WAITLISTED, offer_id, "p3", "waitlisted", joined)
    scheduling.withdraw(offer_id, "p2", at=left)
    scheduling.enrolment(enrolment.ENROLMENT_PROMOTED, offer_id, "p3", "confirmed", promoted)
    assert periods(scheduling, offer_id) == [("p1", joined, None), ("p2", joined, left), ("p3", promoted, None)]
    assert roster(scheduling, offer_id) == [("p1", "confirmed"), ("p3", "confirmed")]


def test_a_member_who_rejoins_has_a_second_period_of_membership(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    first, gone, back = (NOW - timedelta(days=d) for d in (9, 6, 3))
    scheduling.confirm(offer_id, "p1", at=first)
    scheduling.withdraw(offer_id, "p1", at=gone)
    scheduling.confirm(offer_id, "p1", at=back)
    assert periods(scheduling, offer_id) == [("p1", first, gone), ("p1", back, None)]


def test_redelivered_and_out_of_place_events_change_nothing(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    scheduling.confirm(offer_id, "p1", at=NOW - timedelta(days=3))
    before = periods(scheduling, offer_id)
    scheduling.confirm(offer_id, "p1")
    scheduling.withdraw(offer_id, "never-a-member")
    assert periods(scheduling, offer_id) == before


def test_a_completed_member_stays_on_the_roster_as_completed(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    scheduling.confirm(offer_id, "p1", "p2")
    scheduling.enrolment(enrolment.ENROLMENT_COMPLETED, offer_id, "p1", "completed")
    assert roster(scheduling, offer_id) == [("p1", "completed"), ("p2", "confirmed")]


def test_an_offers_later_events_update_its_projection(scheduling: Scheduling):
    offer_id = scheduling.publish_offer(title="Draft title")
    scheduling.offers[offer_id]["title"] = "Final title"
    scheduling.offer_event(offer_id, enrolment.OFFER_STARTED, "started")
    with scheduling.db.read() as conn:
        offer = store.find_offer(conn, offer_id)
    assert (offer["title"], offer["status"]) == ("Final title", "started")


def test_an_erased_participant_is_replaced_by_a_pseudonym_everywhere(scheduling: Scheduling):
    cohort = scheduling.publish_offer()
    coaching = scheduling.publish_offer(offer_type="coaching", capacity=1, session_allowance=3)
    scheduling.confirm(cohort, "p1", "p2", at=NOW - timedelta(days=9))
    scheduling.confirm(coaching, "p1")
    coach = scheduling.add_facilitator(kind="coach")
    booking = {"participant_id": "p1", "coach_id": coach, "starts_at": local(4), "duration_minutes": 60}
    assert scheduling.client.post(f"/v1/offers/{coaching}/coaching-bookings", json=booking, headers=scheduling.headers()).status_code == 201
    held = scheduling.past_session(cohort, NOW - timedelta(days=1))
    records = {"records": [{"participant_id": "p1", "attendance": "present"}]}
    assert scheduling.client.put(f"/v1/sessions/{held}/attendance", json=records, headers=scheduling.headers()).status_code == 200

    erasure = {"participant_id": "p1", "region": "Y56", "erased_at": NOW.isoformat()}
    scheduling.deliver(enrolment.PARTICIPANT_ERASED, erasure)
    scheduling.deliver(enrolment.PARTICIPANT_ERASED, erasure)  # the same erasure again, for another event id

    with scheduling.db.read() as conn:
        ids = {table.name: set(conn.execute(select(table.c[column])).scalars()) for table, column in ((tables.memberships, "participant_id"), (tables.attendance, "participant_id"), (tables.sessions, "coachee_id"))}
    assert all("p1" not in found for found in ids.values())
    pseudonym = next(iter(ids["attendance"]))
    assert pseudonym.startswith("erased-") and pseudonym in ids["memberships"] and pseudonym in ids["sessions"]
    assert roster(scheduling, cohort) == [(pseudonym, "confirmed"), ("p2", "confirmed")]
