"""Who may see which offer and session — checked on every object, not only on the route.

Regional administrators see their own region's objects; facilitators and coaches the
offers whose sessions they lead; participants the offers they belong to and the sessions
they are expected at; national and service callers whatever their (read-only) routes
allow. Everything else answers 404, so another region's objects do not even seem to exist.
"""
from __future__ import annotations

from shared.api import Call
from shared.auth import Role
from shared.errors import Forbidden, NotFound
from services.scheduling.store import rosters, sessions

LEADERS = (Role.FACILITATOR, Role.COACH)
EVERYWHERE = (Role.NATIONAL, Role.SERVICE)


def offer(call: Call, offer_id: str) -> dict:
    row = rosters.find_offer(call.conn, offer_id)
    if row is None or not _sees_offer(call, row):
        raise NotFound("offer_not_found", "No such offer.")
    return dict(row)


def session(call: Call, session_id: str) -> dict:
    row = sessions.find_session(call.conn, session_id)
    if row is None or not _sees_session(call, row):
        raise NotFound("session_not_found", "No such session.")
    return row


def led_session(call: Call, session_id: str) -> dict:
    """A session the caller may record attendance of: its own facilitator or coach, or the region's admin."""
    row = session(call, session_id)
    if call.principal.role in LEADERS and row["facilitator_id"] != call.principal.subject:
        raise Forbidden("not_your_session", "Only the session's own facilitator or the region's administrator records its attendance.")
    return row


def participant_scope(call: Call, participant_id: str) -> str | None:
    """The region filter of a participant's calendar: a participant reads only their own."""
    principal = call.principal
    if principal.role is Role.PARTICIPANT and principal.subject != participant_id:
        raise NotFound("participant_not_found", "No such participant.")
    return principal.region if principal.role is Role.REGIONAL_ADMIN else None


def _sees_offer(call: Call, offer) -> bool:
    principal = call.principal
    if principal.role in EVERYWHERE:
        return True
    if principal.role is Role.REGIONAL_ADMIN:
        return principal.region == offer["region"]
    if principal.role in LEADERS:
        return sessions.leads_offer(call.conn, principal.subject, offer["offer_id"])
    return rosters.is_member(call.conn, offer["offer_id"], principal.subject)


def _sees_session(call: Call, row: dict) -> bool:
    principal = call.principal
    if principal.role in EVERYWHERE:
        return True
    if principal.role is Role.REGIONAL_ADMIN:
        return principal.region == row["region"]
    if principal.role in LEADERS:
        return row["facilitator_id"] == principal.subject or sessions.leads_offer(call.conn, principal.subject, row["offer_id"])
    if row["kind"] == "coaching":
        return row["coachee_id"] == principal.subject
    return principal.subject in rosters.expected_member_ids(call.conn, row["offer_id"], row["starts_at"])
