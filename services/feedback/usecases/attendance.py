"""Attendance, as scheduling records it: who was present at a session is counted beside its
figures (response rates), in the rows the domain files the session's answers under."""

from __future__ import annotations

from services.feedback.domain.aggregates import attendance_counted, offer_type_learned
from services.feedback.store import aggregates, projections
from shared.unit import Unit


def record_attendance(unit: Unit, data: dict) -> None:
    """An `attendance.recorded`: the latest record of a person at a session wins; a change
    between present and absent counts them in or out."""
    conn = unit.conn
    if projections.session_row(conn, data["session_id"]) is None:  # its session event went astray: learn it here
        session = {
            "session_id": data["session_id"],
            "offer_id": data["offer_id"],
            "region": data["region"],
            "sequence": 0,
            "status": "scheduled",
        }
        projections.save_session(
            conn, session | {"starts_at": data["session_starts_at"], "ends_at": data["session_ends_at"]}
        )
    change = projections.save_attendance(
        conn, data["session_id"], data["participant_id"], data["attendance"] == "present", data["recorded_at"]
    )
    if change is not None and change[0] != change[1]:
        aggregates.add(conn, attendance_counted(projections.session(conn, data["session_id"]), 1 if change[1] else -1))


def learn_offer(unit: Unit, offer: dict) -> None:
    """An offer's event: stored, and when it is new, the attendance that came before it is
    filed under its offer type."""
    conn = unit.conn
    if projections.save_offer(conn, offer):
        for session, present in projections.present_by_session(conn, offer["offer_id"]):
            aggregates.add(conn, offer_type_learned(session, present))
