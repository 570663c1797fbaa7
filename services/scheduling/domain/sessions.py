"""Sessions, and moving or cancelling one or the rest of its series.

A session's `sequence` is its iCalendar SEQUENCE: it rises on every change, so calendar
clients replace the old invitation instead of adding a second one. New local times are
Europe/London wall-clock times (see `recurrence`).

Pure: stdlib and ``shared.errors`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from shared.errors import Conflict, NotFound, RuleViolation

from .recurrence import Slot, ensure_in_future, local_to_utc, require_aware, utc_to_local, validate_duration

# How far back a session may be recorded as already held: a quarter's catching up, so that a
# mistyped year is refused rather than recorded (and opening feedback on a long-past session).
HELD_WITHIN = timedelta(days=90)


class SessionStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


def is_cancelled(status: str) -> bool:
    return status == SessionStatus.CANCELLED


# An offer's statuses (enrolment's) after which it meets no more.
ENDED_OFFER = ("completed", "cancelled")


def offer_has_ended(offer_status: str) -> bool:
    """Completed or cancelled, an offer takes no more sessions, and its sessions that have not
    begun are cancelled (`cancel_upcoming`): a programme that ended leaves nothing behind in
    anyone's calendar."""
    return offer_status in ENDED_OFFER


def cancel_upcoming(sessions: Iterable[Session], *, now: datetime) -> list[Session]:
    """An offer ended: every session of it that has not begun and is not cancelled already,
    cancelled with its sequence + 1 (calendars replace the invitation), in start order.
    Sessions that began happened, and stay as they were."""
    require_aware(now, "now")
    return [
        cancel_session(s)
        for s in sorted(sessions, key=lambda s: (s.starts_at, s.id))
        if not is_cancelled(s.status) and s.starts_at > now
    ]


# --- when a new session may be --------------------------------------------------------------


def ensure_schedulable(slots: list[Slot], now: datetime, *, already_held: bool = False) -> None:
    """A session is planned for the future; or, said to be `already_held`, it is recorded after
    the fact: then every session of it has ended (it happened) and none began more than
    `HELD_WITHIN` ago. Nothing in between: a session under way is neither."""
    require_aware(now, "now")
    if not already_held:
        ensure_in_future(slots[0].starts_at, now)
        return
    unfinished = next((number for number, s in enumerate(slots, start=1) if s.ends_at > now), None)
    if unfinished is not None:
        raise RuleViolation(
            "session_not_over",
            "A session recorded as already held must have ended; schedule one still to come without already_held.",
            field="starts_at",
            extra={"occurrence": unfinished} if len(slots) > 1 else None,
        )
    if slots[0].starts_at < now - HELD_WITHIN:
        raise RuleViolation(
            "held_too_long_ago",
            f"A session is recorded as already held within {HELD_WITHIN.days} days of its start.",
            field="starts_at",
        )


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
    if is_cancelled(session.status):
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


def cancel_session(session: Session, *, now: datetime | None = None) -> Session:
    """The cancelled session, sequence + 1. Cancelling twice is a conflict; with `now`,
    so is cancelling a session that has begun (it happened: record its attendance)."""
    _ensure_not_cancelled(session)
    if now is not None:
        _ensure_not_started(session, now)
    return replace(session, status=SessionStatus.CANCELLED, sequence=session.sequence + 1)


def cancel_following(series: Iterable[Session], session_id: str, *, now: datetime) -> list[Session]:
    """Cancel "this and the rest of the series": the chosen session and every later
    non-cancelled session of its series, each sequence + 1, in start order."""
    require_aware(now, "now")
    sessions = list(series)
    chosen = _find(sessions, session_id)
    cancelled = cancel_session(chosen, now=now)
    return [cancelled] + [cancel_session(s) for s in _later_in_series(sessions, chosen)]


def ensure_attendance_open(session: Session, now: datetime) -> None:
    """Attendance is recorded for a session that has begun and was not cancelled."""
    require_aware(now, "now")
    _ensure_not_cancelled(session)
    if session.starts_at > now:
        raise Conflict(
            "session_not_started",
            f"Session {session.id} has not started yet: attendance comes later.",
            extra={"session_id": session.id},
        )


def _find(sessions: list[Session], session_id: str) -> Session:
    chosen = next((s for s in sessions if s.id == session_id), None)
    if chosen is None:
        raise NotFound("session_not_found", f"No session {session_id} in this series.", field="session_id")
    return chosen


def _later_in_series(sessions: list[Session], chosen: Session) -> list[Session]:
    """Non-cancelled sessions of the chosen one's series after it, in start order."""
    return sorted(
        (
            s
            for s in sessions
            if s.series_id == chosen.series_id
            and not is_cancelled(s.status)
            and (s.starts_at, s.id) > (chosen.starts_at, chosen.id)
        ),
        key=lambda s: (s.starts_at, s.id),
    )


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
    return replace(session, starts_at=starts_at, ends_at=starts_at + length, sequence=session.sequence + 1)


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
    chosen = _find(sessions, session_id)
    _ensure_not_cancelled(chosen)
    _ensure_not_started(chosen, now)
    local_to_utc(new_start_local)  # the chosen session's new time exists, and says which of a repeated hour
    delta = new_start_local.replace(tzinfo=None) - utc_to_local(chosen.starts_at)
    if duration_minutes is not None:
        validate_duration(duration_minutes)

    following = [chosen] + _later_in_series(sessions, chosen)
    moved = []
    for number, s in enumerate(following, start=1):
        length = _new_length(s, duration_minutes)
        if number == 1:
            starts_at = local_to_utc(new_start_local)
        else:  # a later session's new time must exist too: it is refused, naming it, not moved
            starts_at = local_to_utc(utc_to_local(s.starts_at) + delta, occurrence=number)
        ensure_in_future(starts_at, now)
        moved.append(replace(s, starts_at=starts_at, ends_at=starts_at + length, sequence=s.sequence + 1))
    return moved


def _new_length(session: Session, duration_minutes: int | None) -> timedelta:
    if duration_minutes is None:
        return session.duration
    validate_duration(duration_minutes)
    return timedelta(minutes=duration_minutes)
