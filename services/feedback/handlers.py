"""Events feedback consumes: scheduling's sessions and attendance; enrolment's offers,
memberships, participants' registrations (their PCN) and erasures. Each handler runs in the consumer's transaction with its inbox row."""
from sqlalchemy import Connection

from shared.consumer import Subscription
from shared.contracts import enrolment, scheduling
from shared.envelope import Envelope
from services.feedback.domain import aggregate_keys
from services.feedback.store import aggregates, participants, projections
from services.feedback.usecases.answers import session_info
from services.feedback.usecases.erasure import participant_erased

_SESSION_FIELDS = ("session_id", "offer_id", "region", "starts_at", "ends_at", "sequence", "status")


def session_changed(event: Envelope, conn: Connection) -> None:
    projections.save_session(conn, {name: event.data[name] for name in _SESSION_FIELDS})


def attendance_recorded(event: Envelope, conn: Connection) -> None:
    data = event.data
    if projections.session_row(conn, data["session_id"]) is None:  # its session event went astray: learn it here
        session = {"session_id": data["session_id"], "offer_id": data["offer_id"], "region": data["region"], "sequence": 0, "status": "scheduled"}
        projections.save_session(conn, session | {"starts_at": data["session_starts_at"], "ends_at": data["session_ends_at"]})
    change = projections.save_attendance(conn, data["session_id"], data["participant_id"], data["attendance"] == "present", data["recorded_at"])
    if change is not None and change[0] != change[1]:
        aggregates.add_attendees(conn, attendance_keys(projections.session_row(conn, data["session_id"])), 1 if change[1] else -1)


def attendance_keys(session_row) -> list:
    """The aggregate rows an attendee counts in; offer-type rows wait until the offer is known
    (`offer_changed` files them then)."""
    known = session_row["offer_type"] is not None
    keys = aggregate_keys(session_info({**session_row, "offer_type": session_row["offer_type"] or "unknown"}))
    return keys if known else [k for k in keys if k.scope != "offer_type"]


def offer_changed(event: Envelope, conn: Connection) -> None:
    data = event.data
    if projections.save_offer(conn, {name: data[name] for name in ("offer_id", "region", "offer_type", "status")}):
        for row in projections.present_by_session(conn, data["offer_id"]):  # attendance that came first
            keys = [k for k in aggregate_keys(session_info({**row, "offer_type": data["offer_type"]})) if k.scope == "offer_type"]
            aggregates.add_attendees(conn, keys, row["present"])


def membership_changed(event: Envelope, conn: Connection) -> None:
    data = event.data
    projections.save_member(conn, data["offer_id"], data["participant_id"], data["status"])


def participant_registered(event: Envelope, conn: Connection) -> None:
    data = event.data
    if data["pcn_code"] is not None:  # the contract allows none; without one there is nothing to learn
        participants.save_participant(conn, data["participant_id"], data["region"], data["pcn_code"])


SUBSCRIPTIONS = [
    Subscription(
        "scheduling",
        {
            scheduling.SESSION_SCHEDULED.type: session_changed,
            scheduling.SESSION_RESCHEDULED.type: session_changed,
            scheduling.SESSION_CANCELLED.type: session_changed,
            scheduling.SESSION_UPDATED.type: session_changed,
            scheduling.ATTENDANCE_RECORDED.type: attendance_recorded,
        },
    ),
    Subscription(
        "enrolment",
        {
            **{e.type: offer_changed for e in (enrolment.OFFER_PUBLISHED, enrolment.OFFER_UPDATED, enrolment.OFFER_STARTED, enrolment.OFFER_COMPLETED, enrolment.OFFER_CANCELLED)},
            **{e.type: membership_changed for e in (enrolment.ENROLMENT_CONFIRMED, enrolment.ENROLMENT_PROMOTED, enrolment.ENROLMENT_WAITLISTED, enrolment.ENROLMENT_WITHDRAWN, enrolment.ENROLMENT_COMPLETED)},
            enrolment.PARTICIPANT_REGISTERED.type: participant_registered,
            enrolment.PARTICIPANT_ERASED.type: participant_erased,
        },
    ),
]
