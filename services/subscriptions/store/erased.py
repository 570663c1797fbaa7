"""Participants erased, kept as keyed hashes (HMAC-SHA256 under a service key of the data-key
table) of their opaque ids: enough to know an id when an event names it again, and nothing to
read an id back from, nor to test a guess against, without the key-encryption key."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import Connection, bindparam, select

from services.subscriptions.store.tables import erased_participants
from shared import data_keys
from shared.db import dialect_insert
from shared.sealing import blind_index

INDEX_KEY = "subscriptions.erased-participants"  # a reserved name of the data-key table, never a record id


def _hash(conn: Connection, values: Iterable[str]) -> set[str]:
    key = data_keys.service_key(conn, INDEX_KEY)
    return {blind_index(key, value) for value in values}


def remember(conn: Connection, participant_id: str, at: datetime) -> None:
    (participant_hash,) = _hash(conn, [participant_id])
    statement = dialect_insert(conn, erased_participants).values(participant_hash=participant_hash, erased_at=at)
    conn.execute(statement.on_conflict_do_nothing(index_elements=["participant_hash"]))


def any_erased(conn: Connection, values: Iterable[str]) -> bool:
    """Does any of `values` name a participant erased before?"""
    hashes = _hash(conn, set(values))
    if not hashes:
        return False
    query = select(erased_participants.c.participant_hash).where(
        erased_participants.c.participant_hash.in_(bindparam("hashes", expanding=True))
    )
    return conn.execute(query.limit(1), {"hashes": sorted(hashes)}).first() is not None
