"""Coaching: 1:1 bookings within a coaching offer's allowance, the coachee's goals and the
progress noted at each session."""

from services.scheduling.api.roles import ADMIN, COACHING
from services.scheduling.schemas import (
    CoachingBookingCreateSchema,
    CoachingBookingSchema,
    CoachingGoalsInSchema,
    CoachingGoalsSchema,
    ProgressNoteInSchema,
    ProgressNoteSchema,
)
from services.scheduling.usecases import coaching, goals
from shared.api import Api, PageQuery
from shared.auth import Role

coaching_api = Api("coaching", __name__)


@coaching_api.post(
    "/v1/offers/<offer_id>/coaching-bookings",
    summary="Book a 1:1 coaching session within the offer's allowance",
    roles=(*ADMIN, Role.PARTICIPANT),
    body=CoachingBookingCreateSchema,
    response=CoachingBookingSchema,
    status=201,
    idempotent=True,
)
def book_coaching(unit, offer_id, body):
    return coaching.book_coaching(unit, offer_id, body)


@coaching_api.get(
    "/v1/offers/<offer_id>/coaching-bookings",
    summary="A coaching offer's bookings (a coach: those they lead; a coachee: their own)",
    roles=COACHING,
    query=PageQuery,
    response=CoachingBookingSchema,
    paged=True,
)
def list_coaching(unit, offer_id, query):
    return coaching.list_coaching(unit, offer_id, query)


@coaching_api.put(
    "/v1/coaching/offers/<offer_id>/goals/<participant_id>",
    summary="Set or change one's own coaching goals: types and one's own words",
    roles=(Role.PARTICIPANT,),
    body=CoachingGoalsInSchema,
    response=CoachingGoalsSchema,
)
def set_coaching_goals(unit, offer_id, participant_id, body):
    return goals.save_goals(unit, offer_id, participant_id, body)


@coaching_api.get(
    "/v1/coaching/offers/<offer_id>/goals/<participant_id>",
    summary=(
        "A coachee's goals (the coachee and their coach: with their words and progress notes; the administrator: "
        "the types)"
    ),
    roles=COACHING,
    response=CoachingGoalsSchema,
)
def get_coaching_goals(unit, offer_id, participant_id):
    return goals.read_goals(unit, offer_id, participant_id)


@coaching_api.put(
    "/v1/coaching/sessions/<session_id>/progress",
    summary="Note progress at a coaching session that has begun (the coach or the coachee; private to the two)",
    roles=(Role.COACH, Role.PARTICIPANT),
    body=ProgressNoteInSchema,
    response=ProgressNoteSchema,
)
def note_coaching_progress(unit, session_id, body):
    return goals.save_progress(unit, session_id, body)
