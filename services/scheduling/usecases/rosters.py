"""Rosters: an offer and its current members, as scheduling's projection of enrolment's events holds them."""

from __future__ import annotations

import hashlib

from services.scheduling.store import rosters as store
from services.scheduling.usecases import access
from shared.unit import Unit
from shared.versions import unless_held


def roster(unit: Unit, offer_id: str, if_none_match: str | None = None) -> tuple[str, dict]:
    """The roster's ETag and the offer with the members the caller may see: all of them, or a
    coach's own coachees. When If-None-Match names the current ETag, NotModified is raised once
    the caller's access is checked, before any membership is read."""
    offer = access.offer(unit, offer_id)
    seen = access.members_seen(unit, offer_id)
    tag = roster_etag(offer["roster_version"], seen)
    unless_held(if_none_match, tag)
    members = [m for m in store.roster(unit.conn, offer_id) if seen is None or m["participant_id"] in seen]
    return tag, {**offer, "members": members, "member_count": len(members)}


def roster_etag(version: int, seen: set[str] | None) -> str:
    """Weak (the same content may be serialised differently): the roster's version, and for a
    coach, who sees only their coachees, a digest of whom they see, which changes with their
    bookings and not with the roster's version."""
    if seen is None:
        return f'W/"{version}"'
    digest = hashlib.sha256("\n".join(sorted(seen)).encode()).hexdigest()[:16]
    return f'W/"{version}.{digest}"'
