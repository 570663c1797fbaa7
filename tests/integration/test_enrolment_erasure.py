"""Right to erasure in enrolment, on both databases.

Names and e-mails are stored only sealed under the participant's own data key, so no table
ever holds them in the clear, while every read shows them. The region's administrator erases
a participant: their places end exactly as withdrawals (the first waitlisted person is
promoted, with the usual events), the data key is destroyed and the sealed columns emptied;
the opaque id, role, PCN and enrolment history stay; `participant.erased` is queued in the
same transaction. Nobody else may erase, erasing twice is refused with 409, an erased
participant cannot be enrolled again, and their address may be registered anew.
"""

import json

from sqlalchemy import select

from services.enrolment.store.tables import data_keys
from shared.contracts.enrolment import ENROLMENT_PROMOTED, ENROLMENT_WITHDRAWN, PARTICIPANT_ERASED
from tests.integration.test_enrolment_support import (  # noqa: F401
    LONDON,
    SOUTH_WEST,
    as_role,
    create_offer,
    enrol,
    enrolment,
    outbox_types,
    register,
    row_counts,
)

NAME, EMAIL = "Philippa Quenby-Trask", "philippa.quenby-trask@example.invalid"
PERSON = {
    "name": NAME,
    "email": EMAIL,
    "role": "clinical_director",
    "pcn_code": "U10001",
    "leadership_experience": "federation",
}


def register_person(enrolment, headers: dict, **changes) -> str:
    response = enrolment.client.post(
        "/v1/participants", json=PERSON | changes, headers=headers | {"Idempotency-Key": "register-1"}
    )
    assert response.status_code == 201, response.json
    return response.json["id"]


def everything_in(service) -> str:
    """Every value of every row of every table, as one text to search."""
    with service.runtime.db.read() as conn:
        return "\n".join(
            repr(tuple(row))
            for table in service.runtime.db.metadata.sorted_tables
            for row in conn.execute(select(table))
        )


def has_data_key(service, participant_id: str) -> bool:
    with service.runtime.db.read() as conn:
        return (
            conn.execute(select(data_keys.c.record_id).where(data_keys.c.record_id == participant_id)).first()
            is not None
        )


def events_of(service, event_type) -> list[dict]:
    outbox = service.runtime.db.tables.outbox
    with service.runtime.db.read() as conn:
        return [
            json.loads(value)
            for value in conn.execute(
                select(outbox.c.value).where(outbox.c.event_type == event_type.type).order_by(outbox.c.id)
            ).scalars()
        ]


def test_names_and_e_mails_are_read_as_given_but_never_stored_in_the_clear(enrolment, as_role):
    admin = as_role()  # one token: a key is remembered per subject
    person = register_person(enrolment, admin)
    shown = enrolment.client.get(f"/v1/participants/{person}", headers=as_role()).json
    assert (shown["name"], shown["email"]) == (NAME, EMAIL)
    assert [
        (p["name"], p["email"]) for p in enrolment.client.get("/v1/participants", headers=as_role()).json["items"]
    ] == [(NAME, EMAIL)]
    stored = everything_in(enrolment).lower()
    assert "quenby" not in stored and "philippa" not in stored, "a name or e-mail is stored in the clear"
    # A repeated registration answers from the participant row: the key table keeps only the id.
    again = enrolment.client.post("/v1/participants", json=PERSON, headers=admin | {"Idempotency-Key": "register-1"})
    assert (again.status_code, again.headers["Idempotent-Replayed"], again.json["name"], again.json["email"]) == (
        201,
        "true",
        NAME,
        EMAIL,
    )


def test_the_regions_administrator_erases_the_name_and_e_mail_and_keeps_id_role_pcn_and_history(enrolment, as_role):
    admin = as_role()
    person = register_person(enrolment, admin)
    offer_id = create_offer(enrolment.client, as_role())
    assert enrol(enrolment.client, as_role(), offer_id, person).status_code == 201
    assert has_data_key(enrolment, person)

    erased = enrolment.client.delete(f"/v1/participants/{person}", headers=as_role())
    assert (erased.status_code, erased.data) == (204, b"")

    shown = enrolment.client.get(f"/v1/participants/{person}", headers=as_role()).json
    assert (shown["name"], shown["email"]) == ("(erased)", f"erased-{person}@erased.invalid")
    assert (shown["id"], shown["role"], shown["pcn_code"], shown["region"], shown["leadership_experience"]) == (
        person,
        "clinical_director",
        "U10001",
        LONDON,
        "federation",
    )
    places = enrolment.client.get(f"/v1/participants/{person}/enrolments", headers=as_role()).json["items"]
    assert [(p["offer_id"], p["status"]) for p in places] == [(offer_id, "withdrawn")]
    assert not has_data_key(enrolment, person), "the data key must be destroyed"
    replayed = enrolment.client.post("/v1/participants", json=PERSON, headers=admin | {"Idempotency-Key": "register-1"})
    assert (replayed.status_code, replayed.json["id"], replayed.json["name"]) == (201, person, "(erased)")

    assert outbox_types(enrolment)[-2:] == [ENROLMENT_WITHDRAWN.type, PARTICIPANT_ERASED.type]
    outbox = enrolment.runtime.db.tables.outbox
    with enrolment.runtime.db.read() as conn:
        value, key = conn.execute(
            select(outbox.c.value, outbox.c.key).where(outbox.c.event_type == PARTICIPANT_ERASED.type)
        ).one()
    data = json.loads(value)
    assert (key, sorted(data), data["participant_id"], data["region"]) == (
        person,
        ["erased_at", "participant_id", "region"],
        person,
        LONDON,
    )


def test_erasure_ends_places_as_withdrawals_do_and_the_first_waitlisted_is_promoted(enrolment, as_role):
    admin = as_role()
    person = register_person(enrolment, admin)
    other, first, second = (register(enrolment.client, admin, n=n) for n in (1, 2, 3))
    full = create_offer(enrolment.client, admin, capacity=2)
    queued = create_offer(enrolment.client, admin, capacity=1, title="Another set")
    statuses = [enrol(enrolment.client, admin, full, p).json["status"] for p in (person, other, first, second)]
    assert statuses == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    assert [enrol(enrolment.client, admin, queued, p).json["status"] for p in (other, person)] == [
        "confirmed",
        "waitlisted",
    ]

    assert enrolment.client.delete(f"/v1/participants/{person}", headers=admin).status_code == 204

    def roster(offer_id):
        items = enrolment.client.get(f"/v1/offers/{offer_id}/enrolments", headers=admin).json["items"]
        return [(e["participant_id"], e["status"], e["waitlist_position"]) for e in items]

    assert roster(full) == [
        (other, "confirmed", None),
        (first, "confirmed", None),
        (second, "waitlisted", 1),
        (person, "withdrawn", None),
    ]
    assert roster(queued) == [(other, "confirmed", None), (person, "withdrawn", None)]
    offer = enrolment.client.get(f"/v1/offers/{full}", headers=admin).json
    assert (offer["places_taken"], offer["waitlist_length"]) == (2, 1)
    assert sorted((e["offer_id"], e["participant_id"]) for e in events_of(enrolment, ENROLMENT_WITHDRAWN)) == sorted(
        [(full, person), (queued, person)]
    )
    assert [(e["offer_id"], e["participant_id"]) for e in events_of(enrolment, ENROLMENT_PROMOTED)] == [(full, first)]
    assert outbox_types(enrolment)[-1] == PARTICIPANT_ERASED.type

    refused = enrol(enrolment.client, admin, full, person)
    assert (refused.status_code, refused.json["rule"]) == (409, "participant_erased")


def test_erasing_twice_is_a_conflict_and_queues_no_second_event(enrolment, as_role):
    person = register_person(enrolment, as_role())
    assert enrolment.client.delete(f"/v1/participants/{person}", headers=as_role()).status_code == 204
    before = row_counts(enrolment)
    again = enrolment.client.delete(f"/v1/participants/{person}", headers=as_role())
    assert (again.status_code, again.json["rule"]) == (409, "participant_already_erased")
    assert again.mimetype == "application/problem+json"
    assert outbox_types(enrolment).count(PARTICIPANT_ERASED.type) == 1
    counts = row_counts(enrolment)
    assert {k: v for k, v in counts.items() if k != "audit_log"} == {
        k: v for k, v in before.items() if k != "audit_log"
    }


def test_nobody_else_may_erase_and_another_regions_administrator_is_told_there_is_no_such_participant(
    enrolment, as_role
):
    person = register_person(enrolment, as_role())
    before = row_counts(enrolment)
    other_region = enrolment.client.delete(f"/v1/participants/{person}", headers=as_role(region=SOUTH_WEST))
    assert (other_region.status_code, other_region.json["rule"]) == (404, "participant_not_found")
    unknown = enrolment.client.delete("/v1/participants/no-such-person", headers=as_role())
    assert (unknown.status_code, unknown.json["rule"]) == (404, "participant_not_found")
    for role, region, subject in (
        ("participant", LONDON, person),
        ("national", None, None),
        ("facilitator", LONDON, "f1"),
        ("service", None, None),
    ):
        refused = enrolment.client.delete(f"/v1/participants/{person}", headers=as_role(role, region, subject))
        assert (refused.status_code, refused.json["rule"]) == (403, "role_not_allowed"), role
    after = row_counts(enrolment)
    assert {k: v for k, v in after.items() if k != "audit_log"} == {k: v for k, v in before.items() if k != "audit_log"}
    shown = enrolment.client.get(f"/v1/participants/{person}", headers=as_role()).json
    assert (shown["name"], shown["email"]) == (NAME, EMAIL) and has_data_key(enrolment, person)


def test_an_erased_e_mail_address_may_be_registered_again_as_a_new_participant(enrolment, as_role):
    first = register_person(enrolment, as_role())
    assert enrolment.client.delete(f"/v1/participants/{first}", headers=as_role()).status_code == 204
    again = enrolment.client.post("/v1/participants", json=PERSON | {"email": EMAIL.upper()}, headers=as_role())
    assert again.status_code == 201 and again.json["id"] != first and again.json["email"] == EMAIL
    taken = enrolment.client.post("/v1/participants", json=PERSON, headers=as_role())
    assert (taken.status_code, taken.json["rule"]) == (409, "email_taken")
