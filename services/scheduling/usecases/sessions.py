"""Sessions: schedule one or a series, read them, reschedule or cancel one or the rest of its
series, or (an offer cancelled, a coachee erased) every one still to come. The helpers at the
end (open offer, leader, free time, a new session's row) are shared with coaching bookings."""

from __future__ import annotations

import uuid
from datetime import timedelta

from services.scheduling.domain.clashes import ensure_no_clash
from services.scheduling.domain.coaching import ensure_monthly_capacity
from services.scheduling.domain.recurrence import Cadence, Slot, Weekly, expand_series, parse_cadence
from services.scheduling.domain.sessions import (
    Session,
    cancel_following,
    cancel_session,
    ensure_schedulable,
    offer_has_ended,
    reschedule_following,
    reschedule_session,
)
from services.scheduling.domain.sessions import cancel_upcoming as cancel_not_begun
from services.scheduling.store import facilitators, rosters
from services.scheduling.store import sessions as store
from services.scheduling.usecases import access, events
from shared.clock import utcnow
from shared.contracts.scheduling import SESSION_CANCELLED, SESSION_RESCHEDULED, SESSION_SCHEDULED
from shared.contracts.vocabulary import OfferType
from shared.errors import Conflict, RuleViolation
from shared.paging import Page
from shared.unit import Unit
from shared.versions import require_version

# Capacity is counted per London month; a window a month wide either side covers every month touched.
MONTH = timedelta(days=31)


def schedule(unit: Unit, offer_id: str, body: dict) -> dict:
    """A session or a series still to come; or, `already_held`, one that happened, recorded after
    the fact (domain.sessions.ensure_schedulable), whose attendance may be recorded at once."""
    offer = access.offer(unit, offer_id)
    ensure_open(offer, "group")
    store.lock_calendar(unit.conn)
    count, cadence = _repeat(body.get("repeat"))
    already_held = body.get("already_held", False)
    slots = expand_series(body["starts_at"], count, cadence, body["duration_minutes"])
    ensure_schedulable(slots, utcnow(), already_held=already_held)
    leader = find_leader(unit, body.get("facilitator_id"), offer, "facilitator")
    ensure_free(unit, slots, _members(unit, offer_id, slots, already_held), leader)
    series_id = str(uuid.uuid4()) if body.get("repeat") else None
    rows = [new_session(offer, slot, body, series_id=series_id) for slot in slots]
    store.add_sessions(unit.conn, rows)
    for row in rows:
        unit.record(SESSION_SCHEDULED, events.session_data(row))
    return {**rows[0], "sessions": rows}


def list_sessions(unit: Unit, offer_id: str, query: dict) -> Page:
    """The offer's sessions the caller takes part in (an administrator: all of them)."""
    access.offer(unit, offer_id)
    rows, total = store.offer_sessions(
        unit.conn,
        offer_id,
        kind=query.get("kind"),
        seen=access.sessions_seen(unit),
        limit=query["limit"],
        offset=query["offset"],
    )
    return Page.of(rows, total, query)


def led_sessions(unit: Unit, query: dict) -> Page:
    """Sessions of every offer that the caller leads (an administrator: every one of their region),
    starting within the query's window; `attendance: unrecorded` keeps those begun, not cancelled,
    with no mark recorded yet."""
    principal = unit.principal
    leader, region = (principal.subject, None) if principal.role in access.LEADERS else (None, principal.region)
    rows, total = store.led_sessions(
        unit.conn,
        leader_id=leader,
        region=region,
        starts_from=query.get("starts_from"),
        starts_before=query.get("starts_before"),
        unrecorded_at=utcnow() if query.get("attendance") == "unrecorded" else None,
        limit=query["limit"],
        offset=query["offset"],
    )
    return Page.of(rows, total, query)


def get_session(unit: Unit, session_id: str) -> dict:
    return access.session(unit, session_id)


def reschedule(unit: Unit, session_id: str, body: dict, version: str | None) -> dict:
    """Move the session (or it and the rest of its series); `version` is the sequence the
    caller read (If-Match), refused when missing or stale. Answers the session as moved."""
    store.lock_calendar(unit.conn)
    row = access.session(unit, session_id)
    require_version(version, row["sequence"])
    series = _scope(unit, row, body["scope"])
    moved = _move(row, series, body)
    leader = facilitators.find_facilitator(unit.conn, row["facilitator_id"]) if row["facilitator_id"] else None
    ensure_free(
        unit, [Slot(m.starts_at, m.ends_at) for m in moved], _attendees(unit, row), leader, ignore=[m.id for m in moved]
    )
    return _save(unit, series, moved, SESSION_RESCHEDULED)[0]


def cancel(unit: Unit, session_id: str, body: dict) -> dict:
    store.lock_calendar(unit.conn)
    row = access.session(unit, session_id)
    now, series = utcnow(), _scope(unit, row, body["scope"])
    if body["scope"] == "this":
        cancelled = [cancel_session(store.as_session(row), now=now)]
    else:
        cancelled = cancel_following(map(store.as_session, series), row["id"], now=now)
    return _save(unit, series, cancelled, SESSION_CANCELLED)[0]


def end_offer(unit: Unit, offer_id: str, status: str) -> list[dict]:
    """An offer completed or cancelled (by enrolment): its sessions that have not begun are
    cancelled, each with its SEQUENCE raised and its session.cancelled event."""
    if not offer_has_ended(status):
        return []
    return cancel_upcoming(unit, offer_id)


def cancel_upcoming(unit: Unit, offer_id: str) -> list[dict]:
    """An offer ended: its sessions that have not begun are cancelled, each with its event."""
    upcoming = store.upcoming_sessions(unit.conn, offer_id, utcnow())
    return _save(unit, upcoming, cancel_not_begun(map(store.as_session, upcoming), now=utcnow()), SESSION_CANCELLED)


def cancel_upcoming_coaching(unit: Unit, coachee_id: str) -> list[dict]:
    """A coachee erased: their 1:1 coaching still to come is cancelled as a coach would cancel
    it, so the coach's time is free and calendars show it."""
    return _cancel_all(unit, store.upcoming_coaching(unit.conn, coachee_id, utcnow()))


def _cancel_all(unit: Unit, upcoming: list[dict]) -> list[dict]:
    return _save(unit, upcoming, [cancel_session(store.as_session(row)) for row in upcoming], SESSION_CANCELLED)


def _repeat(repeat: dict | None) -> tuple[int, Cadence]:
    if repeat is None:
        return 1, Weekly()
    options = {name: repeat.get(name) for name in ("interval", "weekday", "ordinal")}
    return repeat["count"], parse_cadence(repeat["cadence"], **options)


def _members(unit: Unit, offer_id: str, slots: list[Slot], already_held: bool) -> list[str]:
    """Who is expected at the new sessions: today's members for sessions to come; for sessions
    that happened, those who were members when each began (as attendance counts them)."""
    if not already_held:
        return rosters.current_member_ids(unit.conn, offer_id)
    return sorted(set().union(*(rosters.expected_member_ids(unit.conn, offer_id, s.starts_at) for s in slots)))


def _move(row: dict, series: list[dict], body: dict) -> list[Session]:
    options = {"now": utcnow(), "duration_minutes": body.get("duration_minutes")}
    if body["scope"] == "this":
        return [reschedule_session(store.as_session(row), body["starts_at"], **options)]
    return reschedule_following(map(store.as_session, series), row["id"], body["starts_at"], **options)


def _scope(unit: Unit, row: dict, scope: str) -> list[dict]:
    """The sessions a change may touch: the one, or every session of its series."""
    return store.series_sessions(unit.conn, row["series_id"]) if scope == "following" and row["series_id"] else [row]


def _attendees(unit: Unit, row: dict) -> list[str]:
    return [row["coachee_id"]] if row["kind"] == "coaching" else rosters.current_member_ids(unit.conn, row["offer_id"])


def _save(unit: Unit, before: list[dict], changed: list[Session], event_type) -> list[dict]:
    """Write the changed sessions, one event each; answer them as saved."""
    rows = {row["id"]: row for row in before}
    saved = []
    for session in changed:
        saved.append({**rows[session.id], **store.write_session(unit.conn, session)})
        unit.record(event_type, events.session_data(saved[-1]))
    return saved


# --- shared with coaching bookings --------------------------------------------------------------


def ensure_open(offer: dict, kind: str) -> None:
    if offer_has_ended(offer["status"]):
        raise Conflict("offer_closed", f"The offer is {offer['status']}: it takes no more sessions.")
    if (offer["offer_type"] == OfferType.COACHING) != (kind == "coaching"):
        raise RuleViolation(
            "wrong_session_kind",
            "A coaching offer is booked 1:1 through its coaching bookings; other offers schedule group sessions.",
        )


def find_leader(
    unit: Unit, person_id: str | None, offer: dict, kind: str, field: str = "facilitator_id"
) -> dict | None:
    """The facilitator (or coach) of the offer's region with this id; None when none is named."""
    if person_id is None:
        return None
    leader = facilitators.find_facilitator(unit.conn, person_id)
    if leader is None or leader["kind"] != kind or leader["region"] != offer["region"]:
        raise RuleViolation(f"unknown_{kind}", f"There is no {kind} with this id in the offer's region.", field=field)
    return leader


def ensure_free(unit: Unit, slots: list[Slot], attendees: list[str], leader: dict | None, ignore=()) -> None:
    """No clash for anyone in the slots, and the leader stays within their monthly capacity."""
    people = [*attendees, *([leader["id"]] if leader else [])]
    first, last = min(s.starts_at for s in slots), max(s.ends_at for s in slots)
    ensure_no_clash(slots, people, store.bookings_of(unit.conn, people, first, last), ignore_session_ids=ignore)
    if leader:
        led = store.led_bookings(unit.conn, leader["id"], first - MONTH, last + MONTH)
        starts = [s.starts_at for s in slots]
        ensure_monthly_capacity(
            leader["monthly_capacity"],
            led,
            person_id=leader["id"],
            starts_at=starts,
            ignore_session_ids=ignore,
            rule=f"{leader['kind']}_capacity",
        )


def new_session(offer: dict, slot: Slot, body: dict, *, series_id=None, kind="group", coachee_id=None) -> dict:
    details = {name: body.get(name) for name in ("facilitator_id", "venue", "video_link", "topic")}
    return {
        "id": str(uuid.uuid4()),
        "offer_id": offer["offer_id"],
        "region": offer["region"],
        "kind": kind,
        "series_id": series_id,
        "starts_at": slot.starts_at,
        "ends_at": slot.ends_at,
        "sequence": 0,
        "status": "scheduled",
        "coachee_id": coachee_id,
        "created_at": utcnow(),
        **details,
    }
