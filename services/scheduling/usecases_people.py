"""Scheduling's service layer for people: facilitators and coaches, rosters (the projection
of enrolment's events), and 1:1 coaching bookings within an offer's allowance."""
from __future__ import annotations

import uuid

from shared.api import Call, Page
from shared.auth import Role
from shared.clock import utcnow
from shared.contracts.scheduling import COACHING_BOOKED, SESSION_SCHEDULED
from shared.errors import Forbidden, NotFound, RuleViolation
from services.scheduling import access, domain, events, store, usecases
from services.scheduling import store_sessions as calendar


def add_facilitator(call: Call, body: dict) -> dict:
    row = {"id": str(uuid.uuid4()), "region": call.principal.region, "kind": body["kind"], "monthly_capacity": body["monthly_capacity"], "created_at": utcnow()}
    skills = sorted(set(body["skills"]))
    calendar.add_facilitator(call.conn, row, skills)
    return {**row, "skills": skills}


def list_facilitators(call: Call) -> Page:
    q = call.query
    region = call.principal.region if call.principal.role is Role.REGIONAL_ADMIN else None
    items, total = calendar.list_facilitators(call.conn, region, q.get("kind"), q.get("skill"), q["limit"], q["offset"])
    return Page(items, total, q["limit"], q["offset"])


def get_facilitator(call: Call, facilitator_id: str) -> dict:
    row = calendar.find_facilitator(call.conn, facilitator_id)
    if row is None or not _sees_facilitator(call.principal, row):
        raise NotFound("facilitator_not_found", "No such facilitator or coach.")
    return row


def _sees_facilitator(principal, row: dict) -> bool:
    if principal.role in access.LEADERS:
        return principal.subject == row["id"]
    return principal.in_region(row["region"])


def roster(call: Call, offer_id: str) -> dict:
    offer = access.offer(call, offer_id)
    members = store.roster(call.conn, offer_id)
    return {**offer, "members": members, "member_count": len(members)}


def book_coaching(call: Call, offer_id: str, body: dict) -> dict:
    coachee = body["participant_id"]
    if call.principal.role is Role.PARTICIPANT and call.principal.subject != coachee:
        raise Forbidden("not_yourself", "A participant books coaching only for themselves.")
    offer = access.offer(call, offer_id)
    usecases.ensure_open(offer, "coaching")
    calendar.lock_calendar(call.conn)
    if not store.is_member(call.conn, offer_id, coachee):
        raise RuleViolation("not_a_member", "The participant is not a confirmed member of this coaching offer.", field="participant_id")
    coach = usecases.find_leader(call.conn, body["coach_id"], offer, "coach", field="coach_id")
    slot = domain.expand_series(body["starts_at"], 1, domain.Weekly(), body["duration_minutes"], now=utcnow())[0]
    booked = calendar.coaching_bookings(call.conn, offer_id, coachee)
    domain.ensure_within_allowance(offer["session_allowance"] or 0, booked, offer_id=offer_id, coachee_id=coachee)
    usecases.ensure_free(call.conn, [slot], [coachee], coach)
    row = usecases.new_session(offer, slot, {**body, "facilitator_id": coach["id"]}, kind="coaching", coachee_id=coachee)
    calendar.add_sessions(call.conn, [row])
    call.record(SESSION_SCHEDULED, events.session_data(row))
    call.record(COACHING_BOOKED, events.coaching_data(row))
    return row


def list_coaching(call: Call, offer_id: str) -> Page:
    access.offer(call, offer_id)
    q = call.query
    coachee = call.principal.subject if call.principal.role is Role.PARTICIPANT else None
    rows, total = calendar.offer_sessions(call.conn, offer_id, kind="coaching", coachee_id=coachee, limit=q["limit"], offset=q["offset"])
    return Page(rows, total, q["limit"], q["offset"])
