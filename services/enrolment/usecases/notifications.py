"""Recording the e-mails participants are owed, in the transaction of what calls for them.

An enrolment change records its notification with its own event (the outbox event's id is the
cause); a consumed scheduling event records one per member of the offer, and notes the event
in `notified_events` first: the inbox dedups a redelivery, and that note (which a projection
replay does not empty) makes a replay record nothing. Each row is unique per (cause, person,
kind), so recording twice is a no-op whatever the path. Sending is the notifier's
(services.enrolment.notifier); what a person may turn off is `preferences`.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from services.enrolment.domain.notifications import OPTIONAL, Kind, kind_of_withdrawal
from services.enrolment.personal import is_erased
from services.enrolment.store import enrolments as enrolment_store
from services.enrolment.store import notifications as store
from services.enrolment.store import participants as participant_store
from services.enrolment.usecases.access import not_found, sees_participant
from shared.clock import as_utc, utcnow
from shared.contracts.enrolment import (
    ENROLMENT_CONFIRMED,
    ENROLMENT_PROMOTED,
    ENROLMENT_WAITLISTED,
    ENROLMENT_WITHDRAWN,
)
from shared.contracts.registry import EventType
from shared.contracts.scheduling import SESSION_CANCELLED, SESSION_RESCHEDULED, SESSION_SCHEDULED
from shared.envelope import Envelope
from shared.errors import Conflict
from shared.unit import Unit
from shared.versions import require_version

ENROLMENT_KINDS = {
    ENROLMENT_CONFIRMED.type: Kind.CONFIRMED,
    ENROLMENT_WAITLISTED.type: Kind.WAITLISTED,
    ENROLMENT_PROMOTED.type: Kind.PROMOTED,
}
SESSION_KINDS = {
    SESSION_SCHEDULED.type: Kind.SESSION_SCHEDULED,
    SESSION_RESCHEDULED.type: Kind.SESSION_RESCHEDULED,
    SESSION_CANCELLED.type: Kind.SESSION_CANCELLED,
}
REMINDER_AHEAD = timedelta(days=1)


def enrolment_changed(unit: Unit, event_type: EventType, envelope: Envelope, data: dict, *, person=None) -> None:
    """The notification an enrolment event (just recorded in `unit`) owes its participant, if any.
    `person`: the participant's row as the caller read it in this transaction (an admission has
    it, locked and checked not erased), so it is not read again."""
    if event_type is ENROLMENT_WITHDRAWN:
        kind = kind_of_withdrawal(data.get("reason"))
    else:
        kind = ENROLMENT_KINDS.get(event_type.type)
    if kind is None:
        return
    facts = {
        "offer_id": data["offer_id"],
        "enrolment_id": data["enrolment_id"],
        "waitlist_position": data["waitlist_position"],
        "alternative_offer_ids": list(data.get("alternative_offer_ids") or []),
    }
    known = {person["id"]: person} if person is not None else None
    _record(unit, [data["participant_id"]], kind, envelope.id, facts, utcnow(), known=known)


def session_changed(unit: Unit, event: Envelope) -> None:
    """Scheduled, moved or cancelled: every confirmed member is told, with an invitation, and
    (unless cancelled) reminded the day before. A session already begun is nobody's news."""
    now = utcnow()
    data = event.data
    if as_utc(data["starts_at"]) <= now or not store.first_notice_of(unit.conn, event.id, now):
        return
    members = [m["participant_id"] for m in enrolment_store.members(unit.conn, data["offer_id"], ("confirmed",))]
    facts = {
        "offer_id": data["offer_id"],
        "session_id": data["session_id"],
        "starts_at": as_utc(data["starts_at"]).isoformat(),
        "ends_at": as_utc(data["ends_at"]).isoformat(),
        "sequence": data["sequence"],
    }
    _record(unit, members, SESSION_KINDS[event.type], event.id, facts, now)
    remind_at = as_utc(data["starts_at"]) - REMINDER_AHEAD
    if event.type != SESSION_CANCELLED.type and remind_at > now:
        # One reminder per version of the session: the notifier drops it if the session moved again.
        _record(unit, members, Kind.REMINDER, f"{data['session_id']}#{data['sequence']}", facts, remind_at)


def attended(unit: Unit, event: Envelope) -> None:
    """A member was present at a session: once it has ended, ask them how it went (once per session)."""
    data = event.data
    now = utcnow()
    if data["attendance"] != "present" or not store.first_notice_of(unit.conn, event.id, now):
        return
    ends_at = as_utc(data["session_ends_at"])
    closes_at = ends_at + timedelta(days=unit.settings.feedback_request_days)
    if closes_at <= now:
        return  # feedback on it is closed (attendance recorded long after): a request could not be answered
    facts = {
        "offer_id": data["offer_id"],
        "session_id": data["session_id"],
        "starts_at": as_utc(data["session_starts_at"]).isoformat(),
        "closes_at": closes_at.isoformat(),
    }
    send_at = max(now, ends_at)
    _record(unit, [data["participant_id"]], Kind.FEEDBACK_REQUEST, data["session_id"], facts, send_at)


def _record(
    unit: Unit,
    participant_ids: list[str],
    kind: Kind,
    cause_id: str,
    facts: dict,
    send_at: datetime,
    *,
    known: dict | None = None,
):
    # Only people enrolment knows and has not erased: an erased person has no address to write to.
    # `known`: their rows, read already in this transaction (id -> row); otherwise read here.
    if known is None:
        known = participant_store.by_ids(unit.conn, participant_ids) if participant_ids else {}
    participant_ids = [pid for pid in participant_ids if pid in known and not is_erased(known[pid])]
    silenced = store.opted_out(unit.conn, participant_ids) if kind in OPTIONAL else set()
    now = utcnow()
    store.record(
        unit.conn,
        [
            {
                "id": str(uuid.uuid4()),
                "participant_id": participant_id,
                "kind": kind.value,
                "cause_id": cause_id,
                "facts": facts,
                "status": store.PENDING,
                "attempts": 0,
                "next_attempt_at": send_at,
                "parked_reason": None,
                "created_at": now,
            }
            for participant_id in participant_ids
            if (participant_id, kind.value) not in silenced
        ],
    )


def preferences(unit: Unit, participant_id: str) -> dict:
    """Which optional e-mails the person gets (with their version, the ETag): the person
    themselves, or their region's administrator."""
    found = _visible(unit, participant_id)
    return _shown(participant_id, store.opted_out(unit.conn, [participant_id]), found["preferences_version"])


def set_preferences(unit: Unit, participant_id: str, body: dict, expected_version: str | None) -> dict:
    """Change them if `expected_version` (If-Match as sent) names their current version: two
    people changing one person's preferences at once do not silently undo each other."""
    found = _visible(unit, participant_id, lock=True)
    if is_erased(found):
        raise Conflict("participant_erased", "This participant's personal data is erased: nothing is sent to them.")
    require_version(expected_version, found["preferences_version"])
    wanted = {Kind.REMINDER.value: body["reminders"], Kind.FEEDBACK_REQUEST.value: body["feedback_requests"]}
    store.set_opt_outs(unit.conn, participant_id, [kind for kind, on in wanted.items() if not on])
    participant_store.next_preferences_version(unit.conn, participant_id, found["preferences_version"])
    return preferences(unit, participant_id)


def _visible(unit: Unit, participant_id: str, *, lock: bool = False):
    # A change locks the row FOR NO KEY UPDATE (PostgreSQL): two changes then take turns, and
    # the second sees the first's version.
    found = participant_store.participant(unit.conn, participant_id, lock="update" if lock else None)
    if found is None or not sees_participant(unit.principal, found):
        raise not_found("participant")
    return found


def _shown(participant_id: str, silenced: set, version: int) -> dict:
    return {
        "participant_id": participant_id,
        "reminders": (participant_id, Kind.REMINDER.value) not in silenced,
        "feedback_requests": (participant_id, Kind.FEEDBACK_REQUEST.value) not in silenced,
        "version": version,
    }
