"""Events scheduling consumes: enrolment's offers and enrolments (the roster projection)
and feedback's development needs (for co-design).

`PROJECTION` only keeps the projection tables, so `rebuild` can replay the topic through
it; the live subscription adds the reactions that change scheduling's own sessions, through
the sessions use cases (an offer completed or cancelled cancels its upcoming sessions; an erased
participant's future coaching is cancelled, and they are pseudonymised in attendance and
bookings too). Every handler is idempotent in effect, and an event about an offer scheduling
has not heard of simply starts that offer's projection.

An erasure is remembered (`ERASURES`, shared.erasures): an enrolment event naming the person
that comes after it (travelling under an offer's key, it can overtake the erasure; a rebuild
replays every one) is applied under the erasure's pseudonym, never the id. Nothing has to be
settled afterwards: enrolment withdraws each of the person's places with the erasure, and those
withdrawals follow the place's earlier events on the offer's partition, so a membership the
pseudonym opens is ended as the erasure ends it.
"""

import hashlib

from services.scheduling.store import attendance, calendar_feeds, needs, rosters, tables
from services.scheduling.store.erasures import ERASURES
from services.scheduling.usecases import goals, sessions
from shared.batch import batched
from shared.consumer import Subscription
from shared.contracts import enrolment
from shared.contracts.feedback import NEEDS_REPORTED
from shared.envelope import Envelope
from shared.erasures import honouring_erasures
from shared.unit import Unit

OFFER_FIELDS = ("offer_id", "region", "offer_type", "title", "capacity", "status", "session_allowance")


@batched
def offer_changed(event: Envelope, unit: Unit) -> None:
    rosters.save_offer(unit.conn, {name: event.data[name] for name in OFFER_FIELDS})


@batched
def member_joined(event: Envelope, unit: Unit) -> None:
    """Confirmed or promoted from the waitlist: a new period of membership starts, unless one is
    open (a batch of a poll's joins is written in one statement: rosters.join)."""
    data = event.data
    fields = {name: data[name] for name in ("offer_id", "participant_id", "enrolment_id")}
    rosters.join(unit.conn, {**fields, "status": "confirmed", "joined_at": data["changed_at"], "left_at": None})


@batched
def member_left(event: Envelope, unit: Unit) -> None:
    """Withdrawn: the period ends, so the member leaves sessions from then on, not past ones."""
    membership = rosters.open_membership(unit.conn, event.data["offer_id"], event.data["participant_id"])
    if membership is not None:
        rosters.change_membership(unit.conn, membership, left_at=event.data["changed_at"])


@batched
def member_completed(event: Envelope, unit: Unit) -> None:
    membership = rosters.open_membership(unit.conn, event.data["offer_id"], event.data["participant_id"])
    if membership is not None:
        rosters.change_membership(unit.conn, membership, status="completed")


def member_erased(event: Envelope, unit: Unit) -> str:
    """Erasure ends the person's places: enrolment withdraws each, but those withdrawals travel
    under the offers' keys and may come after this event, when the id is a pseudonym already;
    so their memberships end here too, at the erasure, and a late withdrawal finds nothing.
    The erasure is remembered (and locked) first, so every later event about the person takes
    its pseudonym, the first erasure's if the id was erased before; returned for the rest."""
    pseudonym = _remember(event, unit)
    rosters.end_memberships(unit.conn, event.data["participant_id"], event.data["erased_at"])
    rosters.rename_member(unit.conn, event.data["participant_id"], pseudonym)
    return pseudonym


def participant_erased(event: Envelope, unit: Unit) -> None:
    """Erasure ends the person's places (member_erased) and their future 1:1 coaching,
    cancelled as a coach would cancel it, so the coach's time is free and calendars show it;
    their data key is destroyed and their coaching goals and progress notes deleted, and so is
    their calendar subscription address; then they become a pseudonym."""
    _remember(event, unit)  # first, so an event about them applied concurrently waits for the erasure
    sessions.cancel_upcoming_coaching(unit, event.data["participant_id"])
    goals.forget_coachee(unit, event.data["participant_id"])
    calendar_feeds.revoke_feed(unit.conn, event.data["participant_id"])
    pseudonym = member_erased(event, unit)
    attendance.rename_attendee(unit.conn, event.data["participant_id"], pseudonym)


def offer_ended(event: Envelope, unit: Unit) -> None:
    """Completed or cancelled: the offer's sessions that have not begun are cancelled, each with
    its SEQUENCE raised and its event."""
    offer_changed(event, unit)
    sessions.end_offer(unit, event.data["offer_id"], event.data["status"])


def needs_reported(event: Envelope, unit: Unit) -> None:
    """A cohort member's needs answer, kept by its `response_id`: feedback gives every answer
    of one member for one offer the same pseudonym, so a later answer replaces the earlier
    (one member, one voice) and co-design's five answers are five members."""
    data = event.data
    if data["offer_id"]:
        needs.save_needs(unit.conn, {name: data[name] for name in ("response_id", "offer_id", "region", "ratings")})


def _remember(event: Envelope, unit: Unit) -> str:
    """The erasure recorded (again: the first stands) and the person locked; their pseudonym."""
    return ERASURES.remember(unit, event.data["participant_id"], _pseudonym(event), event.data["erased_at"])


def _pseudonym(event: Envelope) -> str:
    """The same for every replay of this erasure, and not derivable from the erased id."""
    return "erased-" + hashlib.sha256(f"{event.source} {event.id}".encode()).hexdigest()[:20]


PROJECTION = {
    **{
        t.type: offer_changed
        for t in (
            enrolment.OFFER_PUBLISHED,
            enrolment.OFFER_UPDATED,
            enrolment.OFFER_STARTED,
            enrolment.OFFER_COMPLETED,
            enrolment.OFFER_CANCELLED,
        )
    },
    enrolment.ENROLMENT_CONFIRMED.type: member_joined,
    enrolment.ENROLMENT_PROMOTED.type: member_joined,
    enrolment.ENROLMENT_WITHDRAWN.type: member_left,
    enrolment.ENROLMENT_COMPLETED.type: member_completed,
    enrolment.PARTICIPANT_ERASED.type: member_erased,
}
PROJECTION = honouring_erasures(PROJECTION, ERASURES, erasures=[enrolment.PARTICIPANT_ERASED.type])
REACTIONS = {
    enrolment.OFFER_COMPLETED.type: offer_ended,
    enrolment.OFFER_CANCELLED.type: offer_ended,
    enrolment.PARTICIPANT_ERASED.type: participant_erased,
}
REACTIONS = honouring_erasures(REACTIONS, ERASURES, erasures=[enrolment.PARTICIPANT_ERASED.type])

# What `python -m services.cli replay scheduling` empties before replaying each subscription.
PROJECTIONS = {"rosters": list(tables.PROJECTION_TABLES), "needs": [tables.needs]}

# Every subscription honours erasures, the needs one too: its events name no one today, and
# one that later did would be pseudonymised without another change here.
SUBSCRIPTIONS = [
    Subscription("rosters", {**PROJECTION, **REACTIONS}),
    Subscription("needs", honouring_erasures({NEEDS_REPORTED.type: needs_reported}, ERASURES, erasures=[])),
]
