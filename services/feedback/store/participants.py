"""The projection of enrolment's participants: the region and PCN each person is registered
with (no name, no e-mail: enrolment's events carry none), so a needs answer names only its
person's own PCN."""

from __future__ import annotations

from sqlalchemy import Connection, delete, select

from services.feedback.store.tables import participants
from shared.db import upsert


def save_participant(conn: Connection, participant_id: str, region: str, pcn_code: str) -> None:
    """Insert or update: a redelivered or replayed registration changes nothing."""
    upsert(
        conn, participants, dict(participant_id=participant_id, region=region, pcn_code=pcn_code), ("participant_id",)
    )


def registered(conn: Connection, participant_id: str) -> tuple[str, str] | None:
    """(region, PCN) the person is registered with; None while feedback has not heard of them."""
    row = conn.execute(
        select(participants.c.region, participants.c.pcn_code).where(participants.c.participant_id == participant_id)
    ).first()
    return None if row is None else (row.region, row.pcn_code)


def forget_participant(conn: Connection, participant_id: str) -> None:
    conn.execute(delete(participants).where(participants.c.participant_id == participant_id))
