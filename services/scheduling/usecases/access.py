"""Who may see which offer and session — checked on every object, not only on the route.

Regional administrators see their own region's objects. Facilitators and coaches see what
they lead: a group offer they lead a session of, with its group sessions; of a coaching offer
only the bookings they lead and the people they coach. Participants see the offers they
belong to, the group sessions they are (or were) expected at, and their own coaching — never
another coachee's, not even once they hold the place that coachee left. The national team
sees the national offers it runs (no route shows it people); services see nothing here.
Everything else answers 404, so an object the caller may not see does not even seem to exist.
"""

from __future__ import annotations

from services.scheduling.domain.goals import Reader
from services.scheduling.store import rosters, sessions
from shared.auth import Role
from shared.contracts.vocabulary import NATIONAL
from shared.errors import Forbidden, NotFound
from shared.unit import Unit

LEADERS = (Role.FACILITATOR, Role.COACH)


def offer(unit: Unit, offer_id: str) -> dict:
    row = rosters.find_offer(unit.conn, offer_id)
    if row is None or not _sees_offer(unit, row):
        raise NotFound("offer_not_found", "No such offer.")
    return dict(row)


def session(unit: Unit, session_id: str) -> dict:
    row = sessions.find_session(unit.conn, session_id)
    if row is None or not _sees_session(unit, row):
        raise NotFound("session_not_found", "No such session.")
    return row


def led_session(unit: Unit, session_id: str) -> dict:
    """A session the caller may record attendance of: its own facilitator or coach, or the region's admin."""
    row = session(unit, session_id)
    if unit.principal.role in LEADERS and row["facilitator_id"] != unit.principal.subject:
        raise Forbidden(
            "not_your_session",
            "Only the session's own facilitator or the region's administrator records its attendance.",
        )
    return row


def sessions_seen(unit: Unit):
    """Which sessions of an offer the caller sees (a condition for store.sessions and
    store.calendars); None: every one of an offer they may see at all."""
    principal = unit.principal
    if principal.role in LEADERS:
        return sessions.seen_by_leader(principal.subject)
    if principal.role is Role.PARTICIPANT:
        return sessions.seen_by_member(principal.subject)
    return None


def members_seen(unit: Unit, offer_id: str) -> set[str] | None:
    """Whose membership of an offer the caller sees; None: every member. A coach sees the
    people they coach, not the offer's other coachees; a facilitator the group they lead."""
    if unit.principal.role is Role.COACH:
        return sessions.coachees_of(unit.conn, offer_id, unit.principal.subject)
    return None


def goals_reader(unit: Unit, offer_id: str, participant_id: str) -> Reader:
    """Who the caller is to a coachee's goals (the offer checked already): the coachee
    themselves, a coach who coaches (or coached) them in the offer, or the region's
    administrator; anyone else is answered as if the coachee were unknown."""
    principal = unit.principal
    if principal.role is Role.PARTICIPANT and principal.subject == participant_id:
        return Reader.COACHEE
    if principal.role is Role.COACH and participant_id in sessions.coachees_of(unit.conn, offer_id, principal.subject):
        return Reader.COACH
    if principal.role is Role.REGIONAL_ADMIN and rosters.was_member(unit.conn, offer_id, participant_id):
        return Reader.ADMIN
    raise NotFound("coachee_not_found", "No such coachee of this offer.")


def participant_scope(unit: Unit, participant_id: str) -> str | None:
    """The region filter of a participant's calendar: a participant reads only their own."""
    principal = unit.principal
    if principal.role is Role.PARTICIPANT and principal.subject != participant_id:
        raise NotFound("participant_not_found", "No such participant.")
    return principal.region if principal.role is Role.REGIONAL_ADMIN else None


def _sees_offer(unit: Unit, offer) -> bool:
    principal = unit.principal
    if principal.role is Role.REGIONAL_ADMIN:
        return principal.region == offer["region"]
    if principal.role in LEADERS:
        return sessions.leads_offer(unit.conn, principal.subject, offer["offer_id"])
    if principal.role is Role.PARTICIPANT:
        return rosters.is_member(unit.conn, offer["offer_id"], principal.subject)
    return principal.role is Role.NATIONAL and offer["region"] == NATIONAL


def _sees_session(unit: Unit, row: dict) -> bool:
    principal = unit.principal
    if principal.role is Role.REGIONAL_ADMIN:
        return principal.region == row["region"]
    if row["kind"] == "coaching":
        # 1:1: its coach and its coachee, nobody else.
        mine = {Role.COACH: row["facilitator_id"], Role.PARTICIPANT: row["coachee_id"]}.get(principal.role)
        return mine is not None and mine == principal.subject
    if principal.role in LEADERS:
        return row["facilitator_id"] == principal.subject or sessions.leads_offer(
            unit.conn, principal.subject, row["offer_id"]
        )
    if principal.role is Role.PARTICIPANT:
        return principal.subject in rosters.expected_member_ids(unit.conn, row["offer_id"], row["starts_at"])
    return principal.role is Role.NATIONAL and row["region"] == NATIONAL
