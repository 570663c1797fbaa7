"""The calendar invitation attached to a session's e-mail (iCalendar, RFC 5546 iTIP).

Its UID (<session id>@convene) and SEQUENCE are those of scheduling's calendar feed, whose
SEQUENCE rises on every move or cancellation: a calendar that already holds the session from
the feed or an earlier e-mail replaces it (METHOD:REQUEST) or takes it off (METHOD:CANCEL).
"""

from __future__ import annotations

from datetime import datetime

from icalendar import Calendar, Event

PRODUCT = "-//Convene//Enrolment//EN"


def invitation(facts: dict, *, summary: str, cancelled: bool, now: datetime) -> bytes:
    """An invitation to (or cancellation of) the session `facts` describe (session_id, starts_at,
    ends_at, sequence as ISO text and integer)."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "REQUEST")
    event = Event()
    event.add("uid", f"{facts['session_id']}@convene")
    event.add("dtstamp", now)
    event.add("dtstart", datetime.fromisoformat(facts["starts_at"]))
    event.add("dtend", datetime.fromisoformat(facts["ends_at"]))
    event.add("sequence", facts["sequence"])
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("summary", summary)
    calendar.add_component(event)
    return calendar.to_ical()
