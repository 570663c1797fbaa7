"""What calendar feeds list: an offer's sessions, or a participant's, with the offer's title."""
from __future__ import annotations

from sqlalchemy import Connection, and_, literal, or_, select

from services.scheduling.store import utc_row
from services.scheduling.store.rosters import expected_at
from services.scheduling.store.tables import memberships, offers, sessions


def _with_title():
    return select(sessions, offers.c.title).join(offers, offers.c.offer_id == sessions.c.offer_id)


def offer_calendar(conn: Connection, offer_id: str) -> list[dict]:
    query = _with_title().where(sessions.c.offer_id == offer_id).order_by(sessions.c.starts_at)
    return [utc_row(row) for row in conn.execute(query).mappings()]


def participant_calendar(conn: Connection, participant_id: str, region: str | None) -> list[dict]:
    """Group sessions the participant is expected at, and their own coaching sessions."""
    member = (
        select(literal(1))
        .where(memberships.c.offer_id == sessions.c.offer_id, memberships.c.participant_id == participant_id, expected_at(sessions.c.starts_at))
        .exists()
    )
    query = _with_title().where(or_(and_(sessions.c.kind == "group", member), sessions.c.coachee_id == participant_id))
    if region:
        query = query.where(sessions.c.region == region)
    return [utc_row(row) for row in conn.execute(query.order_by(sessions.c.starts_at)).mappings()]
