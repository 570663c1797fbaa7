"""What fuzzing the OpenAPI documents found, kept fixed on both databases: requests that used
to end in a server error are refused as the client's mistake, naming where it is, with
nothing written."""

from __future__ import annotations

import pytest

from tests.harness import RunningService, service_environment
from tests.integration.test_enrolment_support import CAMDEN, row_counts, start_enrolment
from tests.integration.test_scheduling_support import Scheduling

PERSON = {
    "name": "A B",
    "email": "a.b@example.invalid",
    "role": "gp",
    "pcn_code": CAMDEN,
    "leadership_experience": "none",
}
OFFER = {
    "offer_type": "action_learning_set",
    "title": "Set",
    "capacity": 8,
    "basis": "project",
    "starts_on": "2027-01-04",
    "ends_on": "2027-06-28",
    "planned_sessions": 6,
}


@pytest.fixture
def enrolment(databases, kafka_bootstrap, topic_prefix, signing_keys, make_token):
    service = start_enrolment(databases.new("enrolment"), kafka_bootstrap, topic_prefix, signing_keys[1])
    service.headers = {"Authorization": "Bearer " + make_token("regional_admin", "Y56", "admin-Y56")}
    yield service
    service.stop()


@pytest.mark.parametrize(
    "method, path, body, headers, field",
    [
        ("GET", "/v1/participants?pcn=U1%000001", None, {}, "pcn"),
        ("GET", "/v1/offers/of%00fer", None, {}, "offer_id"),
        ("POST", "/v1/participants", PERSON | {"name": "A\x00B"}, {}, "name"),
        (
            "POST",
            "/v1/participants",
            '{"name": "A \\udaf7", "email": "a@example.invalid", "role": "gp", "pcn_code": "U10001", '
            '"leadership_experience": "none"}',
            {},
            "name",
        ),
        ("POST", "/v1/offers", OFFER, {"Idempotency-Key": "key\x00"}, "Idempotency-Key"),
        ("POST", "/v1/offers/x/team-enrolments", {"participant_ids": ["ok", "n\x00t"]}, {}, "participant_ids.1"),
    ],
)
def test_text_with_a_nul_or_an_unpaired_surrogate_is_refused_naming_where_it_is(
    enrolment, method, path, body, headers, field
):
    before = row_counts(enrolment)
    options = {"data": body, "content_type": "application/json"} if isinstance(body, str) else {"json": body}
    response = enrolment.client.open(path, method=method, headers=enrolment.headers | headers, **options)
    assert (response.status_code, response.json["rule"], response.json["errors"][0]["field"]) == (
        400,
        "unstorable_text",
        field,
    )
    assert row_counts(enrolment) == before


@pytest.mark.parametrize("depth, rule", [(25, "too_deeply_nested"), (100_000, "malformed_json")])
def test_a_body_nested_deeper_than_any_schema_is_refused(enrolment, depth, rule):
    body = '{"participant_ids": ' + "[" * depth + "]" * depth + "}"
    response = enrolment.client.post(
        "/v1/offers/x/team-enrolments", data=body, content_type="application/json", headers=enrolment.headers
    )
    assert (response.status_code, response.json["rule"]) == (400, rule)


def test_a_session_starting_after_2099_is_refused_rather_than_overflowing_the_calendar(
    databases, kafka_bootstrap, topic_prefix, signing_keys, make_token
):
    service = RunningService(
        "scheduling", service_environment(databases.new("scheduling"), kafka_bootstrap, topic_prefix, signing_keys[1])
    )
    try:
        scheduling = Scheduling(service, make_token)
        offer_id = scheduling.publish_offer()
        response = scheduling.schedule(offer_id, {"starts_at": "9999-12-31T23:59", "duration_minutes": 120})
        assert (response.status_code, response.json["errors"][0]["field"]) == (422, "starts_at")
        assert (
            scheduling.schedule(offer_id, {"starts_at": "2099-12-31T10:00", "duration_minutes": 120}).status_code == 201
        )
    finally:
        service.stop()
