"""Queries over participants. A participant's region is read through their PCN, never stored twice."""
import json

from sqlalchemy import Connection, Table, bindparam, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from services.enrolment.store import page
from services.enrolment.store.tables import participants, pcns

WITH_REGION = select(participants, pcns.c.region).join(pcns, pcns.c.code == participants.c.pcn_code)
_BY_ID = WITH_REGION.where(participants.c.id == bindparam("participant_id"))
_BY_IDS = WITH_REGION.where(participants.c.id.in_(bindparam("ids", expanding=True)))


def participant(conn: Connection, participant_id: str):
    return conn.execute(_BY_ID, {"participant_id": participant_id}).mappings().first()


def by_ids(conn: Connection, ids: list[str]) -> dict:
    return {row["id"]: row for row in conn.execute(_BY_IDS, {"ids": ids}).mappings()}


def participant_page(conn: Connection, *, region: str | None, only_id: str | None, pcn_code: str | None, role: str | None, limit: int, offset: int):
    query = WITH_REGION
    for column, value in ((pcns.c.region, region), (participants.c.id, only_id), (participants.c.pcn_code, pcn_code), (participants.c.role, role)):
        if value is not None:
            query = query.where(column == value)
    return page(conn, query, participants.c.created_at, participants.c.id, limit=limit, offset=offset)


def insert_participant(conn: Connection, values: dict) -> bool:
    """Insert a participant; False when the e-mail address is already registered."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(participants).values(**values).on_conflict_do_nothing().returning(participants.c.id)
    return conn.execute(statement).first() is not None


def erase_personal_data(conn: Connection, participant_id: str, *, name: str, email: str) -> bool:
    """Replace a participant's name and e-mail by the erasure markers; False when another
    transaction erased them first (the row is already marked)."""
    statement = update(participants).where(participants.c.id == participant_id, participants.c.email != email).values(name=name, email=email)
    return conn.execute(statement.returning(participants.c.id)).first() is not None


def forget_registration_replays(conn: Connection, idempotency: Table, participant_id: str) -> int:
    """Delete the remembered answers to Idempotency-Keyed requests that showed the participant's
    name and e-mail (their registration): the key table keeps response bodies verbatim."""
    candidates = conn.execute(select(idempotency.c.subject, idempotency.c.key, idempotency.c.body).where(idempotency.c.body.contains(participant_id, autoescape=True)))
    showed = [(row.subject, row.key) for row in candidates if _shows_participant(row.body, participant_id)]
    for subject, key in showed:
        conn.execute(delete(idempotency).where(idempotency.c.subject == subject, idempotency.c.key == key))
    return len(showed)


def _shows_participant(body: str, participant_id: str) -> bool:
    try:
        document = json.loads(body)
    except ValueError:
        return True  # unreadable but naming the participant: do not keep it
    return isinstance(document, dict) and document.get("id") == participant_id and ("email" in document or "name" in document)
