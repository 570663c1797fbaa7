"""Feedback's service layer."""
from sqlalchemy import select

from shared.api import Call
from shared.errors import NotFound
from services.feedback.store import sessions


def known_session(call: Call, session_id: str):
    row = call.conn.execute(select(sessions).where(sessions.c.session_id == session_id)).mappings().first()
    if row is None or not call.principal.in_region(row["region"]):
        raise NotFound("session_not_found", "no such session")
    return row
