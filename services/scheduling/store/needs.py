"""The projection of feedback's needs surveys: each cohort's development needs, for co-design,
one row per member: a `response_id` is the member's stable pseudonym for the offer, so the
latest answer (the latest event on the topic) replaces the earlier."""

from __future__ import annotations

from sqlalchemy import Connection, select

from services.scheduling.store.tables import needs
from shared.db import upsert


def save_needs(conn: Connection, values: dict) -> None:
    """Insert the answer, or replace the member's earlier one (same `response_id`)."""
    upsert(conn, needs, values, ("response_id",))


def needs_of(conn: Connection, offer_id: str) -> list[dict]:
    return list(conn.execute(select(needs.c.ratings).where(needs.c.offer_id == offer_id)).scalars())
