"""What scheduling publishes: event payloads built from its rows, and the outbox that a
consumer's handler (which is given only a connection) records its events in."""
from __future__ import annotations

from weakref import WeakKeyDictionary

from sqlalchemy import Connection

from shared.contracts.registry import EventType
from shared.outbox import Outbox
from shared.runtime import Runtime

_SESSION_FIELDS = ("offer_id", "region", "kind", "series_id", "starts_at", "ends_at", "sequence", "status", "facilitator_id", "topic")
_outboxes: WeakKeyDictionary = WeakKeyDictionary()


def session_data(session: dict) -> dict:
    return {"session_id": session["id"], **{name: session[name] for name in _SESSION_FIELDS}}


def attendance_data(session: dict, mark: dict) -> dict:
    return {
        "session_id": session["id"],
        "offer_id": session["offer_id"],
        "region": session["region"],
        "participant_id": mark["participant_id"],
        "attendance": mark["value"],
        "session_starts_at": session["starts_at"],
        "session_ends_at": session["ends_at"],
        "recorded_at": mark["recorded_at"],
    }


def coaching_data(session: dict) -> dict:
    fields = ("offer_id", "region", "starts_at", "ends_at")
    return {"session_id": session["id"], "coach_id": session["facilitator_id"], "participant_id": session["coachee_id"], **{f: session[f] for f in fields}}


def bind_outbox(runtime: Runtime) -> None:
    """Let handlers running on this runtime's database record events in its outbox.

    Handlers are `handler(event, conn)`; the outbox (its topic prefix) belongs to the
    runtime, so it is found through the connection's engine.
    """
    _outboxes[runtime.db.engine] = runtime.outbox


def record(conn: Connection, event_type: EventType, data: dict) -> None:
    outbox: Outbox = _outboxes[conn.engine]
    outbox.record(conn, event_type, data)
