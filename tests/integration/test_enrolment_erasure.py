"""Right to erasure in enrolment, on both databases: the region's administrator erases a
participant's name and e-mail; the opaque id, role, PCN and enrolments stay; the
`participant.erased` event is queued in the same transaction; nobody else may erase, and
erasing twice is refused with 409."""
import json

from sqlalchemy import select

from services.enrolment.store.tables import participants
from shared.contracts.enrolment import PARTICIPANT_ERASED
from tests.integration.test_enrolment_support import LONDON, SOUTH_WEST, as_role, create_offer, enrol, enrolment, outbox_types, row_counts  # noqa: F401

NAME, EMAIL = "Philippa Quenby-Trask", "philippa.quenby-trask@example.invalid"
PERSON = {"name": NAME, "email": EMAIL, "role": "clinical_director", "pcn_code": "U10001", "leadership_experience": "federation"}


def register_person(enrolment, as_role, **changes) -> str:
    response = enrolment.client.post("/v1/participants", json=PERSON | changes, headers=as_role() | {"Idempotency-Key": "register-philippa"})
    assert response.status_code == 201, response.json
    return response.json["id"]


def everything_in(service) -> str:
    """Every value of every row of every table, as one text to search."""
    with service.runtime.db.read() as conn:
        return "\n".join(repr(tuple(row)) for table in service.runtime.db.metadata.sorted_tables for row in conn.execute(select(table)))


def test_the_regions_administrator_erases_the_name_and_e_mail_and_keeps_id_role_pcn_and_enrolments(enrolment, as_role):
    person = register_person(enrolment, as_role)
    offer_id = create_offer(enrolment.client, as_role())
    assert enrol(enrolment.client, as_role(), offer_id, person).status_code == 201
    assert NAME in everything_in(enrolment) and EMAIL in everything_in(enrolment)

    erased = enrolment.client.delete(f"/v1/participants/{person}", headers=as_role())
    assert (erased.status_code, erased.data) == (204, b"")

    shown = enrolment.client.get(f"/v1/participants/{person}", headers=as_role()).json
    assert (shown["name"], shown["email"]) == ("(erased)", f"erased-{person}@erased.invalid")
    assert (shown["id"], shown["role"], shown["pcn_code"], shown["region"], shown["leadership_experience"]) == (person, "clinical_director", "U10001", LONDON, "federation")
    places = enrolment.client.get(f"/v1/participants/{person}/enrolments", headers=as_role()).json["items"]
    assert [(p["offer_id"], p["status"]) for p in places] == [(offer_id, "confirmed")]
    stored = everything_in(enrolment)
    assert NAME not in stored and EMAIL not in stored, "the name or e-mail survived somewhere (the idempotency table keeps response bodies)"
    assert "Quenby" not in stored and "philippa" not in stored.lower()

    assert outbox_types(enrolment)[-1] == PARTICIPANT_ERASED.type
    outbox = enrolment.runtime.db.tables.outbox
    with enrolment.runtime.db.read() as conn:
        value, key = conn.execute(select(outbox.c.value, outbox.c.key).where(outbox.c.event_type == PARTICIPANT_ERASED.type)).one()
    data = json.loads(value)
    assert (key, sorted(data), data["participant_id"], data["region"]) == (person, ["erased_at", "participant_id", "region"], person, LONDON)


def test_erasing_twice_is_a_conflict_and_queues_no_second_event(enrolment, as_role):
    person = register_person(enrolment, as_role)
    assert enrolment.client.delete(f"/v1/participants/{person}", headers=as_role()).status_code == 204
    before = row_counts(enrolment)
    again = enrolment.client.delete(f"/v1/participants/{person}", headers=as_role())
    assert (again.status_code, again.json["rule"]) == (409, "participant_already_erased")
    assert again.mimetype == "application/problem+json"
    assert outbox_types(enrolment).count(PARTICIPANT_ERASED.type) == 1
    counts = row_counts(enrolment)
    assert {k: v for k, v in counts.items() if k != "audit_log"} == {k: v for k, v in before.items() if k != "audit_log"}


def test_nobody_else_may_erase_and_another_regions_administrator_is_told_there_is_no_such_participant(enrolment, as_role):
    person = register_person(enrolment, as_role)
    before = row_counts(enrolment)
    other_region = enrolment.client.delete(f"/v1/participants/{person}", headers=as_role(region=SOUTH_WEST))
    assert (other_region.status_code, other_region.json["rule"]) == (404, "participant_not_found")
    unknown = enrolment.client.delete("/v1/participants/no-such-person", headers=as_role())
    assert (unknown.status_code, unknown.json["rule"]) == (404, "participant_not_found")
    for role, region, subject in (("participant", LONDON, person), ("national", None, None), ("facilitator", LONDON, "f1"), ("service", None, None)):
        refused = enrolment.client.delete(f"/v1/participants/{person}", headers=as_role(role, region, subject))
        assert (refused.status_code, refused.json["rule"]) == (403, "role_not_allowed"), role
    after = row_counts(enrolment)
    assert {k: v for k, v in after.items() if k != "audit_log"} == {k: v for k, v in before.items() if k != "audit_log"}
    with enrolment.runtime.db.read() as conn:
        assert conn.execute(select(participants.c.name, participants.c.email).where(participants.c.id == person)).one() == (NAME, EMAIL)


def test_an_erased_e_mail_address_may_be_registered_again_as_a_new_participant(enrolment, as_role):
    first = register_person(enrolment, as_role)
    assert enrolment.client.delete(f"/v1/participants/{first}", headers=as_role()).status_code == 204
    again = enrolment.client.post("/v1/participants", json=PERSON, headers=as_role())
    assert again.status_code == 201 and again.json["id"] != first and again.json["email"] == EMAIL
