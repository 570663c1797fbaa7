"""Sessions: schedule one or a series, read them, reschedule or cancel one or the rest of its
series. The helpers at the end (open offer, leader, free time, a new session's row) are
shared with coaching bookings."""
from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import Connection

from shared.api import Call, Page, Reply, etag, require_if_match
from shared.clock import utcnow
from shared.contracts.scheduling import SESSION_CANCELLED, SESSION_RESCHEDULED, SESSION_SCHEDULED
from shared.errors import Conflict, RuleViolation
from services.scheduling import domain, events
from services.scheduling.store import facilitators, rosters
from services.scheduling.store import sessions as store
from services.scheduling.usecases import access

CLOSED_OFFER = ("completed", "cancelled")
# Capacity is counted per London month; a window a month wide either side covers every month touched.
MONTH = timedelta(days=31)


def schedule(call: Call, offer_id: str, body: dict) -> dict:
    offer = access.offer(call, offer_id)
    ensure_open(offer, "group")
    store.lock_calendar(call.conn)
    count, cadence = _repeat(body.get("repeat"))
    slots = domain.expand_series(body["starts_at"], count, cadence, body["duration_minutes"], now=utcnow())
    leader = find_leader(call.conn, body.get("facilitator_id"), offer, "facilitator")
    ensure_free(call.conn, slots, rosters.current_member_ids(call.conn, offer_id), leader)
    series_id = str(uuid.uuid4()) if body.get("repeat") else None
    rows = [new_session(offer, slot, body, series_id=series_id) for slot in slots]
    store.add_sessions(call.conn, rows)
    for row in rows:
        call.record(SESSION_SCHEDULED, events.session_data(row))
    return {**rows[0], "sessions": rows}


def list_sessions(call: Call, offer_id: str) -> Page:
    """The offer's sessions the caller takes part in (an administrator: all of them)."""
    access.offer(call, offer_id)
    limit, offset = call.query["limit"], call.query["offset"]
    rows, total = store.offer_sessions(call.conn, offer_id, kind=call.query.get("kind"), seen=access.sessions_seen(call), limit=limit, offset=offset)
    return Page(rows, total, limit, offset)


def get_session(call: Call, session_id: str) -> Reply:
    row = access.session(call, session_id)
    return Reply(row, headers={"ETag": etag(row["sequence"])})


def reschedule(call: Call, session_id: str, body: dict) -> Reply:
    store.lock_calendar(call.conn)
    row = access.session(call, session_id)
    require_if_match(row["sequence"])
    series = _scope(call.conn, row, body["scope"])
    moved = _move(row, series, body)
    leader = facilitators.find_facilitator(call.conn, row["facilitator_id"]) if row["facilitator_id"] else None
    ensure_free(call.conn, [domain.Slot(m.starts_at, m.ends_at) for m in moved], _attendees(call.conn, row), leader, ignore=[m.id for m in moved])
    return _save(call, series, moved, SESSION_RESCHEDULED)


def cancel(call: Call, session_id: str, body: dict) -> Reply:
    store.lock_calendar(call.conn)
    row = access.session(call, session_id)
    now, series = utcnow(), _scope(call.conn, row, body["scope"])
    if body["scope"] == "this":
        cancelled = [domain.cancel_session(as_domain(row), now=now)]
    else:
        cancelled = domain.cancel_following(map(as_domain, series), row["id"], now=now)
    return _save(call, series, cancelled, SESSION_CANCELLED)


def as_domain(row: dict) -> domain.Session:
    return domain.Session(row["id"], row["starts_at"], row["ends_at"], row["series_id"], row["sequence"], domain.SessionStatus(row["status"]))


def _repeat(repeat: dict | None) -> tuple[int, domain.Cadence]:
    if repeat is None:
        return 1, domain.Weekly()
    options = {name: repeat.get(name) for name in ("interval", "weekday", "ordinal")}
    return repeat["count"], domain.parse_cadence(repeat["cadence"], **options)


def _move(row: dict, series: list[dict], body: dict) -> list[domain.Session]:
    options = {"now": utcnow(), "duration_minutes": body.get("duration_minutes")}
    if body["scope"] == "this":
        return [domain.reschedule_session(as_domain(row), body["starts_at"], **options)]
    return domain.reschedule_following(map(as_domain, series), row["id"], body["starts_at"], **options)


def _scope(conn: Connection, row: dict, scope: str) -> list[dict]:
    """The sessions a change may touch: the one, or every session of its series."""
    return store.series_sessions(conn, row["series_id"]) if scope == "following" and row["series_id"] else [row]


def _attendees(conn: Connection, row: dict) -> list[str]:
    return [row["coachee_id"]] if row["kind"] == "coaching" else rosters.current_member_ids(conn, row["offer_id"])


def _save(call: Call, before: list[dict], changed: list[domain.Session], event_type) -> Reply:
    """Write the changed sessions, one event each; answer the first with its new ETag."""
    rows = {row["id"]: row for row in before}
    saved = []
    for session in changed:
        values = {"starts_at": session.starts_at, "ends_at": session.ends_at, "sequence": session.sequence, "status": session.status.value}
        store.change_session(call.conn, session.id, **values)
        saved.append({**rows[session.id], **values})
        call.record(event_type, events.session_data(saved[-1]))
    return Reply(saved[0], headers={"ETag": etag(saved[0]["sequence"])})


# --- shared with coaching bookings --------------------------------------------------------------


def ensure_open(offer: dict, kind: str) -> None:
    if offer["status"] in CLOSED_OFFER:
        raise Conflict("offer_closed", f"The offer is {offer['status']}: it takes no more sessions.")
    if (offer["offer_type"] == "coaching") != (kind == "coaching"):
        raise RuleViolation("wrong_session_kind", "A coaching offer is booked 1:1 through its coaching bookings; other offers schedule group sessions.")


def find_leader(conn: Connection, person_id: str | None, offer: dict, kind: str, field: str = "facilitator_id") -> dict | None:
    """The facilitator (or coach) of the offer's region with this id; None when none is named."""
    if person_id is None:
        return None
    leader = facilitators.find_facilitator(conn, person_id)
    if leader is None or leader["kind"] != kind or leader["region"] != offer["region"]:
        raise RuleViolation(f"unknown_{kind}", f"There is no {kind} with this id in the offer's region.", field=field)
    return leader


def ensure_free(conn: Connection, slots: list[domain.Slot], attendees: list[str], leader: dict | None, ignore=()) -> None:
    """No clash for anyone in the slots, and the leader stays within their monthly capacity."""
    people = [*attendees, *([leader["id"]] if leader else [])]
    first, last = min(s.starts_at for s in slots), max(s.ends_at for s in slots)
    domain.ensure_no_clash(slots, people, store.bookings_of(conn, people, first, last), ignore_session_ids=ignore)
    if leader:
        led = store.led_bookings(conn, leader["id"], first - MONTH, last + MONTH)
        starts = [s.starts_at for s in slots]
        domain.ensure_monthly_capacity(leader["monthly_capacity"], led, person_id=leader["id"], starts_at=starts, ignore_session_ids=ignore, rule=f"{leader['kind']}_capacity")


def new_session(offer: dict, slot: domain.Slot, body: dict, *, series_id=None, kind="group", coachee_id=None) -> dict:
    details = {name: body.get(name) for name in ("facilitator_id", "venue", "video_link", "topic")}
    return {
        "id": str(uuid.uuid4()), "offer_id": offer["offer_id"], "region": offer["region"], "kind": kind, "series_id": series_id,
        "starts_at": slot.starts_at, "ends_at": slot.ends_at, "sequence": 0, "status": "scheduled", "coachee_id": coachee_id,
        "created_at": utcnow(), **details,
    }
