"""Sessions, and the bookings the clash and capacity rules read: who leads or attends what, when.
Sessions are read as rows (the API answers them with every column); `as_session` and
`write_session` translate between a row and the domain's Session."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, and_, func, insert, literal, or_, select, text, union_all, update

from services.scheduling.domain.clashes import Booking
from services.scheduling.domain.coaching import CoachingBooking
from services.scheduling.domain.sessions import Session, SessionStatus
from services.scheduling.store import utc_row
from services.scheduling.store.rosters import expected_at
from services.scheduling.store.tables import attendance, memberships, sessions
from shared.clock import as_utc

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


# --- sessions ------------------------------------------------------------------------------


def add_sessions(conn: Connection, rows: list[dict]) -> None:
    conn.execute(insert(sessions), rows)


def find_session(conn: Connection, session_id: str) -> dict | None:
    row = conn.execute(select(sessions).where(sessions.c.id == session_id)).mappings().first()
    return None if row is None else utc_row(row)


def change_session(conn: Connection, session_id: str, **values) -> None:
    conn.execute(update(sessions).where(sessions.c.id == session_id).values(**values))


def as_session(row: dict) -> Session:
    """The domain's view of a session row: its times, series, sequence and status."""
    return Session(
        row["id"], row["starts_at"], row["ends_at"], row["series_id"], row["sequence"], SessionStatus(row["status"])
    )


def write_session(conn: Connection, session: Session) -> dict:
    """Write what the domain may change of a session (times, sequence, status); answers those columns."""
    values = {
        "starts_at": session.starts_at,
        "ends_at": session.ends_at,
        "sequence": session.sequence,
        "status": session.status.value,
    }
    change_session(conn, session.id, **values)
    return values


def series_sessions(conn: Connection, series_id: str) -> list[dict]:
    query = select(sessions).where(sessions.c.series_id == series_id).order_by(sessions.c.starts_at)
    return [utc_row(row) for row in conn.execute(query).mappings()]


def offer_sessions(
    conn: Connection, offer_id: str, *, kind: str | None = None, seen=None, limit: int | None = None, offset: int = 0
):
    """Sessions of an offer in start order, and how many there are; `seen` (seen_by_leader,
    seen_by_member) keeps those one person may see, None every one."""
    conditions = [sessions.c.offer_id == offer_id]
    if kind:
        conditions.append(sessions.c.kind == kind)
    if seen is not None:
        conditions.append(seen)
    total = conn.execute(select(func.count()).select_from(sessions).where(*conditions)).scalar_one()
    query = (
        select(sessions).where(*conditions).order_by(sessions.c.starts_at, sessions.c.id).limit(limit).offset(offset)
    )
    return [utc_row(row) for row in conn.execute(query).mappings()], total


def led_sessions(
    conn: Connection,
    *,
    leader_id: str | None,
    region: str | None,
    starts_from: datetime | None = None,
    starts_before: datetime | None = None,
    unrecorded_at: datetime | None = None,
    limit: int | None = None,
    offset: int = 0,
):
    """Sessions of every offer in start order, and how many: those one person leads (`leader_id`)
    or, without one, every one of a region; starting in [starts_from, starts_before); with
    `unrecorded_at`, only those begun by then, not cancelled, with no attendance mark."""
    conditions = [sessions.c.facilitator_id == leader_id] if leader_id is not None else [sessions.c.region == region]
    if starts_from is not None:
        conditions.append(sessions.c.starts_at >= starts_from)
    if starts_before is not None:
        conditions.append(sessions.c.starts_at < starts_before)
    if unrecorded_at is not None:
        marked = select(literal(1)).where(attendance.c.session_id == sessions.c.id).exists()
        conditions += [sessions.c.starts_at <= unrecorded_at, sessions.c.status == "scheduled", ~marked]
    total = conn.execute(select(func.count()).select_from(sessions).where(*conditions)).scalar_one()
    query = (
        select(sessions).where(*conditions).order_by(sessions.c.starts_at, sessions.c.id).limit(limit).offset(offset)
    )
    return [utc_row(row) for row in conn.execute(query).mappings()], total


def seen_by_leader(person_id: str):
    """SQL condition: what a facilitator or coach sees of an offer they lead — its group
    sessions, and of its 1:1 coaching only the sessions they lead themselves."""
    return or_(sessions.c.kind == "group", sessions.c.facilitator_id == person_id)


def seen_by_member(person_id: str):
    """SQL condition: what a participant sees — the group sessions they are (or were) expected
    at, and their own coaching; never another coachee's, not even of an offer they now hold."""
    expected = (
        select(literal(1))
        .where(
            memberships.c.offer_id == sessions.c.offer_id,
            memberships.c.participant_id == person_id,
            expected_at(sessions.c.starts_at),
        )
        .exists()
    )
    return or_(and_(sessions.c.kind == "group", expected), sessions.c.coachee_id == person_id)


def coachees_of(conn: Connection, offer_id: str, coach_id: str) -> set[str]:
    """The people a coach coaches (or coached) in an offer."""
    query = select(sessions.c.coachee_id).where(
        sessions.c.offer_id == offer_id, sessions.c.facilitator_id == coach_id, sessions.c.coachee_id.is_not(None)
    )
    return set(conn.execute(query).scalars())


def upcoming_sessions(conn: Connection, offer_id: str, now: datetime) -> list[dict]:
    query = select(sessions).where(
        sessions.c.offer_id == offer_id, sessions.c.status == "scheduled", sessions.c.starts_at > now
    )
    return [utc_row(row) for row in conn.execute(query.order_by(sessions.c.starts_at, sessions.c.id)).mappings()]


def upcoming_coaching(conn: Connection, coachee_id: str, now: datetime) -> list[dict]:
    """A coachee's 1:1 coaching sessions still to come (not cancelled), in every offer."""
    query = select(sessions).where(
        sessions.c.coachee_id == coachee_id,
        sessions.c.kind == "coaching",
        sessions.c.status == "scheduled",
        sessions.c.starts_at > now,
    )
    return [utc_row(row) for row in conn.execute(query.order_by(sessions.c.starts_at, sessions.c.id)).mappings()]


def leads_offer(conn: Connection, person_id: str, offer_id: str) -> bool:
    """Does this facilitator or coach lead any session of the offer?"""
    query = (
        select(sessions.c.id).where(sessions.c.offer_id == offer_id, sessions.c.facilitator_id == person_id).limit(1)
    )
    return conn.execute(query).first() is not None


# --- bookings: who is where, when ------------------------------------------------------------


def bookings_of(conn: Connection, person_ids, starts: datetime, ends: datetime) -> list[Booking]:
    """Scheduled sessions overlapping [starts, ends) that any of the people lead or attend."""
    people = list(person_ids)
    live = and_(sessions.c.status == "scheduled", sessions.c.starts_at < ends, sessions.c.ends_at > starts)
    slot = (sessions.c.id, sessions.c.starts_at, sessions.c.ends_at)
    leading = select(sessions.c.facilitator_id.label("person_id"), *slot).where(
        live, sessions.c.facilitator_id.in_(people)
    )
    coached = select(sessions.c.coachee_id.label("person_id"), *slot).where(live, sessions.c.coachee_id.in_(people))
    attending = (
        select(memberships.c.participant_id.label("person_id"), *slot)
        .join(memberships, memberships.c.offer_id == sessions.c.offer_id)
        .where(
            live,
            sessions.c.kind == "group",
            memberships.c.participant_id.in_(people),
            expected_at(sessions.c.starts_at),
        )
    )
    rows = conn.execute(union_all(leading, coached, attending)).all()
    return [Booking(person, session_id, *map(as_utc, (start, end))) for person, session_id, start, end in rows]


def led_bookings(conn: Connection, person_id: str, starts: datetime, ends: datetime) -> list[Booking]:
    """Scheduled sessions a facilitator or coach leads, starting within [starts, ends)."""
    query = select(sessions.c.id, sessions.c.starts_at, sessions.c.ends_at).where(
        sessions.c.facilitator_id == person_id,
        sessions.c.status == "scheduled",
        sessions.c.starts_at >= starts,
        sessions.c.starts_at < ends,
    )
    return [Booking(person_id, sid, as_utc(start), as_utc(end)) for sid, start, end in conn.execute(query)]


def coaching_bookings(conn: Connection, offer_id: str, coachee_id: str) -> list[CoachingBooking]:
    query = select(sessions).where(sessions.c.offer_id == offer_id, sessions.c.coachee_id == coachee_id)
    return [
        CoachingBooking(
            r["id"], r["offer_id"], r["facilitator_id"], r["coachee_id"], r["starts_at"], r["ends_at"], r["status"]
        )
        for r in map(utc_row, conn.execute(query).mappings())
    ]
