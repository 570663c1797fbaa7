"""Queries of scheduling's own data: facilitators, sessions, bookings and attendance."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, func, insert, literal, or_, select, text, union_all, update

from shared.clock import as_utc
from services.scheduling.domain import Booking, CoachingBooking
from services.scheduling.store import (
    attendance,
    expected_at,
    facilitator_skills,
    facilitators,
    memberships,
    offers,
    sessions,
    upsert,
    utc_row,
)

_CALENDAR_LOCK = 4_208_002  # any constant: the id of scheduling's PostgreSQL advisory lock


def lock_calendar(conn: Connection) -> None:
    """Serialise every change to who is booked when.

    A clash or capacity check reads bookings of several people across offers, so no single
    row can be locked for it. On PostgreSQL a transaction-scoped advisory lock makes those
    read-then-write rules run one at a time (scheduling writes are rare); on SQLite every
    write transaction is already BEGIN IMMEDIATE.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CALENDAR_LOCK})


# --- facilitators and coaches ----------------------------------------------------------------


def add_facilitator(conn: Connection, values: dict, skills: list[str]) -> None:
    conn.execute(insert(facilitators).values(**values))
    if skills:
        conn.execute(insert(facilitator_skills), [{"facilitator_id": values["id"], "skill": s} for s in skills])


def find_facilitator(conn: Connection, facilitator_id: str) -> dict | None:
    row = conn.execute(select(facilitators).where(facilitators.c.id == facilitator_id)).mappings().first()
    return None if row is None else _with_skills(conn, [row])[0]


def list_facilitators(conn: Connection, region: str | None, kind: str | None, skill: str | None, limit: int, offset: int):
    conditions = [facilitators.c.region == region] if region else []
    if kind:
        conditions.append(facilitators.c.kind == kind)
    if skill:
        skilled = select(facilitator_skills.c.facilitator_id).where(facilitator_skills.c.skill == skill)
        conditions.append(facilitators.c.id.in_(skilled))
    total = conn.execute(select(func.count()).select_from(facilitators).where(*conditions)).scalar_one()
    rows = conn.execute(select(facilitators).where(*conditions).order_by(facilitators.c.id).limit(limit).offset(offset)).mappings().all()
    return _with_skills(conn, rows), total


def _with_skills(conn: Connection, rows) -> list[dict]:
    ids = [row["id"] for row in rows]
    skills: dict[str, list[str]] = {}
    query = select(facilitator_skills).where(facilitator_skills.c.facilitator_id.in_(ids)).order_by(facilitator_skills.c.skill)
    for facilitator_id, skill in conn.execute(query):
        skills.setdefault(facilitator_id, []).append(skill)
    return [{**utc_row(row), "skills": skills.get(row["id"], [])} for row in rows]


# --- sessions ------------------------------------------------------------------------------


def add_sessions(conn: Connection, rows: list[dict]) -> None:
    conn.execute(insert(sessions), rows)


def find_session(conn: Connection, session_id: str) -> dict | None:
    row = conn.execute(select(sessions).where(sessions.c.id == session_id)).mappings().first()
    return None if row is None else utc_row(row)


def change_session(conn: Connection, session_id: str, **values) -> None:
    conn.execute(update(sessions).where(sessions.c.id == session_id).values(**values))


def series_sessions(conn: Connection, series_id: str) -> list[dict]:
    query = select(sessions).where(sessions.c.series_id == series_id).order_by(sessions.c.starts_at)
    return [utc_row(row) for row in conn.execute(query).mappings()]


def offer_sessions(conn: Connection, offer_id: str, *, kind: str | None = None, coachee_id: str | None = None, limit: int | None = None, offset: int = 0):
    """Sessions of an offer in start order, and how many there are."""
    conditions = [sessions.c.offer_id == offer_id]
    if kind:
        conditions.append(sessions.c.kind == kind)
    if coachee_id:
        conditions.append(sessions.c.coachee_id == coachee_id)
    total = conn.execute(select(func.count()).select_from(sessions).where(*conditions)).scalar_one()
    query = select(sessions).where(*conditions).order_by(sessions.c.starts_at, sessions.c.id).limit(limit).offset(offset)
    return [utc_row(row) for row in conn.execute(query).mappings()], total


def upcoming_sessions(conn: Connection, offer_id: str, now: datetime) -> list[dict]:
    query = select(sessions).where(sessions.c.offer_id == offer_id, sessions.c.status == "scheduled", sessions.c.starts_at > now)
    return [utc_row(row) for row in conn.execute(query.order_by(sessions.c.starts_at, sessions.c.id)).mappings()]


def leads_offer(conn: Connection, person_id: str, offer_id: str) -> bool:
    """Does this facilitator or coach lead any session of the offer?"""
    query = select(sessions.c.id).where(sessions.c.offer_id == offer_id, sessions.c.facilitator_id == person_id).limit(1)
    return conn.execute(query).first() is not None


# --- bookings: who is where, when ------------------------------------------------------------


def bookings_of(conn: Connection, person_ids, starts: datetime, ends: datetime) -> list[Booking]:
    """Scheduled sessions overlapping [starts, ends) that any of the people lead or attend."""
    people = list(person_ids)
    live = and_(sessions.c.status == "scheduled", sessions.c.starts_at < ends, sessions.c.ends_at > starts)
    slot = (sessions.c.id, sessions.c.starts_at, sessions.c.ends_at)
    leading = select(sessions.c.facilitator_id.label("person_id"), *slot).where(live, sessions.c.facilitator_id.in_(people))
    coached = select(sessions.c.coachee_id.label("person_id"), *slot).where(live, sessions.c.coachee_id.in_(people))
    attending = (
        select(memberships.c.participant_id.label("person_id"), *slot)
        .join(memberships, memberships.c.offer_id == sessions.c.offer_id)
        .where(live, sessions.c.kind == "group", memberships.c.participant_id.in_(people), expected_at(sessions.c.starts_at))
    )
    rows = conn.execute(union_all(leading, coached, attending)).all()
    return [Booking(person, session_id, *map(as_utc, (start, end))) for person, session_id, start, end in rows]


def led_bookings(conn: Connection, person_id: str, starts: datetime, ends: datetime) -> list[Booking]:
    """Scheduled sessions a facilitator or coach leads, starting within [starts, ends)."""
    query = select(sessions.c.id, sessions.c.starts_at, sessions.c.ends_at).where(
        sessions.c.facilitator_id == person_id, sessions.c.status == "scheduled", sessions.c.starts_at >= starts, sessions.c.starts_at < ends
    )
    return [Booking(person_id, sid, as_utc(start), as_utc(end)) for sid, start, end in conn.execute(query)]


def coaching_bookings(conn: Connection, offer_id: str, coachee_id: str) -> list[CoachingBooking]:
    query = select(sessions).where(sessions.c.offer_id == offer_id, sessions.c.coachee_id == coachee_id)
    return [
        CoachingBooking(r["id"], r["offer_id"], r["facilitator_id"], r["coachee_id"], r["starts_at"], r["ends_at"], r["status"])
        for r in map(utc_row, conn.execute(query).mappings())
    ]


# --- attendance ------------------------------------------------------------------------------


def save_attendance(conn: Connection, values: dict) -> None:
    upsert(conn, attendance, values, ("session_id", "participant_id"))


def session_attendance(conn: Connection, session_id: str) -> list[dict]:
    query = select(attendance.c.participant_id, attendance.c.value, attendance.c.recorded_at).where(attendance.c.session_id == session_id)
    return [utc_row(row) for row in conn.execute(query.order_by(attendance.c.participant_id)).mappings()]


def offer_attendance(conn: Connection, offer_id: str) -> list[dict]:
    query = select(attendance.c.session_id, attendance.c.participant_id, attendance.c.value).where(attendance.c.offer_id == offer_id)
    return [dict(row) for row in conn.execute(query).mappings()]


def rename_attendee(conn: Connection, participant_id: str, pseudonym: str) -> None:
    conn.execute(update(attendance).where(attendance.c.participant_id == participant_id).values(participant_id=pseudonym))
    conn.execute(update(sessions).where(sessions.c.coachee_id == participant_id).values(coachee_id=pseudonym))


# --- calendars ---------------------------------------------------------------------------------


def _with_title():
    return select(sessions, offers.c.title).join(offers, offers.c.offer_id == sessions.c.offer_id)


def offer_calendar(conn: Connection, offer_id: str) -> list[dict]:
    query = _with_title().where(sessions.c.offer_id == offer_id).order_by(sessions.c.starts_at)
    return [utc_row(row) for row in conn.execute(query).mappings()]


def participant_calendar(conn: Connection, participant_id: str, region: str | None) -> list[dict]:
    """Group sessions the participant is expected at, and their own coaching sessions."""
    member = (
        select(literal(1))
        .where(memberships.c.offer_id == sessions.c.offer_id, memberships.c.participant_id == participant_id, expected_at(sessions.c.starts_at))
        .exists()
    )
    query = _with_title().where(or_(and_(sessions.c.kind == "group", member), sessions.c.coachee_id == participant_id))
    if region:
        query = query.where(sessions.c.region == region)
    return [utc_row(row) for row in conn.execute(query.order_by(sessions.c.starts_at)).mappings()]
