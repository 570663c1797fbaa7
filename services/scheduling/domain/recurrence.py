"""Session series expansion: local wall-clock times in, UTC instants out.

Learning communities meet at the same *local* time all year ("10:00 on the first
Tuesday"), so a series is expanded in Europe/London wall-clock time and each session
is only then turned into a UTC instant. That is why a 10:00 series is 10:00 UTC in
winter (GMT) and 09:00 UTC in summer (BST).

Conventions used throughout the scheduling domain:

* Times people type (a series start, a new time for a session) are Europe/London
  wall-clock times. Stored and compared times are timezone-aware UTC datetimes.
* A time is never moved or guessed at: a wall-clock time that does not exist (the hour
  skipped on the last Sunday of March, 01:00-02:00) is refused naming the gap; one that
  happens twice (the hour repeated on the last Sunday of October, 01:00-02:00) is refused
  naming its two UTC offsets, and is accepted with one of them (``2026-10-25T01:30+00:00``,
  the second, GMT). Any time may carry its offset, which must be London's at that time.
* A series keeps its local time, and so is refused, naming the session, when one of its
  sessions would fall in either hour (there is no offset to give for a later session:
  schedule that one on its own). Moving "this and the following" sessions likewise.
* A session lasts its duration in elapsed minutes, so its end is start + duration in
  UTC, even if the clocks change during it: an end is computed, never typed, so it always
  exists.

Pure: stdlib and ``shared.errors`` only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from shared.errors import RuleViolation

LONDON = ZoneInfo("Europe/London")
UTC = UTC

MIN_DURATION_MINUTES = 15
MAX_DURATION_MINUTES = 480
MIN_COUNT = 1
MAX_COUNT = 52
MAX_WEEKLY_INTERVAL = 52

# Monday=0 … Sunday=6, as datetime.weekday(); names and iCalendar BYDAY codes accepted too.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_ICAL_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


class Slot(NamedTuple):
    """A half-open interval [starts_at, ends_at) in aware UTC datetimes."""

    starts_at: datetime
    ends_at: datetime


# --- local time <-> UTC -------------------------------------------------------------


def local_to_utc(wall_clock: datetime, *, field: str = "starts_at", occurrence: int | None = None) -> datetime:
    """Read a Europe/London wall-clock time and return the aware UTC instant it names.

    A naive time must name exactly one instant: one in the hour the clocks skip in spring is
    refused (`nonexistent_local_time`), one in the hour they repeat in autumn asks which is
    meant (`ambiguous_local_time`, naming both UTC offsets). A time that carries a UTC offset
    says which: the offset must be one London has at that wall-clock time (`offset_not_london`).
    `occurrence` (1-based) names a session of a series in the error.
    """
    naive = wall_clock.replace(tzinfo=None)
    first, second = naive.replace(tzinfo=LONDON, fold=0), naive.replace(tzinfo=LONDON, fold=1)
    where = _which(naive, occurrence)
    if utc_to_local(first.astimezone(UTC)) != naive:
        start, end = _gap_around(first, second)
        raise RuleViolation(
            "nonexistent_local_time",
            f"{where} does not exist in Europe/London: the clocks go forward from {start:%H:%M} to "
            f"{end:%H:%M} on {start:%d %B %Y}. Choose a time outside that hour.",
            field=field,
            extra=_named(
                naive,
                occurrence,
                gap={"from": start.isoformat(timespec="minutes"), "to": end.isoformat(timespec="minutes")},
            ),
        )
    offsets = [first.utcoffset(), second.utcoffset()]
    if wall_clock.tzinfo is not None:
        given = wall_clock.utcoffset()
        if given not in offsets:
            raise RuleViolation(
                "offset_not_london",
                f"{where} is at UTC {_offset(offsets[0])} in Europe/London, not {_offset(given)}.",
                field=field,
                extra=_named(naive, occurrence, offsets=sorted({_offset(o) for o in offsets})),
            )
        return (first if given == offsets[0] else second).astimezone(UTC)
    if offsets[0] != offsets[1]:
        named = [_offset(o) for o in offsets]
        raise RuleViolation(
            "ambiguous_local_time",
            f"{where} happens twice in Europe/London as the clocks go back: say which by giving its "
            f"UTC offset, {naive:%Y-%m-%dT%H:%M}{named[0]} (BST, the first) or {naive:%Y-%m-%dT%H:%M}{named[1]} "
            "(GMT, the second).",
            field=field,
            extra=_named(naive, occurrence, offsets=named),
        )
    return first.astimezone(UTC)


def _which(naive: datetime, occurrence: int | None) -> str:
    shown = f"{naive:%Y-%m-%d %H:%M}"
    return shown if occurrence is None else f"Session {occurrence} of the series, {shown},"


def _named(naive: datetime, occurrence: int | None, **more) -> dict:
    named = {"local_time": naive.isoformat(timespec="minutes"), **more}
    return named if occurrence is None else {"occurrence": occurrence, **named}


def _offset(offset: timedelta) -> str:
    sign, minutes = ("-" if offset < timedelta(0) else "+"), abs(int(offset.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _gap_around(before: datetime, after: datetime) -> tuple[datetime, datetime]:
    """The skipped wall-clock hour around a time in it: from the change in the old offset to
    the change in the new one. `before`/`after` read the time with the offsets either side."""
    low, high = after.astimezone(UTC), before.astimezone(UTC)  # the change lies between them
    while high - low > timedelta(minutes=1):
        middle = low + (high - low) / 2
        if middle.astimezone(LONDON).utcoffset() == before.utcoffset():
            low = middle
        else:
            high = middle
    change = high.replace(second=0, microsecond=0)
    return (change + before.utcoffset()).replace(tzinfo=None), (change + after.utcoffset()).replace(tzinfo=None)


def utc_to_local(instant: datetime) -> datetime:
    """Aware instant → naive Europe/London wall-clock time."""
    require_aware(instant, "instant")
    return instant.astimezone(LONDON).replace(tzinfo=None)


def require_aware(value: datetime, name: str) -> None:
    """Naive instants here are a programming error, not a user error: fail loudly."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


# --- validation ------------------------------------------------------------------------


def validate_duration(duration_minutes: int, *, field: str = "duration_minutes") -> None:
    """A session lasts 15..480 minutes (a quarter hour to a working day)."""
    if (
        isinstance(duration_minutes, bool)
        or not isinstance(duration_minutes, int)
        or not MIN_DURATION_MINUTES <= duration_minutes <= MAX_DURATION_MINUTES
    ):
        raise RuleViolation(
            "invalid_duration",
            f"A session lasts between {MIN_DURATION_MINUTES} and {MAX_DURATION_MINUTES} minutes.",
            field=field,
        )


def validate_count(count: int, *, field: str = "count") -> None:
    """A series has 1..52 sessions (at most a year of weekly meetings)."""
    if isinstance(count, bool) or not isinstance(count, int) or not MIN_COUNT <= count <= MAX_COUNT:
        raise RuleViolation(
            "invalid_count",
            f"A series has between {MIN_COUNT} and {MAX_COUNT} sessions.",
            field=field,
        )


def ensure_in_future(starts_at: datetime, now: datetime, *, field: str = "starts_at") -> None:
    """A session may only be planned for a time strictly after `now`."""
    require_aware(starts_at, "starts_at")
    require_aware(now, "now")
    if starts_at <= now:
        raise RuleViolation("session_in_past", "A session must start in the future.", field=field)


# --- cadences --------------------------------------------------------------------------


@dataclass(frozen=True)
class Weekly:
    """Every `interval` weeks on the start's weekday and local time."""

    interval: int = 1

    def __post_init__(self) -> None:
        if (
            isinstance(self.interval, bool)
            or not isinstance(self.interval, int)
            or not 1 <= self.interval <= MAX_WEEKLY_INTERVAL
        ):
            raise RuleViolation(
                "invalid_cadence",
                f"A weekly interval is a whole number of weeks from 1 to {MAX_WEEKLY_INTERVAL}.",
                field="cadence",
            )


@dataclass(frozen=True)
class MonthlyNthWeekday:
    """The `ordinal`-th `weekday` of each month (ordinal 1..4, or -1 for the last).

    5th is not offered because not every month has one; "last" covers that need.
    """

    weekday: int
    ordinal: int

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int) or not 0 <= self.weekday <= 6:
            raise RuleViolation("invalid_cadence", "The weekday is 0 (Monday) to 6 (Sunday).", field="cadence")
        if isinstance(self.ordinal, bool) or self.ordinal not in (1, 2, 3, 4, -1):
            raise RuleViolation(
                "invalid_cadence",
                "The ordinal is 1 to 4, or -1 for the last such weekday of the month.",
                field="cadence",
            )


Cadence = Weekly | MonthlyNthWeekday


def parse_weekday(value: int | str) -> int:
    """0..6, an English day name or an iCalendar BYDAY code ("TU") → 0..6."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # range checked by MonthlyNthWeekday
    if isinstance(value, str):
        key = value.strip()
        if key.lower() in WEEKDAYS:
            return WEEKDAYS.index(key.lower())
        if key.upper() in _ICAL_WEEKDAYS:
            return _ICAL_WEEKDAYS.index(key.upper())
    raise RuleViolation("invalid_cadence", "Unknown weekday.", field="cadence")


def parse_cadence(
    kind: str,
    *,
    interval: int | None = None,
    weekday: int | str | None = None,
    ordinal: int | None = None,
) -> Cadence:
    """Build a cadence from request-shaped values: kind "weekly" or "monthly_nth_weekday"."""
    if kind == "weekly":
        return Weekly(1 if interval is None else interval)
    if kind == "monthly_nth_weekday":
        if weekday is None or ordinal is None:
            raise RuleViolation(
                "invalid_cadence",
                "A monthly cadence needs a weekday and an ordinal.",
                field="cadence",
            )
        return MonthlyNthWeekday(parse_weekday(weekday), ordinal)
    raise RuleViolation(
        "invalid_cadence",
        "The cadence is 'weekly' or 'monthly_nth_weekday'.",
        field="cadence",
    )


def nth_weekday_of_month(year: int, month: int, weekday: int, ordinal: int) -> date:
    """The date of the ordinal-th weekday in a month (-1 = last)."""
    if ordinal > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (ordinal - 1))
    next_month = date(year + month // 12, month % 12 + 1, 1)
    last = next_month - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def _add_months(year: int, month: int, months: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + months
    return index // 12, index % 12 + 1


def local_dates(start: date, count: int, cadence: Cadence) -> list[date]:
    """The local calendar dates of a series; times are applied by the caller."""
    if isinstance(cadence, Weekly):
        step = timedelta(weeks=cadence.interval)
        return [start + i * step for i in range(count)]
    if isinstance(cadence, MonthlyNthWeekday):
        year, month = start.year, start.month
        # The first session is the first matching date on/after the start date.
        if nth_weekday_of_month(year, month, cadence.weekday, cadence.ordinal) < start:
            year, month = _add_months(year, month, 1)
        result = []
        for i in range(count):
            y, m = _add_months(year, month, i)
            result.append(nth_weekday_of_month(y, m, cadence.weekday, cadence.ordinal))
        return result
    raise RuleViolation("invalid_cadence", "Unknown cadence.", field="cadence")


def expand_series(
    start_local: datetime,
    count: int,
    cadence: Cadence,
    duration_minutes: int,
    *,
    now: datetime | None = None,
) -> list[Slot]:
    """Expand a series into UTC slots that keep the start's local wall-clock time.

    `start_local` is Europe/London wall-clock time; an offset on it says which of a repeated
    hour the session on its date is. A series none of whose sessions may be moved is refused,
    naming the session, when one falls in a clock change's gap or repeated hour. With `now`,
    the first session (and so every session) must start after it.
    """
    validate_count(count)
    validate_duration(duration_minutes)
    length = timedelta(minutes=duration_minutes)
    slots = []
    for index, day in enumerate(local_dates(start_local.date(), count, cadence)):
        wall_clock = datetime.combine(day, start_local.time())
        if day == start_local.date():
            wall_clock = wall_clock.replace(tzinfo=start_local.tzinfo)
        starts_at = local_to_utc(wall_clock, occurrence=index + 1 if count > 1 else None)
        slots.append(Slot(starts_at, starts_at + length))
    if now is not None:
        ensure_in_future(slots[0].starts_at, now)
    return slots
