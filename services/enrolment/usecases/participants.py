"""Participants: the only records in Convene with names and e-mail addresses.

Their events carry the opaque id, role, PCN, region and leadership experience, nothing more.
"""
import uuid

from shared.api import Call, Page
from shared.auth import Role
from shared.clock import utcnow
from shared.contracts.enrolment import PARTICIPANT_REGISTERED
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
