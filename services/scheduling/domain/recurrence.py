"""Session series expansion: local wall-clock times in, UTC instants out.

Learning communities meet at the same *local* time all year ("10:00 on the first
Tuesday"), so a series is expanded in Europe/London wall-clock time and each session
is only then turned into a UTC instant. That is why a 10:00 series is 10:00 UTC in
winter (GMT) and 09:00 UTC in summer (BST).

Conventions used throughout the scheduling domain:

* Times people type (a series start, a new time for a session) are *naive* datetimes
  read as Europe/London wall-clock time. Stored and compared times are timezone-aware
  UTC datetimes. Mixing the two is refused rather than guessed at.
* A wall-clock time that does not exist (the hour skipped on the last Sunday of March)
  is shifted forward by the length of the gap: 01:30 becomes 02:30 BST.
* A wall-clock time that happens twice (the hour repeated on the last Sunday of
  October) takes its first occurrence, i.e. BST (``fold=0``).
* A session lasts its duration in elapsed minutes, so its end is start + duration in
  UTC, even if the clocks change during it.

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


def local_to_utc(wall_clock: datetime, *, field: str = "starts_at") -> datetime:
    """Read a naive datetime as Europe/London wall-clock time and return aware UTC.

    fold=0 gives exactly the documented rules: in the spring gap zoneinfo applies the
    offset from before the change (so 01:30 → 01:30 UTC = 02:30 BST, shifted forward);
    in the autumn overlap it picks the first occurrence (BST).
    """
    if wall_clock.tzinfo is not None:
        raise RuleViolation(
            "local_time_required",
            "Give the time as local Europe/London wall-clock time without a UTC offset.",
            field=field,
        )
    return wall_clock.replace(tzinfo=LONDON, fold=0).astimezone(UTC)


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

    `start_local` is naive Europe/London time. With `now`, the first session (and so
    every session) must start after it.
    """
    validate_count(count)
    validate_duration(duration_minutes)
    if start_local.tzinfo is not None:
        local_to_utc(start_local)  # raises the uniform "local_time_required" error
    length = timedelta(minutes=duration_minutes)
    slots = []
    for day in local_dates(start_local.date(), count, cadence):
        starts_at = local_to_utc(datetime.combine(day, start_local.time()))
        slots.append(Slot(starts_at, starts_at + length))
    if now is not None:
        ensure_in_future(slots[0].starts_at, now)
    return slots
