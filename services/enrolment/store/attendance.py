"""The projection of scheduling's sessions and attendance, and what completion reads from it."""

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from services.enrolment.domain.completion import MemberAttendance
from services.enrolment.store.tables import attendance, sessions
from shared.clock import as_utc


def save_session(
    conn: Connection, session_id: str, offer_id: str, ends_at: datetime, status: str, sequence: int
) -> None:
    """Keep a session's latest state: a change with a lower `sequence` than the one held is stale."""
    known = conn.execute(select(sessions.c.sequence).where(sessions.c.session_id == session_id)).first()
    values = {"offer_id": offer_id, "ends_at": as_utc(ends_at), "status": status, "sequence": sequence}
    if known is None:
        conn.execute(insert(sessions).values(session_id=session_id, **values))
    elif sequence >= known.sequence:
        conn.execute(update(sessions).where(sessions.c.session_id == session_id).values(**values))


def record_attendance(conn: Connection, data: dict) -> None:
    """Keep the latest attendance record of a participant at a session (by `recorded_at`)."""
    if conn.execute(select(sessions.c.session_id).where(sessions.c.session_id == data["session_id"])).first() is None:
        # Known from its attendance before its own event: any session event overrides this guess.
        save_session(conn, data["session_id"], data["offer_id"], data["session_ends_at"], "scheduled", -1)
    key = (attendance.c.session_id == data["session_id"]) & (attendance.c.participant_id == data["participant_id"])
    held = conn.execute(select(attendance.c.recorded_at).where(key)).scalar()
    values = {
        "offer_id": data["offer_id"],
        "attendance": data["attendance"],
        "recorded_at": as_utc(data["recorded_at"]),
    }
    if held is None:
        conn.execute(
            insert(attendance).values(session_id=data["session_id"], participant_id=data["participant_id"], **values)
        )
    elif values["recorded_at"] >= as_utc(held):
        conn.execute(update(attendance).where(key).values(**values))


def _held(offer_id: str, now: datetime):
    return (sessions.c.offer_id == offer_id) & (sessions.c.status != "cancelled") & (sessions.c.ends_at <= now)


def held_session_count(conn: Connection, offer_id: str, now: datetime) -> int:
    """Sessions of the offer that took place: not cancelled, and over by `now`."""
    return conn.execute(select(func.count()).select_from(sessions).where(_held(offer_id, now))).scalar_one()


def member_attendance(conn: Connection, offer_id: str, members: Iterable, now: datetime) -> list[MemberAttendance]:
    """Each of `members` (enrolment rows of the offer) with how many held sessions they were present at."""
    present = presence(conn, offer_id, now)
    return [MemberAttendance(m["id"], m["status"], present.get(m["participant_id"], 0)) for m in members]


def presence(conn: Connection, offer_id: str, now: datetime) -> dict[str, int]:
    """For each participant, how many of the offer's held sessions they were present at."""
    query = (
        select(attendance.c.participant_id, func.count())
        .join(sessions, sessions.c.session_id == attendance.c.session_id)
        .where(_held(offer_id, now), attendance.c.attendance == "present")
        .group_by(attendance.c.participant_id)
    )
    return dict(conn.execute(query).all())


def session_state(conn: Connection, session_id: str):
    """A session's latest status and sequence as scheduling's events told enrolment, or None."""
    return conn.execute(
        select(sessions.c.status, sessions.c.sequence).where(sessions.c.session_id == session_id)
    ).first()
