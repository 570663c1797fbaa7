"""Scheduling's demo data: facilitators and coaches in every region, session series for the
groups enrolment's demo opened, held sessions with attendance for the groups that have started
(a few weeks' worth, or every four weeks since the spring for the groups that have met since
then), and coaching bookings. `python -m services.cli demo` runs it after
enrolment's demo (see `services.demo`).

Scheduling learns offers and members only from enrolment's events, so the loader first waits
until its roster projection holds what enrolment published. Future sessions and coaching
bookings go through the use cases, clash and capacity rules included. Sessions in the past
cannot (the API refuses the past), so they are written with the store functions and their
`session.scheduled` and `attendance.recorded` events are recorded through the outbox in the
same transaction, as the use cases would: enrolment and feedback learn them like any other.
A started group's members joined (in enrolment's events) when the demo was loaded, after the
held sessions; so the demo moves their `joined_at` in the projection back to when the group
formed, or continuity would not count them as expected. A replay of the projection
(`services.cli replay scheduling`) restores the event's time and loses that history.

Every meeting slot is on its own weekday or time of day, so the demo never double-books
anyone. One transaction per region; a region that already has facilitators, or offers with
sessions, is left as it is, so loading twice changes nothing. Seeded: the same shape on
every machine (ids are random, as everywhere, but for London's demo facilitator, who leads its
started group, and demo coach, who holds its coaching bookings: services.demo names their ids).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select, update

from services.demo import (
    DEMO_COACH,
    DEMO_FACILITATOR,
    DEMO_PARTICIPANT,
    DEMO_REGION,
    ENROLLED_BEFORE,
    WAIT_SECONDS,
    until_settled,
    wait_for,
)
from services.scheduling.domain.recurrence import Slot, local_to_utc
from services.scheduling.store import attendance as attendance_store
from services.scheduling.store import facilitators as facilitator_store
from services.scheduling.store import rosters as roster_store
from services.scheduling.store import sessions as session_store
from services.scheduling.store.tables import attendance, memberships, offers, sessions
from services.scheduling.usecases import coaching, events, facilitators
from services.scheduling.usecases import sessions as session_usecases
from shared.auth import Principal, Role
from shared.clock import as_of, as_utc, utcnow
from shared.contracts.scheduling import ATTENDANCE_RECORDED, SESSION_SCHEDULED
from shared.contracts.vocabulary import NATIONAL, OfferType, Region
from shared.unit import Unit

SEED = 20260402
GROUP_TYPES = (OfferType.REGIONAL_PROGRAMME, OfferType.PCN_TEAM, OfferType.ACTION_LEARNING_SET)
OPEN = ("published", "started")
# Per region: three facilitators and two coaches (kind, monthly capacity, skills).
TEAM = (
    ("facilitator", 12, ("action_learning", "facilitation")),
    ("facilitator", 12, ("facilitation", "team_development")),
    ("facilitator", 12, ("co_design", "dealing_with_conflict")),
    ("coach", 10, ("leadership_coaching",)),
    ("coach", 10, ("coaching_skills", "leadership_coaching")),
)


@dataclass(frozen=True)
class Pattern:
    """How often a kind of group meets, and for how long."""

    count: int
    minutes: int
    monthly: bool  # else fortnightly


PATTERNS = {
    OfferType.REGIONAL_PROGRAMME: Pattern(8, 150, True),
    OfferType.PCN_TEAM: Pattern(5, 120, True),
    OfferType.ACTION_LEARNING_SET: Pattern(6, 120, False),
}
# Published groups of a region take these (weekday, London time) slots in turn: a weekday each,
# all from 11:30, so no person or facilitator can be in two of them at once.
SLOTS = ((1, time(11, 30)), (2, time(14, 30)), (3, time(11, 30)), (4, time(14, 30)), (0, time(14, 30)))
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR")
STARTED_AT = time(9, 0)  # started groups meet 09:00-11:00, before any other slot
HELD = 4  # sessions a started group has already held, a week apart
STILL_TO_COME = 2
NATIONAL_MEETING = (time(17, 0), 90)  # third Thursday evening, online
COACHING_AT, COACHING_BOOKED = time(16, 45), 3  # fortnightly Wednesdays, after every group slot
# Groups that have met since early in the year (`_history_group`): a group is one of them when its
# first member joined this long ago; enrolment enrols them a fortnight before the group forms;
# they meet at this time, away from every other slot; a member who leaves stops coming first.
HISTORY_AFTER_DAYS = 60
HISTORY_AT = time(13, 0)
STOPPED_COMING_BEFORE_LEAVING = timedelta(weeks=8)
RELIABILITY = (0.95, 0.95, 0.95, 0.9, 0.9, 0.8, 0.6)  # chance a member is present: mostly present


def load(runtime, *, rosters: dict | None = None, seed: int = SEED, timeout: float = WAIT_SECONDS) -> dict:
    """Load the demo into scheduling. `rosters` (offer id → (status, members), from enrolment)
    says what the projection must hold first; without it the loader waits until the
    projection stops changing."""
    wait_for(_rosters_missing(runtime, rosters), timeout=timeout, what="scheduling's roster projection")
    report = {"regions": 0, "facilitators": 0, "sessions": 0, "held": {}, "attendance": 0, "coaching": 0}
    groups = _offers(runtime, rosters)
    for region in sorted(groups):
        with runtime.db.transaction() as conn:
            _load_region(runtime.unit(conn, _admin(region)), groups[region], random.Random(f"{seed}/{region}"), report)
    report["held"] = held_sessions(runtime, rosters)
    report["loaded"] = report["regions"] > 0
    return report


def _admin(region: str) -> Principal:
    return (
        Principal("demo-national", Role.NATIONAL, None)
        if region == NATIONAL
        else Principal(f"demo-admin-{region}", Role.REGIONAL_ADMIN, region)
    )


def _rosters_missing(runtime, rosters: dict | None):
    def counts(conn):
        known = dict(conn.execute(select(offers.c.offer_id, offers.c.status)).all())
        members = (
            select(memberships.c.offer_id, func.count())
            .where(memberships.c.left_at.is_(None))
            .group_by(memberships.c.offer_id)
        )
        return known, dict(conn.execute(members).all())

    def missing() -> str | None:
        with runtime.db.read() as conn:
            known, members = counts(conn)
        behind = [o for o, (status, n) in rosters.items() if known.get(o) != status or members.get(o, 0) != n]
        return f"{len(behind)} of {len(rosters)} offers and their members" if behind else None

    def snapshot() -> tuple:
        with runtime.db.read() as conn:
            known, members = counts(conn)
        return len(known), sum(members.values())

    return missing if rosters is not None else until_settled(snapshot)


def _offers(runtime, rosters: dict | None) -> dict[str, list[dict]]:
    """The open offers to plan, by region, in a stable order (type, then title)."""
    query = select(offers).where(offers.c.status.in_(OPEN))
    with runtime.db.read() as conn:
        rows = [dict(row) for row in conn.execute(query).mappings() if rosters is None or row["offer_id"] in rosters]
    by_region: dict[str, list[dict]] = {}
    for row in sorted(rows, key=lambda r: (r["offer_type"], r["title"], r["offer_id"])):
        by_region.setdefault(row["region"], []).append(row)
    return by_region


def _load_region(unit: Unit, region_offers: list[dict], rng: random.Random, report: dict) -> None:
    region = region_offers[0]["region"]
    staffed = (
        region in Region.values() and facilitator_store.list_facilitators(unit.conn, region, None, None, 1, 0)[1] > 0
    )
    if staffed or any(session_store.offer_sessions(unit.conn, o["offer_id"], limit=1)[1] for o in region_offers):
        return  # scheduling already holds this region's people or sessions: leave them be
    report["regions"] += 1
    groups = [o for o in region_offers if o["offer_type"] in GROUP_TYPES]
    team = _team(unit, report, _demo_ids(region, groups)) if region in Region.values() else []
    leaders = [p for p in team if p["kind"] == "facilitator"]
    coaches = [p for p in team if p["kind"] == "coach"]
    waiting = iter(SLOTS)
    for index, offer in enumerate(groups):
        leader = leaders[index % len(leaders)]["id"] if leaders else None
        if offer["status"] == "started" and (formed := _formed_long_ago(unit, offer)) is not None:
            _history_group(unit, offer, leader, formed, rng, report)
        elif offer["status"] == "started":
            _started_group(unit, offer, leader, rng, report)
        elif offer["region"] == NATIONAL:
            _national_group(unit, offer, report)
        elif (slot := next(waiting, None)) is not None:
            _published_group(unit, offer, leader, slot, index, report)
    for offer in (o for o in region_offers if o["offer_type"] == OfferType.COACHING and coaches):
        _coaching(unit, offer, coaches[0]["id"], report)


def _demo_ids(region: str, groups: list[dict]) -> dict[int, str]:
    """Place in TEAM → fixed id: in the demo region, the facilitator who will lead its first started
    group (group n is led by the region's facilitator n modulo their number) and the coach who
    takes its coaching bookings (the first)."""
    if region != DEMO_REGION:
        return {}
    leading = [n for n, (kind, _, _) in enumerate(TEAM) if kind == "facilitator"]
    coaching = [n for n, (kind, _, _) in enumerate(TEAM) if kind == "coach"]
    started = next((n for n, offer in enumerate(groups) if offer["status"] == "started"), None)
    return {coaching[0]: DEMO_COACH} | (
        {leading[started % len(leading)]: DEMO_FACILITATOR} if started is not None else {}
    )


def _team(unit: Unit, report: dict, fixed_ids: dict[int, str]) -> list[dict]:
    """The region's three facilitators and two coaches."""
    report["facilitators"] += len(TEAM)
    return [
        facilitators.add_facilitator(
            unit,
            {"kind": kind, "monthly_capacity": capacity, "skills": list(skills)},
            facilitator_id=fixed_ids.get(n),
        )
        for n, (kind, capacity, skills) in enumerate(TEAM)
    ]


def _schedule(unit: Unit, offer: dict, body: dict, report: dict) -> list[dict]:
    scheduled = session_usecases.schedule(unit, offer["offer_id"], body)["sessions"]
    report["sessions"] += len(scheduled)
    return scheduled


def _first(weekday: int, on_or_after: date) -> date:
    return on_or_after + timedelta(days=(weekday - on_or_after.weekday()) % 7)


def _published_group(unit: Unit, offer: dict, leader: str | None, slot: tuple, index: int, report: dict) -> None:
    """A series starting three weeks from now, when enrolment's demo opens these groups."""
    weekday, at = slot
    pattern = PATTERNS[offer["offer_type"]]
    opens = date.today() + timedelta(days=21)
    if pattern.monthly:
        repeat = {
            "count": pattern.count,
            "cadence": "monthly_nth_weekday",
            "weekday": WEEKDAYS[weekday],
            "ordinal": 1 + index % 4,
        }
        start = opens
    else:
        repeat = {"count": pattern.count, "cadence": "weekly", "interval": 2}
        start = _first(weekday, opens)
    venue = f"Demo learning centre {offer['region']}, room {1 + index}"
    _schedule(
        unit,
        offer,
        {
            "starts_at": datetime.combine(start, at),
            "duration_minutes": pattern.minutes,
            "repeat": repeat,
            "facilitator_id": leader,
            "venue": venue,
        },
        report,
    )


def _national_group(unit: Unit, offer: dict, report: dict) -> None:
    at, minutes = NATIONAL_MEETING
    repeat = {
        "count": PATTERNS[offer["offer_type"]].count,
        "cadence": "monthly_nth_weekday",
        "weekday": "TH",
        "ordinal": 3,
    }
    body = {
        "starts_at": datetime.combine(date.today() + timedelta(days=21), at),
        "duration_minutes": minutes,
        "repeat": repeat,
        "video_link": "https://video.demo.convene.invalid/national-set",
    }
    _schedule(unit, offer, body, report)


def _started_group(unit: Unit, offer: dict, leader: str | None, rng: random.Random, report: dict) -> None:
    """Weekly sessions: `HELD` already held (with attendance), `STILL_TO_COME` ahead."""
    last = date.today() - timedelta(days=4)
    while last.weekday() >= 5:  # a weekday, and still inside feedback's two-week window
        last -= timedelta(days=1)
    days = [last - timedelta(weeks=k) for k in range(HELD - 1, -1, -1)]
    body = {"facilitator_id": leader, "venue": f"Demo learning centre {offer['region']}, set room"}
    rows = [
        session_usecases.new_session(offer, _slot(day, STARTED_AT, 120), body, series_id=str(uuid.uuid4()))
        for day in days
    ]
    session_store.add_sessions(unit.conn, rows)
    for row in rows:
        unit.record(SESSION_SCHEDULED, events.session_data(row))
    _formed(unit, offer["offer_id"], rows[0]["starts_at"] - timedelta(days=7))
    members = [m["participant_id"] for m in roster_store.roster(unit.conn, offer["offer_id"])]
    reliability = {member: rng.choice(RELIABILITY) for member in members}
    if DEMO_PARTICIPANT in reliability:
        reliability[DEMO_PARTICIPANT] = 1.0  # present at every session, so they may give feedback on each
    for row in rows:
        for member in members:
            mark = {
                "session_id": row["id"],
                "participant_id": member,
                "offer_id": offer["offer_id"],
                "value": _mark(rng, reliability[member]),
                "recorded_at": row["ends_at"] + timedelta(minutes=20),
            }
            attendance_store.save_attendance(unit.conn, mark)
            unit.record(ATTENDANCE_RECORDED, events.attendance_data(row, mark))
            report["attendance"] += 1
    repeat = {"count": STILL_TO_COME, "cadence": "weekly"}
    _schedule(
        unit,
        offer,
        {
            **body,
            "starts_at": datetime.combine(last + timedelta(weeks=1), STARTED_AT),
            "duration_minutes": 120,
            "repeat": repeat,
        },
        report,
    )


def _formed_long_ago(unit: Unit, offer: dict) -> datetime | None:
    """When a group that has met since early in the year formed (enrolment's `_since_the_spring`
    enrols its members `ENROLLED_BEFORE` it starts), or None for a group that started lately."""
    first = unit.conn.execute(
        select(func.min(memberships.c.joined_at)).where(memberships.c.offer_id == offer["offer_id"])
    ).scalar()
    if first is None or as_utc(first) > utcnow() - timedelta(days=HISTORY_AFTER_DAYS):
        return None
    return as_utc(first) + ENROLLED_BEFORE


def _history_group(
    unit: Unit, offer: dict, leader: str | None, formed: datetime, rng: random.Random, report: dict
) -> None:
    """Sessions every four weeks since the group formed, all held, each put in the calendar a
    week before it and marked as it ended (`as_of`, so feedback opens each in its own time).
    Only members of the group at a session are marked. The groups differ, so the conditions of
    a learning community have something to tell: a set whose members stopped coming before three
    of them left, a set whose attendance falls over its last sessions, and steady groups."""
    weekday = 1 if offer["offer_type"] == OfferType.ACTION_LEARNING_SET else 3
    days, day = [], _first(weekday, formed.date() + timedelta(days=7))
    while day <= date.today() - timedelta(days=4):
        days.append(day)
        day += timedelta(weeks=4)
    body = {"facilitator_id": leader, "venue": f"Demo learning centre {offer['region']}, history room"}
    periods = unit.conn.execute(
        select(memberships.c.participant_id, memberships.c.joined_at, memberships.c.left_at).where(
            memberships.c.offer_id == offer["offer_id"]
        )
    ).all()
    someone_left = any(left is not None for _, _, left in periods)
    drifting = offer["offer_type"] == OfferType.ACTION_LEARNING_SET and not someone_left and rng.random() < 0.6
    usual = rng.choice(RELIABILITY[:-1])
    for n, day in enumerate(days):
        slot = _slot(day, HISTORY_AT, 120)
        with as_of(slot.starts_at - timedelta(weeks=1)):
            row = session_usecases.new_session(offer, slot, body, series_id=None)
            session_store.add_sessions(unit.conn, [row])
            unit.record(SESSION_SCHEDULED, events.session_data(row))
        report["sessions"] += 1
        for member, joined, left in periods:
            joined, left = as_utc(joined), as_utc(left)
            if joined > row["starts_at"] or (left is not None and left <= row["starts_at"]):
                continue  # not a member at this session
            reliability = usual
            if left is not None and left - row["starts_at"] < STOPPED_COMING_BEFORE_LEAVING:
                reliability = 0.3
            if drifting and n >= len(days) - 3:
                reliability = 0.45
            mark = {
                "session_id": row["id"],
                "participant_id": member,
                "offer_id": offer["offer_id"],
                "value": _mark(rng, reliability),
                "recorded_at": row["ends_at"] + timedelta(minutes=20),
            }
            with as_of(mark["recorded_at"]):
                attendance_store.save_attendance(unit.conn, mark)
                unit.record(ATTENDANCE_RECORDED, events.attendance_data(row, mark))
            report["attendance"] += 1


def _slot(day: date, at: time, minutes: int) -> Slot:
    starts_at = local_to_utc(datetime.combine(day, at))
    return Slot(starts_at, starts_at + timedelta(minutes=minutes))


def _formed(unit: Unit, offer_id: str, formed: datetime) -> None:
    """Members count from when the group formed, before its held sessions (see the module docstring)."""
    joined_late = (
        (memberships.c.offer_id == offer_id) & memberships.c.left_at.is_(None) & (memberships.c.joined_at > formed)
    )
    unit.conn.execute(update(memberships).where(joined_late).values(joined_at=formed))


def _mark(rng: random.Random, reliability: float) -> str:
    if rng.random() < reliability:
        return "present"
    return "apologies" if rng.random() < 0.65 else "absent"


def _coaching(unit: Unit, offer: dict, coach: str, report: dict) -> None:
    allowance = min(COACHING_BOOKED, offer["session_allowance"] or 0)
    first = _first(2, date.today() + timedelta(days=7))
    for coachee in roster_store.current_member_ids(unit.conn, offer["offer_id"]):
        for n in range(allowance):
            starts_at = datetime.combine(first + timedelta(weeks=2 * n), COACHING_AT)
            body = {
                "participant_id": coachee,
                "coach_id": coach,
                "starts_at": starts_at,
                "duration_minutes": 60,
                "video_link": "https://video.demo.convene.invalid/coaching",
            }
            coaching.book_coaching(unit, offer["offer_id"], body)
            report["coaching"] += 1


def held_sessions(runtime, rosters: dict | None = None) -> dict[str, int]:
    """session id → attendance marks of every group session that has begun: what feedback's
    projection must hold before feedback can be given."""
    marks = select(func.count()).where(attendance.c.session_id == sessions.c.id).scalar_subquery()
    query = select(sessions.c.id, sessions.c.offer_id, marks).where(
        sessions.c.kind == "group", sessions.c.status == "scheduled", sessions.c.starts_at <= utcnow()
    )
    with runtime.db.read() as conn:
        return {sid: n for sid, offer_id, n in conn.execute(query) if rosters is None or offer_id in rosters}
