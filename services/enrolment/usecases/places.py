"""Changes to who holds a place in an offer once enrolled: withdrawal with promotion from the
waitlist, filling places a larger capacity frees, completion from attendance, and the endings
(a started closed group releases its waitlist; a cancelled offer ends every enrolment).

Each writes the domain's plan and records one event per changed member (never for a mere
renumbering of the waitlist), with the e-mail it owes the member, in the caller's transaction.
Every withdrawal's event says why (`reason`); the people an ending lets go are offered the open alternatives with it.
"""

from dataclasses import replace

from services.enrolment.domain.completion import select_completions
from services.enrolment.domain.endings import alternatives, plan_cancellation, plan_release, require_a_held_session
from services.enrolment.domain.enrolments import Enrolment, EnrolmentStatus, plan_promotions, plan_withdrawal
from services.enrolment.domain.offers import Offer
from services.enrolment.store import attendance
from services.enrolment.store import enrolments as store
from services.enrolment.store import offers as offer_store
from services.enrolment.usecases import notifications
from shared.clock import utcnow
from shared.contracts.enrolment import (
    ENROLMENT_COMPLETED,
    ENROLMENT_CONFIRMED,
    ENROLMENT_PROMOTED,
    ENROLMENT_WAITLISTED,
    ENROLMENT_WITHDRAWN,
)
from shared.contracts.vocabulary import NATIONAL, WithdrawalReason
from shared.unit import Unit

ADMISSION_EVENTS = {"confirmed": ENROLMENT_CONFIRMED, "waitlisted": ENROLMENT_WAITLISTED}


def enrolment_event(offer: Offer, enrolment, person) -> dict:
    """An enrolment event's data: opaque ids, role, PCN and region only."""
    return {
        "enrolment_id": enrolment["id"],
        "offer_id": offer.id,
        "participant_id": enrolment["participant_id"],
        "region": offer.region,
        "offer_type": offer.type.value,
        "pcn_code": person["pcn_code"],
        "role": person["role"],
        "status": enrolment["status"],
        "waitlist_position": enrolment["waitlist_position"],
        "changed_at": enrolment["updated_at"],
    }


def withdraw(
    unit: Unit, offer: Offer, members: dict, enrolment_id: str, reason: WithdrawalReason = WithdrawalReason.WITHDREW
) -> dict:
    """Withdraw one of `members` (the offer's enrolments by id, the withdrawn one among them)."""
    plan = plan_withdrawal(offer, map(store.as_enrolment, members.values()), enrolment_id, reason)
    promoted = [plan.promoted] if plan.promoted else []
    events = {plan.withdrawn.id: ENROLMENT_WITHDRAWN, **{e.id: ENROLMENT_PROMOTED for e in promoted}}
    return _apply(unit, offer, members, [plan.withdrawn, *promoted, *_moved(plan.waitlist, members)], events)[
        enrolment_id
    ]


def fill_free_places(unit: Unit, offer: Offer) -> None:
    members = {m["id"]: m for m in store.members(unit.conn, offer.id)}
    plan = plan_promotions(offer, map(store.as_enrolment, members.values()))
    _apply(
        unit,
        offer,
        members,
        [*plan.promoted, *_moved(plan.waitlist, members)],
        {e.id: ENROLMENT_PROMOTED for e in plan.promoted},
    )


def check_a_session_was_held(unit: Unit, offer: Offer) -> None:
    """Refuse to complete an offer that held no session (as scheduling's events told enrolment)."""
    require_a_held_session(attendance.held_session_count(unit.conn, offer.id, utcnow()))


def complete_members(unit: Unit, offer: Offer) -> None:
    """Mark completed each confirmed member who attended enough of the sessions held."""
    now = utcnow()
    members = {m["id"]: m for m in store.members(unit.conn, offer.id, ("confirmed",))}
    attended = attendance.member_attendance(unit.conn, offer.id, members.values(), now)
    held = attendance.held_session_count(unit.conn, offer.id, now)
    chosen = select_completions(attended, held, threshold=unit.settings.completion_threshold)
    completed = [replace(store.as_enrolment(members[i]), status=EnrolmentStatus.COMPLETED) for i in chosen]
    _apply(unit, offer, members, completed, {e.id: ENROLMENT_COMPLETED for e in completed})


def release_waitlist(unit: Unit, offer: Offer) -> None:
    """A closed group has started: everyone still waiting is let go, with the alternatives."""
    members = {m["id"]: m for m in store.members(unit.conn, offer.id, ("waitlisted",))}
    _end(unit, offer, members, plan_release(offer, map(store.as_enrolment, members.values())))


def end_enrolments(unit: Unit, offer: Offer) -> None:
    """The offer is cancelled: every member and everyone waiting is let go, nobody promoted."""
    members = {m["id"]: m for m in store.members(unit.conn, offer.id)}
    _end(unit, offer, members, plan_cancellation(offer, map(store.as_enrolment, members.values())))


def _end(unit: Unit, offer: Offer, members: dict, ended: tuple[Enrolment, ...]) -> None:
    if not ended:
        return
    people = [members[e.id] for e in ended]
    candidates = offer_store.open_of_type(
        unit.conn, offer.type.value, {p["participant_region"] for p in people} | {NATIONAL}
    )
    held = store.offers_held(unit.conn, [p["participant_id"] for p in people])
    offered = {
        p["id"]: list(
            alternatives(
                offer,
                candidates,
                participant_region=p["participant_region"],
                participant_pcn=p["pcn_code"],
                already_held=held[p["participant_id"]],
            )
        )
        for p in people
    }
    _apply(unit, offer, members, list(ended), {e.id: ENROLMENT_WITHDRAWN for e in ended}, offered)


def _moved(waitlist, members: dict) -> list[Enrolment]:
    return [e for e in waitlist if e.waitlist_position != members[e.id]["waitlist_position"]]


def _apply(
    unit: Unit, offer: Offer, members: dict, changed: list[Enrolment], events: dict, offered: dict | None = None
) -> dict:
    """Write `changed` and record `events` (enrolment id → type); a withdrawal's event carries its
    reason and `offered` (enrolment id → alternative offer ids)."""
    now = utcnow()
    changes = [
        {
            "id": e.id,
            "status": e.status.value,
            "waitlist_position": e.waitlist_position,
            "withdrawal_reason": e.reason.value if e.reason else None,
            "updated_at": now,
        }
        for e in changed
    ]
    store.save_changes(unit.conn, changes, members)
    updated = {change["id"]: {**members[change["id"]], **change} for change in changes}
    for enrolment_id, event_type in events.items():
        data = enrolment_event(offer, updated[enrolment_id], updated[enrolment_id])
        if event_type is ENROLMENT_WITHDRAWN:
            data |= {
                "reason": updated[enrolment_id]["withdrawal_reason"],
                "alternative_offer_ids": (offered or {}).get(enrolment_id, []),
            }
        notifications.enrolment_changed(unit, event_type, unit.record(event_type, data), data)
    return updated
