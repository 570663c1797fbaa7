"""Enrolment's service layer: use cases over the store, raising domain errors."""
import uuid

from sqlalchemy import insert, select, update

from shared.api import Call
from shared.clock import utcnow
from shared.contracts.enrolment import OFFER_PUBLISHED
from shared.errors import Conflict, NotFound
from services.enrolment.store import offers


def create_offer(call: Call, body: dict) -> dict:
    offer = {**body, "id": str(uuid.uuid4()), "status": "draft", "version": 1, "created_at": utcnow()}
    call.conn.execute(insert(offers).values(**offer))
    return offer


def get_offer(call: Call, offer_id: str):
    offer = call.conn.execute(select(offers).where(offers.c.id == offer_id)).mappings().first()
    if offer is None or not call.principal.in_region(offer["region"]):
        raise NotFound("offer_not_found", "no such offer")
    return offer


def publish_offer(call: Call, offer_id: str) -> dict:
    offer = dict(get_offer(call, offer_id))
    if offer["status"] != "draft":
        raise Conflict("invalid_transition", f"an offer that is {offer['status']} cannot be published")
    offer["status"] = "published"
    call.conn.execute(update(offers).where(offers.c.id == offer_id).values(status="published", version=offer["version"] + 1))
    call.record(OFFER_PUBLISHED, {"offer_id": offer_id, **{k: offer[k] for k in ("region", "offer_type", "title", "capacity", "status")}})
    return offer
