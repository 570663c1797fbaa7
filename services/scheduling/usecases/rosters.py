"""Rosters: an offer and its current members, as scheduling's projection of enrolment's events holds them."""
from __future__ import annotations

from shared.api import Call
from services.scheduling.store import rosters as store
from services.scheduling.usecases import access


def roster(call: Call, offer_id: str) -> dict:
    offer = access.offer(call, offer_id)
    members = store.roster(call.conn, offer_id)
    return {**offer, "members": members, "member_count": len(members)}
