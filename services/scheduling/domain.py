"""The scheduling service's domain rules: the one module the service layer imports.

Series expansion lives in `recurrence`, roster-over-time and continuity in
`continuity`; both are re-exported here. This module adds sessions and their
rescheduling, clash detection, coaching allowance and coach capacity, and the
co-design of topics.

Everything is pure: plain values in, plain values (or a `shared.errors` exception) out.
Instants are aware UTC datetimes; times typed by people are naive Europe/London
wall-clock times (see `recurrence` for the DST rules).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from shared.errors import Conflict, NotFound, RuleViolation

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

__all__ = [
    # recurrence
    "LONDON", "UTC", "MIN_COUNT", "MAX_COUNT", "MIN_DURATION_MINUTES", "MAX_DURATION_MINUTES",
    "Slot", "Weekly", "MonthlyNthWeekday", "Cadence", "parse_cadence", "parse_weekday",
    "nth_weekday_of_month", "expand_series", "local_to_utc", "utc_to_local",
    "validate_count", "validate_duration", "ensure_in_future",
    # continuity
    "Attendance", "AttendanceRecord", "Membership", "is_expected", "expected_sessions",
    "SessionContinuity", "MemberContinuity", "StabilityStep", "ContinuityReport",
    "compute_continuity", "jaccard",
    # this module
    "SessionStatus", "Session", "cancel_session", "reschedule_session", "reschedule_following",
    "Booking", "Clash", "find_clash", "ensure_no_clash",
    "CoachingBooking", "count_used_allowance", "ensure_within_allowance",
    "ensure_coach_capacity", "assign_topics",
]


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


def _is_cancelled(status: str) -> bool:
    return status == SessionStatus.CANCELLED


# --- sessions, rescheduling and cancellation -------------------------------------------


@dataclass(frozen=True)
class Session:
    """One meeting. `sequence` is the iCalendar SEQUENCE: +1 on every reschedule or cancel,
    so calendar clients replace the old invitation instead of adding a second one."""

    id: str
    starts_at: datetime
    ends_at: datetime
    series_id: str | None = None
    sequence: int = 0
    status: SessionStatus = SessionStatus.SCHEDULED

    @property
    def duration(self) -> timedelta:
        return self.ends_at - self.starts_at


def _ensure_not_cancelled(session: Session) -> None:
    if _is_cancelled(session.status):
        raise Conflict(
            "session_cancelled",
            f"Session {session.id} is cancelled and cannot be changed.",
            extra={"session_id": session.id},
        )


def _ensure_not_started(session: Session, now: datetime) -> None:
    # Moving a session that has begun would detach its attendance from when it happened.
    if session.starts_at <= now:
        raise Conflict(
            "session_already_started",
            f"Session {session.id} has already started and cannot be moved.",
            extra={"session_id": session.id},
        )


def cancel_session(session: Session) -> Session:
    """The cancelled session, sequence + 1. Cancelling twice is a conflict."""
    _ensure_not_cancelled(session)
    return replace(session, status=SessionStatus.CANCELLED, sequence=session.sequence + 1)


def reschedule_session(
    session: Session,
    new_start_local: datetime,
    *,
    now: datetime,
    duration_minutes: int | None = None,
) -> Session:
    """Move one session to a new local wall-clock start; sequence + 1.

    Keeps its duration unless `duration_minutes` is given. Clashes are checked by the
    caller with `find_clash(..., ignore_session_ids=[session.id])`.
    """
    require_aware(now, "now")
    _ensure_not_cancelled(session)
    _ensure_not_started(session, now)
    length = _new_length(session, duration_minutes)
    starts_at = local_to_utc(new_start_local)
    ensure_in_future(starts_at, now)
    return replace(
        session, starts_at=starts_at, ends_at=starts_at + length, sequence=session.sequence + 1
    )


def reschedule_following(
    series: Iterable[Session],
    session_id: str,
    new_start_local: datetime,
    *,
    now: datetime,
    duration_minutes: int | None = None,
) -> list[Session]:
    """Move "this and the rest of the series": the chosen session and every later
    non-cancelled session of its series shift by the same local wall-clock delta.

    The delta is taken in Europe/London wall-clock time, so a series at 10:00 moved to
    11:00 stays at 11:00 local on both sides of a clock change. Returns only the changed
    sessions (each sequence + 1), in start order; cancelled ones are left as they are.
    """
    require_aware(now, "now")
    sessions = list(series)
    chosen = next((s for s in sessions if s.id == session_id), None)
    if chosen is None:
        raise NotFound(
            "session_not_found", f"No session {session_id} in this series.", field="session_id"
        )
    _ensure_not_cancelled(chosen)
    _ensure_not_started(chosen, now)
    local_to_utc(new_start_local)  # refuse an aware datetime with the uniform error
    delta = new_start_local - utc_to_local(chosen.starts_at)
    if duration_minutes is not None:
        validate_duration(duration_minutes)

    following = sorted(
        (
            s
            for s in sessions
            if s.series_id == chosen.series_id
            and not _is_cancelled(s.status)
            and (s.starts_at, s.id) >= (chosen.starts_at, chosen.id)
        ),
        key=lambda s: (s.starts_at, s.id),
    )
    moved = []
    for s in following:
        length = _new_length(s, duration_minutes)
        starts_at = local_to_utc(utc_to_local(s.starts_at) + delta)
        ensure_in_future(starts_at, now)
        moved.append(
            replace(s, starts_at=starts_at, ends_at=starts_at + length, sequence=s.sequence + 1)
        )
    return moved


def _new_length(session: Session, duration_minutes: int | None) -> timedelta:
    if duration_minutes is None:
        return session.duration
    validate_duration(duration_minutes)
    return timedelta(minutes=duration_minutes)


# --- clash detection --------------------------------------------------------------------


@dataclass(frozen=True)
class Booking:
    """A person's place in a session (as facilitator, coach, coachee or participant)."""

    person_id: str
    session_id: str
    starts_at: datetime
    ends_at: datetime
    status: str = SessionStatus.SCHEDULED


@dataclass(frozen=True)
class Clash:
    person_id: str
    session_id: str  # the existing session that is in the way
    proposed_index: int  # position in the proposed list
    proposed: Slot
    existing: Booking


_END, _START = 0, 1  # ends sort before starts at the same instant: [a, b) then [b, c) is fine
_OURS, _THEIRS = 0, 1


def find_clash(
    proposed: Sequence[Slot] | Sequence[tuple[datetime, datetime]],
    person_ids: Iterable[str],
    existing: Iterable[Booking],
    *,
    ignore_session_ids: Iterable[str] = (),
) -> Clash | None:
    """The first clash between the proposed slots and the people's existing bookings.

    Everyone in `person_ids` attends every proposed slot. Intervals are half-open, so
    back-to-back sessions do not clash; cancelled bookings and `ignore_session_ids`
    (the session being moved) never clash. "First" means the clash that begins earliest;
    ties go to the earliest existing booking, then person id, then session id.

    One sweep over the sorted start/end points: O((n + m) log(n + m)).
    """
    people = set(person_ids)
    ignored = set(ignore_session_ids)
    ours = [Slot(*p) for p in proposed]
    theirs = sorted(
        (
            b
            for b in existing
            if b.person_id in people
            and not _is_cancelled(b.status)
            and b.session_id not in ignored
            and b.ends_at > b.starts_at  # an empty interval occupies no time
        ),
        key=lambda b: (b.starts_at, b.ends_at, b.person_id, b.session_id),
    )
    events = []
    for i, slot in enumerate(ours):
        if slot.ends_at > slot.starts_at:
            events.append((slot.starts_at, _START, _OURS, i))
            events.append((slot.ends_at, _END, _OURS, i))
    for j, b in enumerate(theirs):
        events.append((b.starts_at, _START, _THEIRS, j))
        events.append((b.ends_at, _END, _THEIRS, j))
    events.sort()

    active_ours: set[int] = set()
    active_theirs: set[int] = set()
    for _, kind, side, index in events:
        if kind == _END:
            (active_ours if side == _OURS else active_theirs).discard(index)
            continue
        if side == _OURS:
            if active_theirs:
                return _clash(ours, index, theirs[min(active_theirs)])
            active_ours.add(index)
        else:
            if active_ours:
                # Only reached once, so scanning the active set does not change the bound.
                first = min(active_ours, key=lambda i: (ours[i].starts_at, i))
                return _clash(ours, first, theirs[index])
            active_theirs.add(index)
    return None


def _clash(ours: list[Slot], index: int, booking: Booking) -> Clash:
    return Clash(booking.person_id, booking.session_id, index, ours[index], booking)


def ensure_no_clash(
    proposed: Sequence[Slot] | Sequence[tuple[datetime, datetime]],
    person_ids: Iterable[str],
    existing: Iterable[Booking],
    *,
    ignore_session_ids: Iterable[str] = (),
) -> None:
    """`find_clash`, raising Conflict("clash") when there is one."""
    clash = find_clash(proposed, person_ids, existing, ignore_session_ids=ignore_session_ids)
    if clash is not None:
        raise Conflict(
            "clash",
            f"Person {clash.person_id} is already booked in session {clash.session_id} "
            f"at that time ({clash.existing.starts_at.isoformat()} to "
            f"{clash.existing.ends_at.isoformat()}).",
            field="starts_at",
            extra={"person_id": clash.person_id, "session_id": clash.session_id},
        )


# --- coaching: allowance and coach capacity ------------------------------------------------


@dataclass(frozen=True)
class CoachingBooking:
    """A 1:1 session between a coach and a coachee, under one coaching offer."""

    session_id: str
    offer_id: str
    coach_id: str
    coachee_id: str
    starts_at: datetime
    ends_at: datetime
    status: str = SessionStatus.SCHEDULED

    def bookings(self) -> tuple[Booking, Booking]:
        """The coach's and the coachee's places in it, for clash detection."""
        return (
            Booking(self.coach_id, self.session_id, self.starts_at, self.ends_at, self.status),
            Booking(self.coachee_id, self.session_id, self.starts_at, self.ends_at, self.status),
        )


def count_used_allowance(
    bookings: Iterable[CoachingBooking], *, offer_id: str, coachee_id: str
) -> int:
    """Non-cancelled sessions this coachee has in this offer, past and future."""
    return sum(
        1
        for b in bookings
        if b.offer_id == offer_id and b.coachee_id == coachee_id and not _is_cancelled(b.status)
    )


def ensure_within_allowance(
    allowance: int,
    bookings: Iterable[CoachingBooking],
    *,
    offer_id: str,
    coachee_id: str,
    requested: int = 1,
) -> None:
    """Refuse booking `requested` more sessions beyond the offer's allowance."""
    used = count_used_allowance(bookings, offer_id=offer_id, coachee_id=coachee_id)
    if used + requested > allowance:
        raise RuleViolation(
            "allowance_exceeded",
            f"This coaching offer allows {allowance} sessions; {used} are already booked.",
            extra={"allowance": allowance, "used": used, "requested": requested},
        )


def _london_month(instant: datetime) -> str:
    return instant.astimezone(LONDON).strftime("%Y-%m")


def ensure_coach_capacity(
    monthly_capacity: int,
    bookings: Iterable[CoachingBooking],
    *,
    coach_id: str,
    starts_at: Iterable[datetime],
    ignore_session_ids: Iterable[str] = (),
) -> None:
    """Refuse new sessions at `starts_at` that take the coach over their monthly capacity.

    Months are Europe/London calendar months (a session at 23:30 UTC on 31 May in BST is
    a June session). Pass the moved session in `ignore_session_ids` when rescheduling.
    """
    ignored = set(ignore_session_ids)
    wanted: dict[str, int] = {}
    for instant in starts_at:
        require_aware(instant, "starts_at")
        month = _london_month(instant)
        wanted[month] = wanted.get(month, 0) + 1
    used = dict.fromkeys(wanted, 0)
    for b in bookings:
        if b.coach_id != coach_id or _is_cancelled(b.status) or b.session_id in ignored:
            continue
        month = _london_month(b.starts_at)
        if month in used:
            used[month] += 1
    for month in sorted(wanted):
        if used[month] + wanted[month] > monthly_capacity:
            raise Conflict(
                "coach_capacity",
                f"Coach {coach_id} has {used[month]} of {monthly_capacity} sessions "
                f"booked in {month}.",
                field="starts_at",
                extra={
                    "coach_id": coach_id,
                    "month": month,
                    "capacity": monthly_capacity,
                    "booked": used[month],
                },
            )


# --- co-design ----------------------------------------------------------------------------


def assign_topics(needs: Iterable[tuple[str, float]], session_count: int) -> list[str]:
    """Topics for `session_count` sessions from a cohort's ranked development needs.

    Highest score first (ties keep the order given); repeated needs (case-insensitive,
    trimmed) count once at their best score; blank needs are dropped. With fewer needs
    than sessions the ranking is cycled, so the top need comes round again first.
    """
    if isinstance(session_count, bool) or not isinstance(session_count, int) or session_count < 0:
        raise RuleViolation(
            "invalid_count", "The number of sessions cannot be negative.", field="count"
        )
    best: dict[str, list] = {}  # casefolded need -> [best score, first position, first spelling]
    for position, (need, score) in enumerate(needs):
        label = need.strip()
        key = label.casefold()
        if not key:
            continue
        if key not in best:
            best[key] = [score, position, label]
        elif score > best[key][0]:
            best[key][0] = score
    ranked = [label for _, _, label in sorted(best.values(), key=lambda v: (-v[0], v[1]))]
    if session_count and not ranked:
        raise RuleViolation(
            "no_development_needs",
            "The cohort has no development needs to choose topics from.",
            field="needs",
        )
    return [ranked[i % len(ranked)] for i in range(session_count)]
