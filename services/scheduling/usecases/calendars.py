"""Calendar feeds: a participant's sessions, or an offer's, as iCalendar."""

from __future__ import annotations

from services.scheduling.domain.calendars import feed
from services.scheduling.store import calendars as store
from services.scheduling.usecases import access
from shared.clock import utcnow
from shared.unit import Unit


def participant_calendar(unit: Unit, participant_id: str) -> bytes:
    region = access.participant_scope(unit, participant_id)
    return feed(store.participant_calendar(unit.conn, participant_id, region), now=utcnow())


def offer_calendar(unit: Unit, offer_id: str) -> bytes:
    """The offer's sessions the caller takes part in (an administrator: all of them)."""
    offer = access.offer(unit, offer_id)
    return feed(
        store.offer_calendar(unit.conn, offer_id, access.sessions_seen(unit)), now=utcnow(), name=offer["title"]
    )
