"""Scheduling's event handlers on both databases: the roster projection kept from
enrolment's events, and what scheduling does when a participant's data is erased (their future
coaching cancelled, their id replaced by a pseudonym)."""

import json
from datetime import timedelta

from sqlalchemy import select

from services.scheduling.domain.recurrence import Slot
from services.scheduling.handlers import SUBSCRIPTIONS
from services.scheduling.store import rosters as store
from services.scheduling.store import sessions as session_store
from services.scheduling.store import tables
from services.scheduling.usecases.sessions import new_session
from shared.clock import utcnow
from shared.contracts import enrolment
from shared.contracts.scheduling import SESSION_CANCELLED
from shared.envelope import Envelope
from tests.integration.test_scheduling_support import Scheduling, local, scheduling  # noqa: F401

NOW = utcnow()


def periods(scheduling: Scheduling, offer_id: str) -> list[tuple]:
    with scheduling.db.read() as conn:
        rows = store.membership_periods(conn, offer_id)
    return sorted((period.member_id, period.joined_at, period.left_at) for period in rows)


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
    assert (
        scheduling.client.post(
            f"/v1/offers/{coaching}/coaching-bookings", json=booking, headers=scheduling.headers()
        ).status_code
        == 201
    )
    held = scheduling.past_session(cohort, NOW - timedelta(days=1))
    records = {"records": [{"participant_id": "p1", "attendance": "present"}]}
    assert (
        scheduling.client.put(f"/v1/sessions/{held}/attendance", json=records, headers=scheduling.headers()).status_code
        == 200
    )

    erasure = {"participant_id": "p1", "region": "Y56", "erased_at": NOW.isoformat()}
    scheduling.deliver(enrolment.PARTICIPANT_ERASED, erasure)
    scheduling.deliver(enrolment.PARTICIPANT_ERASED, erasure)  # the same erasure again, for another event id

    with scheduling.db.read() as conn:
        ids = {
            table.name: set(conn.execute(select(table.c[column])).scalars())
            for table, column in (
                (tables.memberships, "participant_id"),
                (tables.attendance, "participant_id"),
                (tables.sessions, "coachee_id"),
            )
        }
    assert all("p1" not in found for found in ids.values())
    pseudonym = next(iter(ids["attendance"]))
    assert pseudonym.startswith("erased-") and pseudonym in ids["memberships"] and pseudonym in ids["sessions"]
    # Erasure ended the place, whether or not enrolment's withdrawal arrives (before or after).
    assert roster(scheduling, cohort) == [("p2", "confirmed")]
    assert [(p, left) for p, _, left in periods(scheduling, cohort) if p == pseudonym] == [(pseudonym, NOW)]
    scheduling.withdraw(cohort, "p1", at=NOW + timedelta(minutes=1))  # the withdrawal, late
    assert roster(scheduling, cohort) == [("p2", "confirmed")] and "p1" not in {
        p for p, _, _ in periods(scheduling, cohort)
    }


def test_erasure_cancels_the_persons_future_coaching_and_leaves_the_past_and_other_coachees_alone(
    scheduling: Scheduling,
):
    coaching = {
        person: scheduling.publish_offer(offer_type="coaching", capacity=1, session_allowance=4)
        for person in ("p1", "p2")
    }
    for person, offer_id in coaching.items():
        scheduling.confirm(offer_id, person, at=NOW - timedelta(days=9))
    coach = scheduling.add_facilitator(kind="coach")

    def book(participant_id: str, days: int, hour: int) -> str:
        body = {
            "participant_id": participant_id,
            "coach_id": coach,
            "starts_at": local(days, hour),
            "duration_minutes": 60,
        }
        response = scheduling.client.post(
            f"/v1/offers/{coaching[participant_id]}/coaching-bookings", json=body, headers=scheduling.headers()
        )
        assert response.status_code == 201, response.json
        return response.json["id"]

    mine, later, theirs = book("p1", 4, 10), book("p1", 11, 10), book("p2", 4, 14)
    offer = scheduling.offers[coaching["p1"]]
    held = new_session(
        {**offer},
        Slot(NOW - timedelta(days=2), NOW - timedelta(days=2) + timedelta(hours=1)),
        {"facilitator_id": coach},
        kind="coaching",
        coachee_id="p1",
    )
    with scheduling.db.transaction() as conn:
        session_store.add_sessions(conn, [held])

    scheduling.deliver(
        enrolment.PARTICIPANT_ERASED, {"participant_id": "p1", "region": "Y56", "erased_at": NOW.isoformat()}
    )

    with scheduling.db.read() as conn:
        found = {sid: session_store.find_session(conn, sid) for sid in (mine, later, theirs, held["id"])}
        outbox = scheduling.db.tables.outbox
        cancelled = [
            json.loads(v)["session_id"]
            for v in conn.execute(select(outbox.c.value).where(outbox.c.event_type == SESSION_CANCELLED.type)).scalars()
        ]
    assert [(found[s]["status"], found[s]["sequence"]) for s in (mine, later)] == [("cancelled", 1), ("cancelled", 1)]
    assert (found[theirs]["status"], found[held["id"]]["status"]) == ("scheduled", "scheduled")
    assert sorted(cancelled) == sorted([mine, later])
    assert found[held["id"]]["coachee_id"].startswith("erased-"), "the past session stays, pseudonymised"


def test_an_offer_completed_cancels_its_future_sessions_and_the_calendar_shows_them_cancelled_with_a_higher_sequence(
    scheduling: Scheduling,
):
    from icalendar import Calendar

    offer_id = scheduling.publish_offer()
    scheduling.confirm(offer_id, "p1", at=NOW - timedelta(days=9))
    series = {"starts_at": local(3), "duration_minutes": 60, "repeat": {"count": 2, "cadence": "weekly"}}
    future = [s["id"] for s in scheduling.schedule(offer_id, series).json["sessions"]]
    held = scheduling.past_session(offer_id, NOW - timedelta(days=2))

    scheduling.offer_event(offer_id, enrolment.OFFER_COMPLETED, "completed")
    scheduling.offer_event(offer_id, enrolment.OFFER_COMPLETED, "completed")  # redelivered: nothing more to cancel

    feed = scheduling.client.get(f"/v1/offers/{offer_id}/calendar.ics", headers=scheduling.headers())
    events = {
        str(e["UID"]).split("@")[0]: (str(e["STATUS"]), int(e["SEQUENCE"]))
        for e in Calendar.from_ical(feed.data).walk("VEVENT")
    }
    assert events == {future[0]: ("CANCELLED", 1), future[1]: ("CANCELLED", 1), held: ("CONFIRMED", 0)}
    with scheduling.db.read() as conn:
        outbox = scheduling.db.tables.outbox
        cancelled = [
            json.loads(v)
            for v in conn.execute(select(outbox.c.value).where(outbox.c.event_type == SESSION_CANCELLED.type)).scalars()
        ]
    assert sorted((e["session_id"], e["status"], e["sequence"]) for e in cancelled) == sorted(
        (s, "cancelled", 1) for s in future
    )


def test_every_enrolment_withdrawn_by_a_cancellation_with_a_reason_leaves_the_roster_empty(scheduling: Scheduling):
    offer_id = scheduling.publish_offer()
    scheduling.confirm(offer_id, "p1", "p2", at=NOW - timedelta(days=9))
    for participant_id in ("p1", "p2"):
        data = {
            "enrolment_id": f"e-{offer_id[:8]}-{participant_id}",
            "offer_id": offer_id,
            "participant_id": participant_id,
            "region": "Y56",
            "offer_type": "regional_programme",
            "role": "clinical_director",
            "status": "withdrawn",
            "changed_at": NOW.isoformat(),
            "reason": "offer_cancelled",
        }
        # As the live consumer reads it: the fields it knows validated, a field added later (the reason) ignored.
        envelope = Envelope(
            type=enrolment.ENROLMENT_WITHDRAWN.type,
            source=enrolment.ENROLMENT_WITHDRAWN.source,
            data=enrolment.ENROLMENT_WITHDRAWN.validate(data, strict=False),
        )
        [handler] = [s.handlers[envelope.type] for s in SUBSCRIPTIONS if envelope.type in s.handlers]
        with scheduling.db.transaction() as conn:
            handler(envelope, scheduling.service.runtime.unit(conn))
    scheduling.offer_event(offer_id, enrolment.OFFER_CANCELLED, "cancelled")

    assert roster(scheduling, offer_id) == []
    assert periods(scheduling, offer_id) == [("p1", NOW - timedelta(days=9), NOW), ("p2", NOW - timedelta(days=9), NOW)]
