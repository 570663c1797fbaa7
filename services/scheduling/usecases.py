"""Scheduling's service layer."""
import uuid
from datetime import timedelta, timezone

from sqlalchemy import insert, select

from shared.api import Call
from shared.clock import as_utc
from shared.contracts.scheduling import SESSION_SCHEDULED
from shared.errors import NotFound
from services.scheduling.store import offers, sessions


def schedule_session(call: Call, offer_id: str, body: dict) -> dict:
    offer = call.conn.execute(select(offers).where(offers.c.offer_id == offer_id)).mappings().first()
    if offer is None or not call.principal.in_region(offer["region"]):
        raise NotFound("offer_not_found", "no such offer")
    starts_at = body["starts_at"].astimezone(timezone.utc)
    session = {
        "id": str(uuid.uuid4()),
        "offer_id": offer_id,
        "region": offer["region"],
        "starts_at": starts_at,
        "ends_at": starts_at + timedelta(minutes=body["duration_minutes"]),
        "sequence": 0,
        "status": "scheduled",
    }
    call.conn.execute(insert(sessions).values(**session))
    call.record(SESSION_SCHEDULED, {k: session[k] for k in ("offer_id", "region", "starts_at", "ends_at", "sequence", "status")} | {"session_id": session["id"], "kind": "group"})
    return session


def get_session(call: Call, session_id: str) -> dict:
    row = call.conn.execute(select(sessions).where(sessions.c.id == session_id)).mappings().first()
    if row is None or not call.principal.in_region(row["region"]):
        raise NotFound("session_not_found", "no such session")
    return {**row, "starts_at": as_utc(row["starts_at"]), "ends_at": as_utc(row["ends_at"])}
