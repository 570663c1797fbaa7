"""Queries over participants. A participant's region is read through their PCN, never stored
twice; their wrapped data key comes with them (`wrapped_key`, None once erased), so reading
a participant and opening their name and e-mail (services.enrolment.personal) is one query."""

from sqlalchemy import Connection, bindparam, select, update

from services.enrolment.store import page
from services.enrolment.store.tables import data_keys, participants, pcns
from shared.db import dialect_insert

WITH_REGION = (
    select(participants, pcns.c.region, data_keys.c.wrapped.label("wrapped_key"))
    .join(pcns, pcns.c.code == participants.c.pcn_code)
    .outerjoin(data_keys, data_keys.c.record_id == participants.c.id)
)
_BY_ID = WITH_REGION.where(participants.c.id == bindparam("participant_id"))
_BY_IDS = WITH_REGION.where(participants.c.id.in_(bindparam("ids", expanding=True)))
# PostgreSQL row locks (SQLite's write transactions are serialised already). An erasure holds
# FOR NO KEY UPDATE until it commits; an enrolment holds FOR SHARE before it locks the offer,
# so it waits for an erasure in progress and then sees the participant erased. Both take the
# participant before any offer: one order, no deadlock. Neither blocks the foreign-key checks
# of new enrolments (FOR KEY SHARE).
_LOCKS = {None: {}, "share": {"read": True}, "update": {"key_share": True}}


def _locked(query, lock: str | None):
    return query if lock is None else query.with_for_update(of=participants, **_LOCKS[lock])


# Built once per lock mode: an enrolment reads its participant on every write, and building
# the statement (and its cache key) cost more than running it.
_BY_ID_LOCKED = {lock: _locked(_BY_ID, lock) for lock in _LOCKS}
_BY_IDS_LOCKED = {lock: _locked(_BY_IDS.order_by(participants.c.id), lock) for lock in _LOCKS}


def participant(conn: Connection, participant_id: str, *, lock: str | None = None):
    return conn.execute(_BY_ID_LOCKED[lock], {"participant_id": participant_id}).mappings().first()


def by_ids(conn: Connection, ids: list[str], *, lock: str | None = None) -> dict:
    return {row["id"]: row for row in conn.execute(_BY_IDS_LOCKED[lock], {"ids": ids}).mappings()}


def participant_page(
    conn: Connection,
    *,
    region: str | None,
    only_id: str | None,
    pcn_code: str | None,
    role: str | None,
    limit: int,
    offset: int,
    email_index: str | None = None,
    erased: bool | None = None,
):
    query = WITH_REGION
    for column, value in (
        (pcns.c.region, region),
        (participants.c.id, only_id),
        (participants.c.pcn_code, pcn_code),
        (participants.c.role, role),
        (participants.c.email_index, email_index),
    ):
        if value is not None:
            query = query.where(column == value)
    if erased is not None:
        query = query.where(participants.c.erased_at.is_not(None) if erased else participants.c.erased_at.is_(None))
    return page(conn, query, participants.c.created_at, participants.c.id, limit=limit, offset=offset)


def insert_participant(conn: Connection, values: dict) -> bool:
    """Insert a participant; False when the e-mail address is already registered (its index is taken)."""
    statement = (
        dialect_insert(conn, participants).values(**values).on_conflict_do_nothing().returning(participants.c.id)
    )
    return conn.execute(statement).first() is not None


def email_registered(conn: Connection, email_index: str) -> bool:
    return conn.execute(select(participants.c.id).where(participants.c.email_index == email_index)).first() is not None


def next_preferences_version(conn: Connection, participant_id: str, version: int) -> None:
    """Their e-mail preferences changed: their version (ETag) rises from `version`."""
    conn.execute(
        update(participants)
        .where(participants.c.id == participant_id, participants.c.preferences_version == version)
        .values(preferences_version=version + 1)
    )


def erase_personal_data(conn: Connection, participant_id: str, *, erased_at) -> bool:
    """Empty the sealed name and e-mail and the blind index (the address may be registered
    again); False when another transaction erased the participant first."""
    statement = (
        update(participants)
        .where(participants.c.id == participant_id, participants.c.erased_at.is_(None))
        .values(sealed_name=None, sealed_email=None, email_index=None, erased_at=erased_at)
    )
    return conn.execute(statement.returning(participants.c.id)).first() is not None
