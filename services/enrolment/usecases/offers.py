"""Offers and their lifecycle: draft → published → started → completed | cancelled.

Every write locks the offer's row first, so capacity and waitlist decisions about one offer
are taken one at a time on PostgreSQL as on SQLite.
"""
import uuid
from dataclasses import replace

from shared.api import Call, Page, Reply, etag, require_if_match
from shared.auth import Role
from shared.clock import utcnow
from shared.disclosure import shown_count
from shared.contracts import enrolment as contract
from services.enrolment import domain
from services.enrolment.domain import NATIONAL, OfferAction, OfferStatus
from services.enrolment.store import enrolments as enrolment_store
from services.enrolment.store import offers as store
from services.enrolment.store import reference
from services.enrolment.usecases import places
from services.enrolment.usecases.access import manages, not_found, require_manager, sees_offer

LIFECYCLE_EVENTS = {
    OfferAction.PUBLISH: contract.OFFER_PUBLISHED,
    OfferAction.START: contract.OFFER_STARTED,
    OfferAction.COMPLETE: contract.OFFER_COMPLETED,
    OfferAction.CANCEL: contract.OFFER_CANCELLED,
}
STAFF = (Role.REGIONAL_ADMIN, Role.FACILITATOR, Role.COACH)


def as_offer(row) -> domain.Offer:
    names = ("id", "region", "title", "capacity", "starts_on", "ends_on", "planned_sessions", "status", "pcn_code", "basis", "session_allowance")
    return domain.Offer(type=row["offer_type"], **{name: row[name] for name in names})


def columns(offer: domain.Offer) -> dict:
    """An offer as its row and its events hold it."""
    return {
        "region": offer.region,
        "offer_type": offer.type.value,
        "title": offer.title,
        "capacity": offer.capacity,
        "status": offer.status.value,
        "pcn_code": offer.pcn_code,
        "basis": offer.basis.value if offer.basis else None,
        "session_allowance": offer.session_allowance,
        "planned_sessions": offer.planned_sessions,
        "starts_on": offer.starts_on,
        "ends_on": offer.ends_on,
    }


def _reply(call: Call, offer_id: str, status: int | None = None) -> Reply:
    offer = store.offer_with_counts(call.conn, offer_id)
    return Reply(as_seen_by(call.principal, offer), status=status, headers={"ETag": etag(offer["version"])})


def as_seen_by(principal, offer) -> dict:
    """Places taken and the waitlist count people: exact for the offer's manager, who reads its
    roster anyway; for everyone else as the disclosure policy publishes counts (docs/disclosure.md).
    Whether a place is free now is everyone's to know: it is what enrolling depends on."""
    free = offer["places_taken"] < offer["capacity"] and offer["waitlist_length"] == 0
    counts = {} if manages(principal, offer) else {name: shown_count(offer[name]) for name in ("places_taken", "waitlist_length")}
    return {**offer, **counts, "open_places": free}


def _visible(call: Call, offer_id: str, *, lock: bool = False):
    row = store.offer(call.conn, offer_id, lock=lock)
    if row is None or not sees_offer(call.principal, row):
        raise not_found("offer")
    return row


def _managed(call: Call, offer_id: str):
    row = _visible(call, offer_id, lock=True)
    require_manager(call.principal, row)
    return row


def offer_for_enrolment(call: Call, offer_id: str) -> domain.Offer:
    """The offer, locked until the transaction ends: admissions to it queue here."""
    return as_offer(_visible(call, offer_id, lock=True))


def create(call: Call, body: dict) -> Reply:
    region = call.principal.region if call.principal.role is Role.REGIONAL_ADMIN else NATIONAL
    pcn = reference.pcn(call.conn, body["pcn_code"]) if body["pcn_code"] else None
    details = {name: value for name, value in body.items() if name != "offer_type"}
    offer = domain.Offer(id=str(uuid.uuid4()), region=region, type=body["offer_type"], **details)
    domain.validate_new_offer(offer, pcn_region=pcn and pcn["region"])
    now = utcnow()
    store.insert_offer(call.conn, {"id": offer.id, **columns(offer), "version": 1, "created_at": now, "updated_at": now})
    return _reply(call, offer.id, 201)


def get(call: Call, offer_id: str) -> Reply:
    _visible(call, offer_id)
    return _reply(call, offer_id)


def offer_page(call: Call, query: dict) -> Page:
    principal, requested = call.principal, query.get("region")
    regions = (principal.region, NATIONAL) if principal.role in STAFF else None
    if requested is not None:
        domain.validate_region_code(requested, allow_national=True)
        regions = (requested,) if regions is None or requested in regions else ()
    rows, total = store.offer_page(
        call.conn,
        regions=regions,
        offer_type=query.get("type"),
        status=query.get("status"),
        hide_drafts=principal.role is Role.PARTICIPANT,
        limit=query["limit"],
        offset=query["offset"],
    ) if regions != () else ([], 0)
    return Page([as_seen_by(principal, row) for row in rows], total, query["limit"], query["offset"])


def update(call: Call, offer_id: str, body: dict) -> Reply:
    row = _managed(call, offer_id)
    require_if_match(row["version"])
    tally = enrolment_store.tally(call.conn, offer_id)
    offer = domain.validate_offer_change(as_offer(row), body, confirmed_count=tally.confirmed)
    store.update_offer(call.conn, offer_id, {**columns(offer), "version": row["version"] + 1, "updated_at": utcnow()})
    if offer.status is OfferStatus.PUBLISHED:  # a draft is nobody's business but its author's
        call.record(contract.OFFER_UPDATED, {"offer_id": offer_id, **columns(offer)})
        if tally.waitlisted and offer.capacity > row["capacity"]:
            places.fill_free_places(call, offer)
    return _reply(call, offer_id)


def change_status(call: Call, offer_id: str, action: OfferAction) -> Reply:
    row = _managed(call, offer_id)
    offer = replace(as_offer(row), status=domain.transition(row["status"], action))
    store.update_offer(call.conn, offer_id, {"status": offer.status.value, "version": row["version"] + 1, "updated_at": utcnow()})
    call.record(LIFECYCLE_EVENTS[action], {"offer_id": offer_id, **columns(offer)})
    if offer.status is OfferStatus.COMPLETED:
        places.complete_members(call, offer)
    return _reply(call, offer_id)
