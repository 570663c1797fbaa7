"""Participants: the only records in Convene with names and e-mail addresses, stored only
sealed under each participant's own data key (services.enrolment.personal); every read opens
them, and an erased participant reads as the erasure markers (usecases.erasure).

Their events carry the opaque id, role, PCN, region and leadership experience, nothing more.
"""

import uuid

from sqlalchemy import Connection

from services.enrolment import personal
from services.enrolment.domain.participants import place_participant
from services.enrolment.store import participants as store
from services.enrolment.store import reference
from services.enrolment.usecases.access import not_found, sees_participant
from shared import data_keys
from shared.auth import Role
from shared.clock import utcnow
from shared.contracts.enrolment import PARTICIPANT_REGISTERED
from shared.errors import Conflict
from shared.paging import Page
from shared.sealing import new_data_key
from shared.unit import Unit


def email_index(conn: Connection, email: str) -> str:
    return personal.email_index(data_keys.service_key(conn, personal.EMAIL_INDEX_KEY), email)


def register(unit: Unit, body: dict, *, participant_id: str | None = None) -> dict:
    """A new participant, with a new random id (the demo alone names the id of its demo people)."""
    pcn = reference.pcn(unit.conn, body["pcn_code"])
    practice = reference.practice(unit.conn, body["practice_code"]) if body["practice_code"] else None
    region = place_participant(
        pcn_code=body["pcn_code"],
        pcn_region=pcn and pcn["region"],
        practice_code=body["practice_code"],
        practice_pcn=practice and practice["pcn_code"],
        scope_region=unit.principal.region,
    )
    participant_id = participant_id or str(uuid.uuid4())
    facts = {name: body[name] for name in ("role", "pcn_code", "practice_code", "leadership_experience")}
    stored = {
        **facts,
        "id": participant_id,
        "created_at": utcnow(),
        "email_index": email_index(unit.conn, body["email"]),
    }
    data_key = new_data_key()
    if not store.insert_participant(
        unit.conn, stored | personal.sealed_columns(data_key, participant_id, body["name"], body["email"])
    ):
        raise Conflict("email_taken", "That e-mail address is already registered.", field="email")
    data_keys.keep(unit.conn, participant_id, data_key)
    unit.record(
        PARTICIPANT_REGISTERED,
        {
            "participant_id": participant_id,
            "region": region,
            **{k: body[k] for k in ("pcn_code", "role", "leadership_experience")},
        },
    )
    return {**stored, "name": body["name"], "email": personal.normalised_email(body["email"]), "region": region}


def registered(conn: Connection, email: str) -> bool:
    """Is this e-mail address registered (to a participant not erased)?"""
    return store.email_registered(conn, email_index(conn, email))


def readable(conn: Connection, row) -> dict:
    """A participant as the API shows them: name and e-mail opened, or the erasure markers."""
    return personal.shown(row, data_keys.unwrap(conn, row["id"], row["wrapped_key"]))


def get(unit: Unit, participant_id: str) -> dict:
    participant = store.participant(unit.conn, participant_id)
    if participant is None or not sees_participant(unit.principal, participant):
        raise not_found("participant")
    return readable(unit.conn, participant)


def replay_registration(unit: Unit, participant_id: str) -> dict:
    """The answer to a repeated registration (same Idempotency-Key): the participant as they
    are now, read afresh, because the key table keeps only the id, never a name or e-mail."""
    return get(unit, participant_id)


def participant_page(unit: Unit, query: dict) -> Page:
    principal = unit.principal
    is_participant = principal.role is Role.PARTICIPANT
    rows, total = store.participant_page(
        unit.conn,
        region=None if is_participant else principal.region,
        only_id=principal.subject if is_participant else None,
        pcn_code=query.get("pcn"),
        role=query.get("role"),
        limit=query["limit"],
        offset=query["offset"],
        email_index=email_index(unit.conn, query["email"]) if query.get("email") else None,
        erased=query.get("erased"),
    )
    return Page.of([readable(unit.conn, row) for row in rows], total, query)
