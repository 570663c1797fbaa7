"""Coaching: 1:1 sessions a member of a coaching offer books with a coach of its region, within
the offer's allowance, clear of clashes and within the coach's monthly capacity."""

from __future__ import annotations

from services.scheduling.domain.coaching import ensure_within_allowance
from services.scheduling.domain.recurrence import Weekly, expand_series
from services.scheduling.store import rosters
from services.scheduling.store import sessions as store
from services.scheduling.usecases import access, events, sessions
from shared.auth import Role
from shared.clock import utcnow
from shared.contracts.scheduling import COACHING_BOOKED, SESSION_SCHEDULED
from shared.errors import Conflict, Forbidden, RuleViolation
from shared.paging import Page
from shared.unit import Unit


def book_coaching(unit: Unit, offer_id: str, body: dict) -> dict:
    coachee = body["participant_id"]
    if unit.principal.role is Role.PARTICIPANT and unit.principal.subject != coachee:
        raise Forbidden("not_yourself", "A participant books coaching only for themselves.")
    offer = access.offer(unit, offer_id)
    sessions.ensure_open(offer, "coaching")
    store.lock_calendar(unit.conn)
    if not rosters.is_member(unit.conn, offer_id, coachee):
        raise RuleViolation(
            "not_a_member", "The participant is not a confirmed member of this coaching offer.", field="participant_id"
        )
    coach = sessions.find_leader(unit, body["coach_id"], offer, "coach", field="coach_id")
    slot = expand_series(body["starts_at"], 1, Weekly(), body["duration_minutes"], now=utcnow())[0]
    booked = store.coaching_bookings(unit.conn, offer_id, coachee)
    ensure_within_allowance(offer["session_allowance"] or 0, booked, offer_id=offer_id, coachee_id=coachee)
    try:
        sessions.ensure_free(unit, [slot], [coachee], coach)
    except Conflict as clash:
        raise _as_the_coachee_may_see_it(unit, clash, coachee) from None
    row = sessions.new_session(
        offer, slot, {**body, "facilitator_id": coach["id"]}, kind="coaching", coachee_id=coachee
    )
    store.add_sessions(unit.conn, [row])
    unit.record(SESSION_SCHEDULED, events.session_data(row))
    unit.record(COACHING_BOOKED, events.coaching_data(row))
    return row


def _as_the_coachee_may_see_it(unit: Unit, clash: Conflict, coachee: str) -> Conflict:
    """A coachee told their coach is busy learns only that: not which session (another
    coachee's) nor when it is."""
    if unit.principal.role is not Role.PARTICIPANT or clash.rule != "clash" or clash.extra.get("person_id") == coachee:
        return clash
    return Conflict(
        "clash",
        "The coach is already booked at that time.",
        field="starts_at",
        extra={"person_id": clash.extra["person_id"]},
    )


def list_coaching(unit: Unit, offer_id: str, query: dict) -> Page:
    """An administrator sees every booking of the offer, a coach those they lead, a coachee their own."""
    access.offer(unit, offer_id)
    rows, total = store.offer_sessions(
        unit.conn,
        offer_id,
        kind="coaching",
        seen=access.sessions_seen(unit),
        limit=query["limit"],
        offset=query["offset"],
    )
    return Page.of(rows, total, query)
