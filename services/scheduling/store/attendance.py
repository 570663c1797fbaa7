"""Attendance at sessions, and the pseudonymising of an erased participant's marks and bookings."""

from __future__ import annotations

from sqlalchemy import Connection, select, update

from services.scheduling.domain.continuity import Attendance, AttendanceRecord
from services.scheduling.store import utc_row
from services.scheduling.store.tables import attendance, sessions
from shared.db import upsert


def save_attendance(conn: Connection, values: dict) -> None:
    upsert(conn, attendance, values, ("session_id", "participant_id"))


def session_attendance(conn: Connection, session_id: str) -> list[dict]:
    query = select(attendance.c.participant_id, attendance.c.value, attendance.c.recorded_at).where(
        attendance.c.session_id == session_id
    )
    return [utc_row(row) for row in conn.execute(query.order_by(attendance.c.participant_id)).mappings()]


def offer_attendance(conn: Connection, offer_id: str) -> list[AttendanceRecord]:
    """Every mark of every session of an offer, for its continuity."""
    query = select(attendance.c.session_id, attendance.c.participant_id, attendance.c.value).where(
        attendance.c.offer_id == offer_id
    )
    return [
        AttendanceRecord(session_id, member, Attendance(value)) for session_id, member, value in conn.execute(query)
    ]


def rename_attendee(conn: Connection, participant_id: str, pseudonym: str) -> None:
    conn.execute(
        update(attendance).where(attendance.c.participant_id == participant_id).values(participant_id=pseudonym)
    )
    conn.execute(update(sessions).where(sessions.c.coachee_id == participant_id).values(coachee_id=pseudonym))
