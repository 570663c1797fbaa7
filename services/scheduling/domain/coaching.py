"""Coaching allowance, and the monthly capacity of facilitators and coaches.

Pure: stdlib and ``shared.errors`` only.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from shared.errors import Conflict, RuleViolation

from .clashes import Booking
from .recurrence import LONDON, require_aware
from .sessions import SessionStatus, is_cancelled


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


def count_used_allowance(bookings: Iterable[CoachingBooking], *, offer_id: str, coachee_id: str) -> int:
    """Non-cancelled sessions this coachee has in this offer, past and future."""
    return sum(
        1 for b in bookings if b.offer_id == offer_id and b.coachee_id == coachee_id and not is_cancelled(b.status)
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


def ensure_monthly_capacity(
    monthly_capacity: int,
    led: Iterable[Booking],
    *,
    person_id: str,
    starts_at: Iterable[datetime],
    ignore_session_ids: Iterable[str] = (),
    rule: str = "facilitator_capacity",
) -> None:
    """Refuse new sessions at `starts_at` that take a facilitator or coach over the number
    of sessions they lead per month (`led`: their bookings as leader).

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
    for b in led:
        if b.person_id != person_id or is_cancelled(b.status) or b.session_id in ignored:
            continue
        month = _london_month(b.starts_at)
        if month in used:
            used[month] += 1
    for month in sorted(wanted):
        if used[month] + wanted[month] > monthly_capacity:
            raise Conflict(
                rule,
                f"{person_id} already leads {used[month]} of {monthly_capacity} sessions in {month}.",
                field="starts_at",
                extra={
                    "person_id": person_id,
                    "month": month,
                    "capacity": monthly_capacity,
                    "booked": used[month],
                },
            )


def ensure_coach_capacity(
    monthly_capacity: int,
    bookings: Iterable[CoachingBooking],
    *,
    coach_id: str,
    starts_at: Iterable[datetime],
    ignore_session_ids: Iterable[str] = (),
) -> None:
    """`ensure_monthly_capacity` over a coach's coaching bookings (rule `coach_capacity`)."""
    ensure_monthly_capacity(
        monthly_capacity,
        (b.bookings()[0] for b in bookings),
        person_id=coach_id,
        starts_at=starts_at,
        ignore_session_ids=ignore_session_ids,
        rule="coach_capacity",
    )
