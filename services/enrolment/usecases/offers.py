"""Offers and their lifecycle: draft → published → started → completed | cancelled.

Every write locks the offer's row first, so capacity and waitlist decisions about one offer
are taken one at a time on PostgreSQL as on SQLite.
"""

import uuid
from dataclasses import replace

from services.enrolment.domain.offers import (
    Offer,
    OfferAction,
    OfferStatus,
    transition,
    validate_new_offer,
    validate_offer_change,
)
from services.enrolment.domain.reference import validate_region_code
from services.enrolment.store import offers as store
from services.enrolment.store import reference
from services.enrolment.usecases import places
from services.enrolment.usecases.access import manages, not_found, require_manager, sees_offer
from shared.auth import Role
from shared.clock import utcnow
from shared.contracts import enrolment as contract
from shared.contracts.vocabulary import NATIONAL
from shared.disclosure import shown_count
from shared.paging import Page
from shared.unit import Unit
from shared.versions import require_version

LIFECYCLE_EVENTS = {
    OfferAction.PUBLISH: contract.OFFER_PUBLISHED,
    OfferAction.START: contract.OFFER_STARTED,
    OfferAction.COMPLETE: contract.OFFER_COMPLETED,
    OfferAction.CANCEL: contract.OFFER_CANCELLED,
}
STAFF = (Role.REGIONAL_ADMIN, Role.FACILITATOR, Role.COACH)


def offer_event(offer: Offer) -> dict:
    """An offer event's data: the offer as its row holds it."""
    return {"offer_id": offer.id, **store.columns(offer)}


def _shown(unit: Unit, offer_id: str) -> dict:
    return as_seen_by(unit.principal, store.offer(unit.conn, offer_id))


def as_seen_by(principal, offer) -> dict:
    """Places taken and the waitlist count people: exact for the offer's manager, who reads its
    roster anyway; for everyone else as the disclosure policy publishes counts (docs/disclosure.md).
    Whether a place is free now is everyone's to know: it is what enrolling depends on."""
    free = offer["places_taken"] < offer["capacity"] and offer["waitlist_length"] == 0
    counts = (
        {}
        if manages(principal, offer)
        else {name: shown_count(offer[name]) for name in ("places_taken", "waitlist_length")}
    )
    return {**offer, **counts, "open_places": free}


def _visible(unit: Unit, offer_id: str, *, lock: bool = False):
    row = store.offer(unit.conn, offer_id, lock=lock)
    if row is None or not sees_offer(unit.principal, row):
        raise not_found("offer")
    return row


def _managed(unit: Unit, offer_id: str):
    row = _visible(unit, offer_id, lock=True)
    require_manager(unit.principal, row)
    return row


def offer_for_enrolment(unit: Unit, offer_id: str):
    """The offer's row, locked until the transaction ends: admissions to it queue here, and the
    places taken and waitlist length it keeps are exact until then."""
    return _visible(unit, offer_id, lock=True)


def create(unit: Unit, body: dict) -> dict:
    region = unit.principal.region if unit.principal.role is Role.REGIONAL_ADMIN else NATIONAL
    pcn = reference.pcn(unit.conn, body["pcn_code"]) if body["pcn_code"] else None
    details = {name: value for name, value in body.items() if name != "offer_type"}
    offer = Offer(id=str(uuid.uuid4()), region=region, type=body["offer_type"], **details)
    validate_new_offer(offer, pcn_region=pcn and pcn["region"])
    store.insert_offer(unit.conn, offer, now=utcnow())
    return _shown(unit, offer.id)


def get(unit: Unit, offer_id: str) -> dict:
    _visible(unit, offer_id)
    return _shown(unit, offer_id)


def offer_page(unit: Unit, query: dict) -> Page:
    principal, requested = unit.principal, query.get("region")
    regions = (principal.region, NATIONAL) if principal.role in STAFF else None
    if requested is not None:
        validate_region_code(requested, allow_national=True)
        regions = (requested,) if regions is None or requested in regions else ()
    rows, total = (
        store.offer_page(
            unit.conn,
            regions=regions,
            offer_type=query.get("type"),
            status=query.get("status"),
            hide_drafts=principal.role is Role.PARTICIPANT,
            limit=query["limit"],
            offset=query["offset"],
        )
        if regions != ()
        else ([], 0)
    )
    return Page.of([as_seen_by(principal, row) for row in rows], total, query)


def update(unit: Unit, offer_id: str, body: dict, expected_version: str | None) -> dict:
    """Change the offer if `expected_version` (If-Match as sent) names its current version."""
    row = _managed(unit, offer_id)
    require_version(expected_version, row["version"])
    offer = validate_offer_change(store.as_offer(row), body, confirmed_count=row["places_taken"])
    store.save_offer(unit.conn, offer, version=row["version"] + 1, now=utcnow())
    if offer.status is OfferStatus.PUBLISHED:  # a draft is nobody's business but its author's
        unit.record(contract.OFFER_UPDATED, offer_event(offer))
        if row["waitlist_length"] and offer.capacity > row["capacity"]:
            places.fill_free_places(unit, offer)
    return _shown(unit, offer_id)


def change_status(unit: Unit, offer_id: str, action: OfferAction) -> dict:
    """Move the offer on, then what that means for its enrolments: completing marks who
    completed (and needs a session held); starting a closed group releases its waitlist;
    cancelling ends every enrolment (docs/programme-rules.md, "Endings")."""
    row = _managed(unit, offer_id)
    offer = replace(store.as_offer(row), status=transition(row["status"], action))
    if offer.status is OfferStatus.COMPLETED:
        places.check_a_session_was_held(unit, offer)
    store.save_offer(unit.conn, offer, version=row["version"] + 1, now=utcnow())
    unit.record(LIFECYCLE_EVENTS[action], offer_event(offer))
    if offer.status is OfferStatus.COMPLETED:
        places.complete_members(unit, offer)
    elif offer.status is OfferStatus.STARTED:
        places.release_waitlist(unit, offer)
    elif offer.status is OfferStatus.CANCELLED:
        places.end_enrolments(unit, offer)
    return _shown(unit, offer_id)
