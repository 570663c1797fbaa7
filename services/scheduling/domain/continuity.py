"""Roster membership over time, attendance, and the continuity of a learning community.

A learning community works because the same people keep meeting. These figures tell a
facilitator or regional administrator whether a group is holding together:

* per session — the share of the members expected there who were present;
* per member — present / sessions they were expected at;
* stability — for each pair of consecutive held sessions, the Jaccard similarity
  |A ∩ B| / |A ∪ B| of the sets of members present at each (1.0 = exactly the same
  people, 0.0 = nobody in common), and the mean over all pairs;
* retention — members in the group now / members ever in it.

Conventions:

* A member is expected at a session when joined_at <= starts_at < left_at (left_at
  None = still a member). Withdrawing at t removes them from sessions starting at or
  after t; past sessions keep them, so history is not rewritten.
* Only held sessions count: not cancelled and already started (starts_at <= now).
* Attendance marked for someone not expected at that session (a guest, a data error)
  is ignored, so every share stays within 0..1.
* An expected member with no record counts as not present ("unrecorded").
* Any ratio whose denominator is empty is 0.0 (the counts beside it show why); this
  includes the Jaccard similarity of two sessions at which nobody was present.
* Rates are floats rounded to 3 decimals.

Pure: stdlib only.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from .recurrence import require_aware

CANCELLED = "cancelled"


class Attendance(StrEnum):
    PRESENT = "present"
    APOLOGIES = "apologies"  # absent, but told the group beforehand
    ABSENT = "absent"


class SessionLike(Protocol):
    """What continuity needs from a session (the scheduling Session fits)."""

    id: str
    starts_at: datetime
    status: str


@dataclass(frozen=True)
class Membership:
    """One period of a member's membership of a group; left_at None = still a member."""

    member_id: str
    joined_at: datetime
    left_at: datetime | None = None


@dataclass(frozen=True)
class AttendanceRecord:
    session_id: str
    member_id: str
    value: Attendance


# --- roster membership over time -------------------------------------------------------


def is_expected(starts_at: datetime, joined_at: datetime, left_at: datetime | None = None) -> bool:
    """Is a member with this membership period expected at a session starting then?"""
    return joined_at <= starts_at and (left_at is None or starts_at < left_at)


def expected_sessions(
    session_starts: Mapping[str, datetime] | Iterable[tuple[str, datetime]],
    joined_at: datetime,
    left_at: datetime | None = None,
) -> list[str]:
    """Ids of the sessions the member is expected at, in start order."""
    starts = dict(session_starts)
    ordered = sorted(starts.items(), key=lambda item: (item[1], item[0]))
    return [sid for sid, start in ordered if is_expected(start, joined_at, left_at)]


# --- continuity ------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionContinuity:
    session_id: str
    starts_at: datetime
    expected: int
    present: int
    apologies: int
    absent: int
    unrecorded: int
    present_share: float  # present / expected


@dataclass(frozen=True)
class MemberContinuity:
    member_id: str
    expected: int
    present: int
    apologies: int
    absent: int
    attendance_rate: float  # present / expected


@dataclass(frozen=True)
class StabilityStep:
    from_session_id: str
    to_session_id: str
    jaccard: float


@dataclass(frozen=True)
class ContinuityReport:
    sessions: list[SessionContinuity]  # held sessions, in start order
    members: list[MemberContinuity]  # by member id
    stability: list[StabilityStep]  # one per pair of consecutive held sessions
    mean_stability: float
    attendance_rate: float  # all present / all expected, across held sessions
    members_ever: int
    members_current: int
    retention: float  # members_current / members_ever


def ratio(numerator: int, denominator: int) -> float:
    """Rounded share; 0.0 when there is nothing to divide by."""
    return round(numerator / denominator, 3) if denominator else 0.0


def _jaccard_raw(a: set[str], b: set[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def jaccard(a: set[str], b: set[str]) -> float:
    """|A ∩ B| / |A ∪ B|, rounded; 0.0 when both sets are empty."""
    return round(_jaccard_raw(a, b), 3)


@dataclass
class _Tally:
    """Running counts for one session or one member."""

    expected: int = 0
    present: int = 0
    apologies: int = 0
    absent: int = 0

    def add(self, value: Attendance) -> None:
        if value is Attendance.PRESENT:
            self.present += 1
        elif value is Attendance.APOLOGIES:
            self.apologies += 1
        else:
            self.absent += 1


def _covers(periods: list[Membership], starts_at: datetime) -> bool:
    return any(is_expected(starts_at, p.joined_at, p.left_at) for p in periods)


def compute_continuity(
    sessions: Iterable[SessionLike],
    memberships: Iterable[Membership],
    attendance: Iterable[AttendanceRecord],
    *,
    now: datetime,
) -> ContinuityReport:
    """Continuity figures for one group. See the module docstring for the definitions.

    A member may have several membership periods (left and re-joined); they are expected
    at a session if any period covers it. Duplicate attendance records: the last wins.
    Cost is sessions × members, which is tiny for a group (≤ 52 × ~30).
    """
    require_aware(now, "now")
    held = sorted(
        (s for s in sessions if s.status != CANCELLED and s.starts_at <= now),
        key=lambda s: (s.starts_at, s.id),
    )
    periods: dict[str, list[Membership]] = {}
    for m in memberships:
        periods.setdefault(m.member_id, []).append(m)
    marks: dict[tuple[str, str], Attendance] = {(r.session_id, r.member_id): Attendance(r.value) for r in attendance}

    tallies = {mid: _Tally() for mid in periods}
    session_rows: list[SessionContinuity] = []
    present_sets: list[set[str]] = []
    for s in held:
        expected = [mid for mid, ps in periods.items() if _covers(ps, s.starts_at)]
        here = _Tally(expected=len(expected))
        present: set[str] = set()
        for mid in expected:
            tallies[mid].expected += 1
            value = marks.get((s.id, mid))
            if value is None:
                continue
            here.add(value)
            tallies[mid].add(value)
            if value is Attendance.PRESENT:
                present.add(mid)
        session_rows.append(
            SessionContinuity(
                session_id=s.id,
                starts_at=s.starts_at,
                expected=here.expected,
                present=here.present,
                apologies=here.apologies,
                absent=here.absent,
                unrecorded=here.expected - here.present - here.apologies - here.absent,
                present_share=ratio(here.present, here.expected),
            )
        )
        present_sets.append(present)

    member_rows = [
        MemberContinuity(
            member_id=mid,
            expected=t.expected,
            present=t.present,
            apologies=t.apologies,
            absent=t.absent,
            attendance_rate=ratio(t.present, t.expected),
        )
        for mid, t in sorted(tallies.items())
    ]

    similarities = [_jaccard_raw(a, b) for a, b in zip(present_sets, present_sets[1:])]
    steps = [StabilityStep(a.id, b.id, round(sim, 3)) for a, b, sim in zip(held, held[1:], similarities)]
    # Mean of the unrounded similarities, so per-step rounding does not accumulate.
    mean_stability = round(sum(similarities) / len(similarities), 3) if similarities else 0.0

    ever = {mid for mid, ps in periods.items() if any(p.joined_at <= now for p in ps)}
    current = {mid for mid in ever if _covers(periods[mid], now)}

    return ContinuityReport(
        sessions=session_rows,
        members=member_rows,
        stability=steps,
        mean_stability=mean_stability,
        attendance_rate=ratio(sum(r.present for r in session_rows), sum(r.expected for r in session_rows)),
        members_ever=len(ever),
        members_current=len(current),
        retention=ratio(len(current), len(ever)),
    )
