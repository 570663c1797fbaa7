"""Attendance: members' marks at each session (the latest mark wins), and the continuity of
each learning community drawn from them."""

from __future__ import annotations

from services.scheduling.domain.continuity import ContinuityReport, compute_continuity
from services.scheduling.domain.sessions import ensure_attendance_open
from services.scheduling.store import attendance as store
from services.scheduling.store import rosters
from services.scheduling.store import sessions as session_store
from services.scheduling.usecases import access, events
from shared.clock import utcnow
from shared.contracts.scheduling import ATTENDANCE_RECORDED
from shared.errors import RuleViolation
from shared.unit import Unit


def record_attendance(unit: Unit, session_id: str, body: dict) -> dict:
    session = access.led_session(unit, session_id)
    now = utcnow()
    ensure_attendance_open(session_store.as_session(session), now)
    marks = [
        {**mark, "session_id": session_id, "offer_id": session["offer_id"], "recorded_at": now}
        for mark in body["records"]
    ]
    _ensure_expected(unit, session, marks)
    for mark in marks:
        store.save_attendance(unit.conn, mark)
        unit.record(ATTENDANCE_RECORDED, events.attendance_data(session, mark))
    return _sheet(unit, session_id)


def attendance_sheet(unit: Unit, session_id: str) -> dict:
    access.led_session(unit, session_id)
    return _sheet(unit, session_id)


def _sheet(unit: Unit, session_id: str) -> dict:
    return {"session_id": session_id, "records": store.session_attendance(unit.conn, session_id)}


def _ensure_expected(unit: Unit, session: dict, marks: list[dict]) -> None:
    """Attendance is marked once per request for each member expected at the session."""
    if session["kind"] == "coaching":
        expected = {session["coachee_id"]}
    else:
        expected = rosters.expected_member_ids(unit.conn, session["offer_id"], session["starts_at"])
    seen = set()
    for index, mark in enumerate(marks):
        field = f"records.{index}.participant_id"
        if mark["participant_id"] not in expected:
            raise RuleViolation(
                "not_expected",
                "This participant was not a member of the group when the session took place.",
                field=field,
            )
        if mark["participant_id"] in seen:
            raise RuleViolation("duplicate_participant", "Each participant is marked once per request.", field=field)
        seen.add(mark["participant_id"])


def continuity(unit: Unit, offer_id: str) -> ContinuityReport:
    """Over the sessions and members the caller sees: a coach's figures are of their own coachees."""
    access.offer(unit, offer_id)
    sessions, _ = session_store.offer_sessions(unit.conn, offer_id, seen=access.sessions_seen(unit))
    members, held = access.members_seen(unit, offer_id), {s["id"] for s in sessions}
    periods = [p for p in rosters.membership_periods(unit.conn, offer_id) if members is None or p.member_id in members]
    marks = [mark for mark in store.offer_attendance(unit.conn, offer_id) if mark.session_id in held]
    return compute_continuity(map(session_store.as_session, sessions), periods, marks, now=utcnow())
