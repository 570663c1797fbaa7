"""Each person's needs voice secret, under a keyed marker of their id (services/feedback/domain/needs.py):
what makes a cohort member's answers one voice, and what erasure deletes to unlink them."""

from __future__ import annotations

import secrets

from sqlalchemy import Connection, delete, select

from services.feedback.store.tables import needs_voices
from shared.db import dialect_insert


def voice_secret(conn: Connection, holder: str) -> str:
    """The holder's secret, made on first use; of two concurrent first uses the primary key
    keeps one, and both read it."""
    conn.execute(
        dialect_insert(conn, needs_voices).values(holder=holder, secret=secrets.token_hex(32)).on_conflict_do_nothing()
    )
    return conn.execute(select(needs_voices.c.secret).where(needs_voices.c.holder == holder)).scalar_one()


def forget(conn: Connection, holder: str) -> None:
    conn.execute(delete(needs_voices).where(needs_voices.c.holder == holder))
