"""Scheduling's service layer for what happens at sessions: attendance, the continuity of
each learning community, co-designed topics, and calendar feeds."""
from __future__ import annotations

from shared.api import Call
from shared.clock import utcnow
from shared.contracts.scheduling import ATTENDANCE_RECORDED, SESSION_UPDATED
from shared.errors import RuleViolation
from services.scheduling import access, calendars, domain, events, store, usecases
from services.scheduling import store_sessions as calendar


def record_attendance(call: Call, session_id: str, body: dict) -> dict:
    session = access.led_session(call, session_id)
    now = utcnow()
    domain.ensure_attendance_open(usecases.as_domain(session), now)
    marks = [{**mark, "session_id": session_id, "offer_id": session["offer_id"], "recorded_at": now} for mark in body["records"]]
    _ensure_expected(call, session, marks)
    for mark in marks:
        calendar.save_attendance(call.conn, mark)
        call.record(ATTENDANCE_RECORDED, events.attendance_data(session, mark))
    return _sheet(call, session_id)


def attendance_sheet(call: Call, session_id: str) -> dict:
    access.led_session(call, session_id)
    return _sheet(call, session_id)


def _sheet(call: Call, session_id: str) -> dict:
    return {"session_id": session_id, "records": calendar.session_attendance(call.conn, session_id)}


def _ensure_expected(call: Call, session: dict, marks: list[dict]) -> None:
    """Attendance is marked once per request for each member expected at the session."""
    if session["kind"] == "coaching":
        expected = {session["coachee_id"]}
    else:
        expected = store.expected_member_ids(call.conn, session["offer_id"], session["starts_at"])
    seen = set()
    for index, mark in enumerate(marks):
        field = f"records.{index}.participant_id"
        if mark["participant_id"] not in expected:
            raise RuleViolation("not_expected", "This participant was not a member of the group when the session took place.", field=field)
        if mark["participant_id"] in seen:
            raise RuleViolation("duplicate_participant", "Each participant is marked once per request.", field=field)
        seen.add(mark["participant_id"])


def continuity(call: Call, offer_id: str) -> domain.ContinuityReport:
    access.offer(call, offer_id)
    sessions, _ = calendar.offer_sessions(call.conn, offer_id)
    periods = [domain.Membership(p["participant_id"], p["joined_at"], p["left_at"]) for p in store.membership_periods(call.conn, offer_id)]
    marks = [domain.AttendanceRecord(a["session_id"], a["participant_id"], domain.Attendance(a["value"])) for a in calendar.offer_attendance(call.conn, offer_id)]
    return domain.compute_continuity(map(usecases.as_domain, sessions), periods, marks, now=utcnow())


def co_design(call: Call, offer_id: str, body: dict) -> dict:
    """Give upcoming sessions topics from the cohort's development needs, most needed first."""
    offer = access.offer(call, offer_id)
    if offer["offer_type"] != "regional_programme":
        raise RuleViolation("not_co_designed", "Only a regional programme's topics are co-designed from its cohort's needs.")
    calendar.lock_calendar(call.conn)
    upcoming = calendar.upcoming_sessions(call.conn, offer_id, utcnow())
    targets = upcoming if body["replace_existing"] else [s for s in upcoming if not s["topic"]]
    ranking = domain.rank_needs(store.needs_of(call.conn, offer_id))
    topics = domain.assign_topics([(n.need, n.score) for n in ranking], len(targets))
    changed = []
    for session, need in zip(targets, topics):
        values = {"topic": domain.topic_label(need), "sequence": session["sequence"] + 1}
        calendar.change_session(call.conn, session["id"], **values)
        changed.append({**session, **values})
        call.record(SESSION_UPDATED, events.session_data(changed[-1]))
    return {"ranking": ranking, "sessions": changed}


def participant_calendar(call: Call, participant_id: str) -> bytes:
    region = access.participant_scope(call, participant_id)
    return calendars.feed(calendar.participant_calendar(call.conn, participant_id, region), now=utcnow())


def offer_calendar(call: Call, offer_id: str) -> bytes:
    offer = access.offer(call, offer_id)
    return calendars.feed(calendar.offer_calendar(call.conn, offer_id), now=utcnow(), name=offer["title"])
