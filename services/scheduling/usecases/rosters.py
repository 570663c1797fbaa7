"""Rosters: an offer and its current members, as scheduling's projection of enrolment's events holds them."""

from __future__ import annotations

from services.scheduling.store import rosters as store
from services.scheduling.usecases import access
from shared.unit import Unit


def roster(unit: Unit, offer_id: str) -> dict:
    """The offer and the members the caller may see: all of them, or a coach's own coachees."""
    offer = access.offer(unit, offer_id)
    seen = access.members_seen(unit, offer_id)
    members = [m for m in store.roster(unit.conn, offer_id) if seen is None or m["participant_id"] in seen]
    return {**offer, "members": members, "member_count": len(members)}
