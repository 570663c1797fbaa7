"""The projection of feedback's needs surveys: each cohort's development needs, for co-design."""
from __future__ import annotations

from sqlalchemy import Connection, select

from shared.db import upsert
from services.scheduling.store.tables import needs


def save_needs(conn: Connection, values: dict) -> None:
    upsert(conn, needs, values, ("response_id",))


def needs_of(conn: Connection, offer_id: str) -> list[dict]:
    return list(conn.execute(select(needs.c.ratings).where(needs.c.offer_id == offer_id)).scalars())
