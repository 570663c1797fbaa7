"""The scheduling service's domain rules: the one module the service layer imports.

Each rule lives in a small module, re-exported here:

* `recurrence` — series expansion in Europe/London wall-clock time (the DST rules);
* `sessions` — a session, and moving or cancelling one or the rest of its series;
* `clashes` — nobody in two places at once;
* `coaching` — a coaching offer's allowance, and facilitators' and coaches' monthly capacity;
* `continuity` — roster membership over time, attendance, and a group's continuity;
* `codesign` — a cohort's development needs ranked into session topics.

Everything is pure: plain values in, plain values (or a `shared.errors` exception) out.
Instants are aware UTC datetimes; times typed by people are naive Europe/London
wall-clock times (see `recurrence` for the DST rules).
"""

from __future__ import annotations

from .clashes import Booking, Clash, ensure_no_clash, find_clash
from .coaching import CoachingBooking, count_used_allowance, ensure_coach_capacity, ensure_monthly_capacity, ensure_within_allowance
from .codesign import NeedScore, assign_topics, rank_needs, topic_label
from .continuity import (
    Attendance,
    AttendanceRecord,
    ContinuityReport,
    MemberContinuity,
    Membership,
    SessionContinuity,
    StabilityStep,
    compute_continuity,
    expected_sessions,
    is_expected,
    jaccard,
)
from .recurrence import (
    LONDON,
    MAX_COUNT,
    MAX_DURATION_MINUTES,
    MIN_COUNT,
    MIN_DURATION_MINUTES,
    UTC,
    Cadence,
    MonthlyNthWeekday,
    Slot,
    Weekly,
    ensure_in_future,
    expand_series,
    local_to_utc,
    nth_weekday_of_month,
    parse_cadence,
    parse_weekday,
    require_aware,
    utc_to_local,
    validate_count,
    validate_duration,
)
from .sessions import (
    Session,
    SessionStatus,
    cancel_following,
    cancel_session,
    ensure_attendance_open,
    reschedule_following,
    reschedule_session,
)

__all__ = [
    # recurrence
    "LONDON", "UTC", "MIN_COUNT", "MAX_COUNT", "MIN_DURATION_MINUTES", "MAX_DURATION_MINUTES",
    "Slot", "Weekly", "MonthlyNthWeekday", "Cadence", "parse_cadence", "parse_weekday",
    "nth_weekday_of_month", "expand_series", "local_to_utc", "utc_to_local",
    "validate_count", "validate_duration", "ensure_in_future", "require_aware",
    # sessions
    "SessionStatus", "Session", "cancel_session", "cancel_following", "reschedule_session",
    "reschedule_following", "ensure_attendance_open",
    # clashes
    "Booking", "Clash", "find_clash", "ensure_no_clash",
    # coaching and capacity
    "CoachingBooking", "count_used_allowance", "ensure_within_allowance",
    "ensure_coach_capacity", "ensure_monthly_capacity",
    # continuity
    "Attendance", "AttendanceRecord", "Membership", "is_expected", "expected_sessions",
    "SessionContinuity", "MemberContinuity", "StabilityStep", "ContinuityReport",
    "compute_continuity", "jaccard",
    # co-design
    "NeedScore", "rank_needs", "topic_label", "assign_topics",
]
