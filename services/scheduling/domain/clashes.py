"""Clash detection: nobody — facilitator, coach or participant — in two places at once.

Pure: stdlib and ``shared.errors`` only.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from shared.errors import Conflict

from .recurrence import Slot
from .sessions import SessionStatus, is_cancelled


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
            and not is_cancelled(b.status)
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
