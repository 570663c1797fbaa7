"""Coaching: 1:1 bookings within a coaching offer's allowance."""
from shared.api import Api, PageQuery
from shared.auth import Role
from services.scheduling.api.roles import ADMIN, COACHING
from services.scheduling.schemas import CoachingBookingCreateSchema, CoachingBookingSchema
from services.scheduling.usecases import coaching

coaching_api = Api("coaching", __name__)


@coaching_api.post("/v1/offers/<offer_id>/coaching-bookings", summary="Book a 1:1 coaching session within the offer's allowance", roles=(*ADMIN, Role.PARTICIPANT), body=CoachingBookingCreateSchema, response=CoachingBookingSchema, status=201, idempotent=True)
def book_coaching(unit, offer_id, body):
    return coaching.book_coaching(unit, offer_id, body)


@coaching_api.get("/v1/offers/<offer_id>/coaching-bookings", summary="A coaching offer's bookings (a coach: those they lead; a coachee: their own)", roles=COACHING, query=PageQuery, response=CoachingBookingSchema, paged=True)
def list_coaching(unit, offer_id, query):
    return coaching.list_coaching(unit, offer_id, query)
