"""Offers: create, read, change (If-Match) and move through their lifecycle."""

from services.enrolment.api.roles import EVERYONE, OFFER_MANAGERS
from services.enrolment.domain.offers import OfferAction
from services.enrolment.schemas import OfferCreateSchema, OfferQuery, OfferSchema, OfferUpdateSchema
from services.enrolment.usecases import offers
from shared.api import Api, Reply, etag, if_match

offers_api = Api("offers", __name__)


def _tagged(offer: dict) -> Reply:
    """An offer with its version as its ETag, which a change names in If-Match."""
    return Reply(offer, headers={"ETag": etag(offer["version"])})


@offers_api.post(
    "/v1/offers",
    summary="Create a draft offer in your region (national team: a national one)",
    roles=OFFER_MANAGERS,
    body=OfferCreateSchema,
    response=OfferSchema,
    status=201,
    idempotent=True,
)
def create_offer(unit, body):
    return _tagged(offers.create(unit, body))


@offers_api.get(
    "/v1/offers",
    summary="Offers, by region, type and status",
    roles=EVERYONE,
    query=OfferQuery,
    response=OfferSchema,
    paged=True,
)
def list_offers(unit, query):
    return offers.offer_page(unit, query)


@offers_api.get(
    "/v1/offers/<offer_id>", summary="One offer (its ETag is its version)", roles=EVERYONE, response=OfferSchema
)
def get_offer(unit, offer_id):
    return _tagged(offers.get(unit, offer_id))


@offers_api.patch(
    "/v1/offers/<offer_id>",
    summary="Change a draft or published offer (send If-Match)",
    roles=OFFER_MANAGERS,
    body=OfferUpdateSchema,
    response=OfferSchema,
)
def update_offer(unit, offer_id, body):
    return _tagged(offers.update(unit, offer_id, body, if_match()))


@offers_api.post(
    "/v1/offers/<offer_id>/publish",
    summary="Open a draft offer for enrolment",
    roles=OFFER_MANAGERS,
    response=OfferSchema,
)
def publish_offer(unit, offer_id):
    return _tagged(offers.change_status(unit, offer_id, OfferAction.PUBLISH))


@offers_api.post(
    "/v1/offers/<offer_id>/start",
    summary=(
        "Start a published offer (an action learning set or coaching closes, and its waitlist is released with "
        "the open alternatives)"
    ),
    roles=OFFER_MANAGERS,
    response=OfferSchema,
)
def start_offer(unit, offer_id):
    return _tagged(offers.change_status(unit, offer_id, OfferAction.START))


@offers_api.post(
    "/v1/offers/<offer_id>/complete",
    summary=(
        "Complete a started offer that has held a session (409 no_session_held otherwise); members who attended "
        "enough complete with it"
    ),
    roles=OFFER_MANAGERS,
    response=OfferSchema,
)
def complete_offer(unit, offer_id):
    return _tagged(offers.change_status(unit, offer_id, OfferAction.COMPLETE))


@offers_api.post(
    "/v1/offers/<offer_id>/cancel",
    summary=(
        "Cancel an offer that has not completed; every confirmed and waitlisted enrolment ends (withdrawn: "
        "offer_cancelled), nobody is promoted"
    ),
    roles=OFFER_MANAGERS,
    response=OfferSchema,
)
def cancel_offer(unit, offer_id):
    return _tagged(offers.change_status(unit, offer_id, OfferAction.CANCEL))
