"""What calendar feeds list: an offer's sessions, or a participant's, with the offer's title."""

from __future__ import annotations

from sqlalchemy import Connection, select

from services.scheduling.store import utc_row
from services.scheduling.store.sessions import seen_by_member
from services.scheduling.store.tables import offers, sessions


def _with_title():
    return select(sessions, offers.c.title).join(offers, offers.c.offer_id == sessions.c.offer_id)


def offer_calendar(conn: Connection, offer_id: str, seen=None) -> list[dict]:
    """An offer's sessions; `seen` (store.sessions.seen_by_*) keeps those one person may see."""
    query = _with_title().where(sessions.c.offer_id == offer_id)
    if seen is not None:
        query = query.where(seen)
    return [utc_row(row) for row in conn.execute(query.order_by(sessions.c.starts_at)).mappings()]


def participant_calendar(conn: Connection, participant_id: str, region: str | None) -> list[dict]:
    """Group sessions the participant is expected at, and their own coaching sessions."""
    query = _with_title().where(seen_by_member(participant_id))
    if region:
        query = query.where(sessions.c.region == region)
    return [utc_row(row) for row in conn.execute(query.order_by(sessions.c.starts_at)).mappings()]
