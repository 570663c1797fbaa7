"""Calendar feeds: a participant's sessions, or an offer's, as iCalendar."""
from __future__ import annotations

from shared.api import Call
from shared.clock import utcnow
from services.scheduling import calendars
from services.scheduling.store import calendars as store
from services.scheduling.usecases import access


def participant_calendar(call: Call, participant_id: str) -> bytes:
    region = access.participant_scope(call, participant_id)
    return calendars.feed(store.participant_calendar(call.conn, participant_id, region), now=utcnow())


def offer_calendar(call: Call, offer_id: str) -> bytes:
    """The offer's sessions the caller takes part in (an administrator: all of them)."""
    offer = access.offer(call, offer_id)
    return calendars.feed(store.offer_calendar(call.conn, offer_id, access.sessions_seen(call)), now=utcnow(), name=offer["title"])
