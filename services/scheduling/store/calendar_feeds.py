"""Calendar subscription addresses: the SHA-256 of each secret, by participant (one each)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, delete, insert, select

from services.scheduling.store.tables import calendar_feeds


def replace_feed(conn: Connection, participant_id: str, secret_hash: str, created_at: datetime) -> None:
    """The participant's one address: a new one revokes the one before."""
    conn.execute(delete(calendar_feeds).where(calendar_feeds.c.participant_id == participant_id))
    conn.execute(
        insert(calendar_feeds),
        {"secret_hash": secret_hash, "participant_id": participant_id, "created_at": created_at},
    )


def revoke_feed(conn: Connection, participant_id: str) -> bool:
    """Delete the participant's address; False when they had none."""
    return conn.execute(delete(calendar_feeds).where(calendar_feeds.c.participant_id == participant_id)).rowcount > 0


def feed_owner(conn: Connection, secret_hash: str) -> str | None:
    """Whose address has this hash (looked up by it, so the secret is never compared as text)."""
    return conn.execute(
        select(calendar_feeds.c.participant_id).where(calendar_feeds.c.secret_hash == secret_hash)
    ).scalar_one_or_none()
