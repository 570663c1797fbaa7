"""Enrolment's HTTP endpoints."""
from shared.api import Api
from shared.auth import Role
from services.enrolment import usecases
from services.enrolment.schemas import OfferCreateSchema, OfferSchema

ADMIN = (Role.REGIONAL_ADMIN,)
READERS = (Role.REGIONAL_ADMIN, Role.NATIONAL, Role.SERVICE)

offers_api = Api("offers", __name__)


@offers_api.post("/v1/offers", summary="Create a draft offer", roles=ADMIN, body=OfferCreateSchema, response=OfferSchema, status=201, idempotent=True)
def create_offer(call, body):
    return usecases.create_offer(call, body)


@offers_api.get("/v1/offers/<offer_id>", summary="One offer", roles=READERS, response=OfferSchema)
def get_offer(call, offer_id):
    return usecases.get_offer(call, offer_id)


@offers_api.post("/v1/offers/<offer_id>/publish", summary="Open an offer for enrolment", roles=ADMIN, response=OfferSchema)
def publish_offer(call, offer_id):
    return usecases.publish_offer(call, offer_id)


APIS = [offers_api]
