"""The iCalendar feed, built from plain session rows and read back with the icalendar library."""

from datetime import UTC, datetime, timedelta

from icalendar import Calendar

from services.scheduling.domain.calendars import feed
from services.scheduling.domain.recurrence import Weekly, expand_series

NOW = datetime(2026, 1, 2, 9, 0, tzinfo=UTC)


def session(n: int, starts_at: datetime, **changes) -> dict:
    row = {
        "id": f"s-{n}",
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(hours=2),
        "sequence": 0,
        "status": "scheduled",
        "title": "North cohort",
        "topic": None,
        "venue": None,
        "video_link": None,
    }
    return {**row, **changes}


def events_of(data: bytes) -> dict:
    return {str(e["UID"]): e for e in Calendar.from_ical(data).walk("VEVENT")}


def test_a_series_across_the_clock_change_reads_back_at_its_london_wall_clock_time():
    slots = expand_series(datetime(2026, 3, 24, 10, 0), 2, Weekly(), 120)  # 24 March GMT, 31 March BST
    data = feed([session(n, slot.starts_at) for n, slot in enumerate(slots)], now=NOW)
    starts = [e.decoded("DTSTART") for e in events_of(data).values()]
    assert [(s.tzinfo.key, s.hour) for s in starts] == [("Europe/London", 10), ("Europe/London", 10)]
    assert [s.astimezone(UTC).hour for s in starts] == [10, 9]
    assert b"DTSTART;TZID=Europe/London:20260331T100000" in data


def test_the_feed_carries_one_london_timezone_covering_its_sessions_years():
    calendar = Calendar.from_ical(feed([session(1, datetime(2027, 5, 4, 9, tzinfo=UTC))], now=NOW))
    (london,) = calendar.walk("VTIMEZONE")
    assert london["TZID"] == "Europe/London"
    assert {str(part["TZNAME"]) for part in london.subcomponents} == {"GMT", "BST"}
    assert (str(calendar["VERSION"]), str(calendar["METHOD"])) == ("2.0", "PUBLISH")


def test_each_session_keeps_a_stable_uid_and_carries_its_sequence_and_status():
    rows = [
        session(1, datetime(2026, 2, 3, 10, tzinfo=UTC), sequence=2),
        session(2, datetime(2026, 2, 10, 10, tzinfo=UTC), sequence=1, status="cancelled"),
    ]
    events = events_of(feed(rows, now=NOW))
    assert set(events) == {"s-1@convene", "s-2@convene"}
    assert (events["s-1@convene"]["SEQUENCE"], str(events["s-1@convene"]["STATUS"])) == (2, "CONFIRMED")
    assert (events["s-2@convene"]["SEQUENCE"], str(events["s-2@convene"]["STATUS"])) == (1, "CANCELLED")


def test_the_summary_is_the_offer_title_and_topic_and_the_location_the_venue_or_link():
    rows = [
        session(1, datetime(2026, 2, 3, 10, tzinfo=UTC), topic="Dealing with conflict", venue="Leeds, Room 2"),
        session(2, datetime(2026, 2, 10, 10, tzinfo=UTC), video_link="https://meet.example.nhs.uk/x"),
    ]
    events = events_of(feed(rows, now=NOW))
    assert (str(events["s-1@convene"]["SUMMARY"]), str(events["s-1@convene"]["LOCATION"])) == (
        "North cohort — Dealing with conflict",
        "Leeds, Room 2",
    )
    assert (str(events["s-2@convene"]["SUMMARY"]), str(events["s-2@convene"]["URL"])) == (
        "North cohort",
        "https://meet.example.nhs.uk/x",
    )
    assert all("ATTENDEE" not in event and "ORGANIZER" not in event for event in events.values())


def test_an_empty_feed_is_still_a_valid_calendar():
    calendar = Calendar.from_ical(feed([], now=NOW, name="Nothing yet"))
    assert calendar.walk("VEVENT") == [] and str(calendar["X-WR-CALNAME"]) == "Nothing yet"


def test_a_session_in_the_second_of_octobers_repeated_hours_is_written_in_utc_so_calendars_do_not_move_it():
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT, an hour later
    data = feed([session(1, first), session(2, second, ends_at=second + timedelta(hours=1))], now=NOW)
    events = events_of(data)
    assert b"DTSTART;TZID=Europe/London:20261025T013000" in data
    assert b"DTSTART:20261025T013000Z" in data
    assert [events[f"s-{n}@convene"].decoded("DTSTART").astimezone(UTC) for n in (1, 2)] == [first, second]


def test_a_session_ending_in_the_repeated_hour_keeps_its_length_in_the_feed():
    starts = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 00:30 BST; two hours later is 01:30 GMT
    event = events_of(feed([session(1, starts)], now=NOW))["s-1@convene"]
    assert event.decoded("DTEND").astimezone(UTC) - event.decoded("DTSTART").astimezone(UTC) == timedelta(hours=2)
