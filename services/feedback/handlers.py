"""Events feedback consumes: scheduling's sessions, attendance and coachees' goal types;
enrolment's offers, memberships, participants' registrations (their PCN) and erasures. Each handler runs in the
consumer's unit of work, with its inbox row.

Every handler but the erasure's honours erasures (shared.erasures, usecases.erasure.ERASURES):
an event naming a person erased already (it travelled under another key or topic and was
overtaken) is applied under the erasure's pseudonym and settled as the erasure left the id."""

from services.feedback.domain.conditions import JOINED, LEFT
from services.feedback.store import participants, projections
from services.feedback.usecases import attendance, conditions, erasure, goals
from shared.consumer import Subscription
from shared.contracts import enrolment, scheduling
from shared.envelope import Envelope
from shared.erasures import honouring_erasures
from shared.unit import Unit

_SESSION_FIELDS = ("session_id", "offer_id", "region", "starts_at", "ends_at", "sequence", "status", "recorded_at")


def session_changed(event: Envelope, unit: Unit) -> None:
    projections.save_session(unit.conn, {name: event.data[name] for name in _SESSION_FIELDS})


def attendance_recorded(event: Envelope, unit: Unit) -> None:
    attendance.record_attendance(unit, event.data)


def coaching_goals_set(event: Envelope, unit: Unit) -> None:
    goals.goals_set(unit, event.data)


def offer_changed(event: Envelope, unit: Unit) -> None:
    offer = {name: event.data[name] for name in ("offer_id", "region", "offer_type", "status", "planned_sessions")}
    if event.type == enrolment.OFFER_STARTED.type:  # when the group formed; later offer events leave it be
        offer["started_at"] = event.time
    attendance.learn_offer(unit, offer)


# Joining and leaving a group, for its continuity (domain/conditions.py). Completing is not
# leaving: enrolment completes a member once they have attended enough sessions, while the group
# still meets and they are still expected at it; counted as leaving, every group would lose its
# most faithful members near its end and be flagged for it. Waitlisting is not joining.
_MEMBERSHIP_CHANGES = {
    enrolment.ENROLMENT_CONFIRMED.type: JOINED,
    enrolment.ENROLMENT_PROMOTED.type: JOINED,
    enrolment.ENROLMENT_WITHDRAWN.type: LEFT,
}


def membership_changed(event: Envelope, unit: Unit) -> None:
    data = event.data
    projections.save_member(unit.conn, data["offer_id"], data["participant_id"], data["status"])
    change = _MEMBERSHIP_CHANGES.get(event.type)
    if change is not None:
        conditions.membership_changed(unit, data, change, event.time)


def participant_registered(event: Envelope, unit: Unit) -> None:
    data = event.data
    if data["pcn_code"] is not None:  # the contract allows none; without one there is nothing to learn
        participants.save_participant(unit.conn, data["participant_id"], data["region"], data["pcn_code"])


def participant_erased(event: Envelope, unit: Unit) -> None:
    erasure.participant_erased(unit, event.data["participant_id"], event.data["erased_at"])


def _honouring_erasures(handlers: dict) -> dict:
    return honouring_erasures(handlers, erasure.ERASURES, erasures=[enrolment.PARTICIPANT_ERASED.type])


SUBSCRIPTIONS = [
    Subscription(
        "scheduling",
        _honouring_erasures(
            {
                scheduling.SESSION_SCHEDULED.type: session_changed,
                scheduling.SESSION_RESCHEDULED.type: session_changed,
                scheduling.SESSION_CANCELLED.type: session_changed,
                scheduling.SESSION_UPDATED.type: session_changed,
                scheduling.ATTENDANCE_RECORDED.type: attendance_recorded,
                scheduling.COACHING_GOALS_SET.type: coaching_goals_set,
            }
        ),
    ),
    Subscription(
        "enrolment",
        _honouring_erasures(
            {
                **{
                    e.type: offer_changed
                    for e in (
                        enrolment.OFFER_PUBLISHED,
                        enrolment.OFFER_UPDATED,
                        enrolment.OFFER_STARTED,
                        enrolment.OFFER_COMPLETED,
                        enrolment.OFFER_CANCELLED,
                    )
                },
                **{
                    e.type: membership_changed
                    for e in (
                        enrolment.ENROLMENT_CONFIRMED,
                        enrolment.ENROLMENT_PROMOTED,
                        enrolment.ENROLMENT_WAITLISTED,
                        enrolment.ENROLMENT_WITHDRAWN,
                        enrolment.ENROLMENT_COMPLETED,
                    )
                },
                enrolment.PARTICIPANT_REGISTERED.type: participant_registered,
                enrolment.PARTICIPANT_ERASED.type: participant_erased,
            }
        ),
    ),
]
