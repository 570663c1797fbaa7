"""Personal data never enters an event: no event type's data schema has a field whose name
suggests personal data or free text, and every free (unconstrained) string field is an opaque id
or a reviewed exception. A new field of either kind fails here until it is reviewed and, if
legitimate, allow-listed below with the reason."""

import re

import pytest

from shared.asyncapi import event_json_schema
from shared.contracts.registry import event_types

# Words that, as a part of a field name, suggest personal data or free text.
SUSPECT_WORDS = {
    "name",
    "names",
    "firstname",
    "forename",
    "forenames",
    "surname",
    "lastname",
    "fullname",
    "initials",
    "email",
    "mail",
    "phone",
    "mobile",
    "telephone",
    "tel",
    "fax",
    "address",
    "postcode",
    "street",
    "birth",
    "dob",
    "age",
    "gender",
    "sex",
    "ethnicity",
    "nhs",
    "ni",
    "contact",
    "comment",
    "comments",
    "text",
    "free",
    "notes",
    "note",
    "message",
    "remarks",
    "description",
    "details",
    "body",
    "title",
    "topic",
    "venue",
    "other",
    "needs",
}
# Fragments that give a field away wherever they appear in its name (participantemail, contact_no…).
SUSPECT_FRAGMENTS = ("name", "mail", "phone", "addr", "comment", "text", "note", "birth")

# Reviewed exceptions: (event type or "*", field path) → why the field carries no personal data.
ALLOWED_NAMES = {
    (
        "org.convene.enrolment.offer.*",
        "title",
    ): "an offer's title, set by the regional team: names a programme, not a person",
    (
        "org.convene.scheduling.session.*",
        "topic",
    ): "a session's topic, chosen by co-design from the common development needs",
}
# Free strings (no enum, pattern or format) other than opaque ids, reviewed.
ALLOWED_FREE_STRINGS = {
    ("org.convene.enrolment.offer.*", "title"): "see ALLOWED_NAMES",
    ("org.convene.scheduling.session.*", "topic"): "see ALLOWED_NAMES",
    ("org.convene.feedback.summary.updated.v1", "scope_key"): "built from scope, region or offer type, and period",
    ("org.convene.feedback.summary.updated.v1", "period"): "`all` or a month, YYYY-MM",
    ("org.convene.feedback.summary.updated.v1", "region"): "a region code",
    ("org.convene.feedback.summary.updated.v1", "offer_type"): "an offer type",
}
OPAQUE_ID = re.compile(r"(^|_)id$")


def fields_of(schema: dict, path: str = ""):
    """(path, JSON Schema) of every property, nested objects, arrays and maps included."""
    for name, inner in schema.get("properties", {}).items():
        inner_path = f"{path}.{name}" if path else name
        yield inner_path, inner
        yield from fields_of(inner, inner_path)
    if isinstance(schema.get("items"), dict):
        yield from fields_of(schema["items"], path + "[]")
    if isinstance(schema.get("additionalProperties"), dict):
        yield from fields_of(schema["additionalProperties"], path + ".{key}")


def every_field():
    return [
        (event_type, path, schema)
        for event_type, declared in sorted(event_types().items())
        for path, schema in fields_of(event_json_schema(declared))
    ]


def suggests_personal_data(field_name: str) -> bool:
    words = field_name.lower().split("_")
    return bool(set(words) & SUSPECT_WORDS) or any(fragment in field_name.lower() for fragment in SUSPECT_FRAGMENTS)


def allowed(table: dict, event_type: str, path: str) -> bool:
    return any(
        path == field and (event_type == pattern or (pattern.endswith("*") and event_type.startswith(pattern[:-1])))
        for pattern, field in table
    )


def is_free_string(schema: dict) -> bool:
    kinds = schema.get("type")
    kinds = [kinds] if isinstance(kinds, str) else kinds or []
    return "string" in kinds and not {"enum", "pattern", "format", "const"} & set(schema)


def test_the_checker_recognises_the_usual_names_of_personal_data_and_free_text():
    for name in (
        "name",
        "first_name",
        "surname",
        "participant_name",
        "email",
        "e_mail",
        "email_address",
        "phone",
        "mobile_number",
        "home_address",
        "postcode",
        "comment",
        "free_text",
        "text",
        "notes",
        "date_of_birth",
        "nhs_number",
        "other_needs",
        "contact",
    ):
        assert suggests_personal_data(name), name
    for name in (
        "participant_id",
        "region",
        "pcn_code",
        "role",
        "offer_type",
        "overall",
        "ratings",
        "status",
        "sequence",
        "respondents",
    ):
        assert not suggests_personal_data(name), name


def test_the_checker_reads_every_event_type_and_its_nested_fields():
    found = {(event_type, path) for event_type, path, _ in every_field()}
    assert len({event_type for event_type, _ in found}) == len(event_types())
    assert ("org.convene.feedback.summary.updated.v1", "measures.{key}.mean") in found


@pytest.mark.parametrize("event_type", sorted(event_types()))
def test_no_event_field_suggests_personal_data_unless_reviewed(event_type):
    suspect = [
        path
        for t, path, _ in every_field()
        if t == event_type and suggests_personal_data(path.rsplit(".", 1)[-1]) and not allowed(ALLOWED_NAMES, t, path)
    ]
    assert suspect == [], (
        f"{event_type}: {suspect} look like personal data or free text; events carry opaque ids, role, PCN and "
        "region only"
    )


@pytest.mark.parametrize("event_type", sorted(event_types()))
def test_every_free_string_field_of_an_event_is_an_opaque_id_or_reviewed(event_type):
    free = [path for t, path, schema in every_field() if t == event_type and is_free_string(schema)]
    unreviewed = [
        path
        for path in free
        if not OPAQUE_ID.search(path.rsplit(".", 1)[-1]) and not allowed(ALLOWED_FREE_STRINGS, event_type, path)
    ]
    assert unreviewed == [], (
        f"{event_type}: free strings {unreviewed} could carry names or free text; constrain them or review them here"
    )


def test_every_exception_in_the_allow_lists_is_still_declared():
    declared = {(event_type, path) for event_type, path, _ in every_field()}
    for table in (ALLOWED_NAMES, ALLOWED_FREE_STRINGS):
        for pattern, field in table:
            assert any(allowed({(pattern, field): ""}, event_type, path) for event_type, path in declared), (
                pattern,
                field,
            )
