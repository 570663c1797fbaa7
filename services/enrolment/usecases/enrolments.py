"""Enrolments: admitting one participant or a PCN's team, withdrawing, and reading rosters.

An admission locks the offer's row, reads the places taken and waitlist length the row keeps,
inserts and moves those counts: capacity is decided one request at a time, so it is never
exceeded and waitlist positions never collide.
"""

import uuid

from services.enrolment.domain.enrolments import Admission, TeamMember, admit, admit_team
from services.enrolment.domain.offers import Offer
from services.enrolment.personal import is_erased
from services.enrolment.store import enrolments as store
from services.enrolment.store import offers as offer_store
from services.enrolment.store import participants as participant_store
from services.enrolment.usecases import notifications, offers, participants, places
from services.enrolment.usecases.access import not_found, sees_enrolment, sees_offer
from shared.auth import Role
from shared.clock import utcnow
from shared.contracts.vocabulary import NATIONAL, WithdrawalReason
from shared.errors import Conflict, Forbidden, NotFound
from shared.paging import Page
from shared.unit import Unit


def _person(unit: Unit, person, field: str):
    """A participant the caller may enrol: themselves, or (an administrator) one of their
    region; never an erased one (erasure ended their places for good).

    An administrator may not learn that a person of another region exists, so an unknown id
    and another region's person get the same 404; its detail names the rule that both break
    (the id is nobody of your region) without saying which it is. A person of your region in
    another PCN is yours to know about: the domain names that rule (`wrong_pcn`)."""
    principal = unit.principal
    if person is None or (principal.role is Role.REGIONAL_ADMIN and person["region"] != principal.region):
        detail = (
            "No participant of your region has this id: you enrol only your own region's people."
            if principal.role is Role.REGIONAL_ADMIN
            else "No participant has this id."
        )
        raise NotFound("participant_not_found", detail, field=field)
    if is_erased(person):
        raise Conflict(
            "participant_erased", "This participant's personal data is erased: they cannot be enrolled.", field=field
        )
    return person


def enrol(unit: Unit, offer_id: str, participant_id: str) -> dict:
    if unit.principal.role is Role.PARTICIPANT and participant_id != unit.principal.subject:
        raise Forbidden("own_enrolment_only", "A participant may enrol only themselves.", field="participant_id")
    # The participant before the offer: the lock order of erasure (store.participants).
    found = participant_store.participant(unit.conn, participant_id, lock="share")
    row = offers.offer_for_enrolment(unit, offer_id)
    offer = offer_store.as_offer(row)
    person = _person(unit, found, "participant_id")
    admission = admit(
        offer,
        participant_region=person["region"],
        participant_pcn=person["pcn_code"],
        holds_place=store.holds_place(unit.conn, offer_id, participant_id),
        confirmed_count=row["places_taken"],
        waitlist_length=row["waitlist_length"],
    )
    return _add(unit, offer, [person], [admission])[0]


def enrol_team(unit: Unit, offer_id: str, participant_ids: list[str]) -> dict:
    """A PCN's team, confirmed whole or refused (`team_does_not_fit`): every member is checked,
    and the team must fit in the free places with nobody waiting, before anyone is placed."""
    found = participant_store.by_ids(unit.conn, participant_ids, lock="share")
    row = offers.offer_for_enrolment(unit, offer_id)
    offer = offer_store.as_offer(row)
    people = [_person(unit, found.get(pid), f"participant_ids[{i}]") for i, pid in enumerate(participant_ids)]
    held = store.holders(unit.conn, offer_id, participant_ids)
    members = [TeamMember(p["id"], p["region"], p["pcn_code"], p["id"] in held) for p in people]
    admissions = admit_team(offer, members, confirmed_count=row["places_taken"], waitlist_length=row["waitlist_length"])
    return {"items": _add(unit, offer, people, admissions)}


def _add(unit: Unit, offer: Offer, people: list, admissions: list[Admission]) -> list[dict]:
    now = utcnow()
    rows = [
        {
            "id": str(uuid.uuid4()),
            "offer_id": offer.id,
            "participant_id": person["id"],
            "status": admission.status.value,
            "waitlist_position": admission.waitlist_position,
            "requested_at": now,
            "updated_at": now,
        }
        for person, admission in zip(people, admissions)
    ]
    store.insert_enrolments(unit.conn, rows)
    for row, person in zip(rows, people):
        event_type, data = places.ADMISSION_EVENTS[row["status"]], places.enrolment_event(offer, row, person)
        notifications.enrolment_changed(unit, event_type, unit.record(event_type, data), data, person=person)
    return rows


def withdraw(unit: Unit, enrolment_id: str) -> dict:
    found = store.enrolment(unit.conn, enrolment_id)
    if found is None or not sees_enrolment(unit.principal, found):
        raise not_found("enrolment")
    offer, members = _locked_members(unit, found["offer_id"])
    # Read again under the offer's lock: a concurrent request may have withdrawn it already.
    members.setdefault(enrolment_id, store.enrolment(unit.conn, enrolment_id))
    return places.withdraw(unit, offer, members, enrolment_id)


def withdraw_everywhere(unit: Unit, participant_id: str) -> list[dict]:
    """Erasure: withdraw every place and waitlist position the participant holds, each exactly
    as a withdrawal (a freed place goes to the first waitlisted, with the usual events)."""
    withdrawn = []
    for held in store.active_of_participant(unit.conn, participant_id):
        offer, members = _locked_members(unit, held["offer_id"])
        if held["id"] in members:  # still active under the offer's lock
            withdrawn.append(places.withdraw(unit, offer, members, held["id"], WithdrawalReason.PARTICIPANT_ERASED))
    return withdrawn


def _locked_members(unit: Unit, offer_id: str) -> tuple[Offer, dict]:
    """The offer, locked until the transaction ends, and its active enrolments by id."""
    offer = offer_store.as_offer(offer_store.offer(unit.conn, offer_id, lock=True))
    return offer, {m["id"]: m for m in store.members(unit.conn, offer.id)}


def roster(unit: Unit, offer_id: str, query: dict) -> Page:
    """Members and waitlist; of a national offer, a regional administrator sees their region's people."""
    offer = offer_store.offer(unit.conn, offer_id)
    if offer is None or not sees_offer(unit.principal, offer):
        raise not_found("offer")
    national_for_region = unit.principal.role is Role.REGIONAL_ADMIN and offer["region"] == NATIONAL
    rows, total = store.roster_page(
        unit.conn,
        offer_id,
        participant_region=unit.principal.region if national_for_region else None,
        status=query.get("status"),
        limit=query["limit"],
        offset=query["offset"],
    )
    return Page.of(rows, total, query)


def of_participant(unit: Unit, participant_id: str, query: dict) -> Page:
    participants.get(unit, participant_id)
    rows, total = store.participant_page(unit.conn, participant_id, limit=query["limit"], offset=query["offset"])
    return Page.of(rows, total, query)
