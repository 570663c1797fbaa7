"""Participants: the only records in Convene with names and e-mail addresses.

Their events carry the opaque id, role, PCN, region and leadership experience, nothing more.
Erasure replaces the name and e-mail by markers and keeps the rest, so figures stay.
"""
import uuid

from shared.api import Call, Page
from shared.auth import Role
from shared.clock import utcnow
from shared.contracts.enrolment import PARTICIPANT_ERASED, PARTICIPANT_REGISTERED
from shared.errors import Conflict
from services.enrolment import domain
from services.enrolment.store import participants as store
from services.enrolment.store import reference
from services.enrolment.usecases.access import not_found, sees_participant


def register(call: Call, body: dict) -> dict:
    pcn = reference.pcn(call.conn, body["pcn_code"])
    practice = reference.practice(call.conn, body["practice_code"]) if body["practice_code"] else None
    region = domain.place_participant(
        pcn_code=body["pcn_code"],
        pcn_region=pcn and pcn["region"],
        practice_code=body["practice_code"],
        practice_pcn=practice and practice["pcn_code"],
        scope_region=call.principal.region,
    )
    participant = {**body, "id": str(uuid.uuid4()), "email": body["email"].lower(), "created_at": utcnow()}
    if not store.insert_participant(call.conn, participant):
        raise Conflict("email_taken", "That e-mail address is already registered.", field="email")
    call.record(PARTICIPANT_REGISTERED, {"participant_id": participant["id"], "region": region, **{k: body[k] for k in ("pcn_code", "role", "leadership_experience")}})
    return {**participant, "region": region}


ERASED_NAME = "(erased)"
ERASED_EMAIL_DOMAIN = "erased.invalid"  # .invalid: reserved, never deliverable (RFC 2606)


def erased_email(participant_id: str) -> str:
    """The e-mail marker of an erased participant: unique (the column is), and built from the
    opaque id alone."""
    return f"erased-{participant_id}@{ERASED_EMAIL_DOMAIN}"


def is_erased(participant) -> bool:
    return participant["email"] == erased_email(participant["id"])


def erase(call: Call, participant_id: str) -> None:
    """Right to erasure: the name and e-mail go; the opaque id, role, PCN, practice, leadership
    experience and enrolments stay. Every service hears `participant.erased` and forgets or
    anonymises what it holds. Erasing again answers 409 `participant_already_erased`."""
    participant = store.participant(call.conn, participant_id)
    if participant is None or call.principal.role is not Role.REGIONAL_ADMIN or participant["region"] != call.principal.region:
        raise not_found("participant")
    already = Conflict("participant_already_erased", "This participant's personal data is already erased.")
    if is_erased(participant):
        raise already
    if not store.erase_personal_data(call.conn, participant_id, name=ERASED_NAME, email=erased_email(participant_id)):
        raise already  # a concurrent erasure committed first
    store.forget_registration_replays(call.conn, call.runtime.db.tables.idempotency, participant_id)
    call.record(PARTICIPANT_ERASED, {"participant_id": participant_id, "region": participant["region"], "erased_at": utcnow()})


def get(call: Call, participant_id: str):
    participant = store.participant(call.conn, participant_id)
    if participant is None or not sees_participant(call.principal, participant):
        raise not_found("participant")
    return participant


def participant_page(call: Call, query: dict) -> Page:
    principal = call.principal
    is_participant = principal.role is Role.PARTICIPANT
    rows, total = store.participant_page(
        call.conn,
        region=None if is_participant else principal.region,
        only_id=principal.subject if is_participant else None,
        pcn_code=query.get("pcn"),
        role=query.get("role"),
        limit=query["limit"],
        offset=query["offset"],
    )
    return Page(rows, total, query["limit"], query["offset"])
