"""iCalendar (RFC 5545) feeds of sessions.

Each session is one VEVENT with a stable UID (<session id>@convene) and a SEQUENCE that
rises on every change, so calendar clients update it in place; a cancelled session stays
in the feed as STATUS:CANCELLED so clients take it off. Times are Europe/London with its
VTIMEZONE, so a series shows at the same wall-clock time either side of a clock change.
Nothing about people: SUMMARY is the offer's title and the session's topic, LOCATION the
venue or video link.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from icalendar import Calendar, Event, Timezone

from services.scheduling.domain.recurrence import LONDON

PRODUCT = "-//Convene//Scheduling//EN"


def feed(sessions: list[dict], *, now: datetime, name: str = "Convene sessions") -> bytes:
    calendar = Calendar()
    for key, value in (
        ("prodid", PRODUCT),
        ("version", "2.0"),
        ("calscale", "GREGORIAN"),
        ("method", "PUBLISH"),
        ("x-wr-calname", name),
    ):
        calendar.add(key, value)
    calendar.add_component(_london(sessions, now))
    for session in sessions:
        calendar.add_component(_event(session, now))
    return calendar.to_ical()


def _london(sessions: list[dict], now: datetime) -> Timezone:
    """Europe/London's rules over the years the feed's sessions fall in."""
    years = [s["starts_at"].year for s in sessions] or [now.year]
    return Timezone.from_tzid("Europe/London", first_date=date(min(years), 1, 1), last_date=date(max(years) + 1, 1, 1))


def _event(session: dict, now: datetime) -> Event:
    event = Event()
    event.add("uid", f"{session['id']}@convene")
    event.add("dtstamp", now)
    event.add("dtstart", _calendar_time(session["starts_at"]))
    event.add("dtend", _calendar_time(session["ends_at"]))
    event.add("sequence", session["sequence"])
    event.add("status", "CANCELLED" if session["status"] == "cancelled" else "CONFIRMED")
    event.add("summary", " — ".join(part for part in (session["title"], session["topic"]) if part))
    if session["venue"] or session["video_link"]:
        event.add("location", session["venue"] or session["video_link"])
    if session["video_link"]:
        event.add("url", session["video_link"])
    return event


def _calendar_time(instant: datetime) -> datetime:
    """London wall-clock time, except the second of October's repeated hour: iCalendar reads a
    repeated local time as its first occurrence (RFC 5545, 3.3.5), so that one is given in UTC."""
    local = instant.astimezone(LONDON)
    return instant.astimezone(UTC) if local.fold else local
