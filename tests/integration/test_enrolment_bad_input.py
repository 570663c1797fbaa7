"""Bad input is refused with a problem+json that names the broken rule, and nothing is written:
every table, the outbox included, holds exactly the rows it held before the request."""

import pytest

from tests.integration.test_enrolment_support import (
    CAMDEN,
    EPCN_CSV,
    EXETER,
    LEWISHAM,
    PRACTICE_MAP_CSV,
    SOUTH_WEST,
    as_role,  # noqa: F401 (fixture)
    create_offer,
    enrol,
    enrolment,  # noqa: F401 (fixture)
    offer_body,
    register,
    row_counts,
)


def refused(service, send, status: int, rule: str, field: str | None = None) -> dict:
    """Send a request and check it is refused with `rule` (naming `field`) and leaves every table as it was."""
    before = row_counts(service)
    response = send()
    assert response.status_code == status, response.json
    assert response.mimetype == "application/problem+json"
    assert response.json["rule"] == rule and rule in response.json["type"]
    if field is not None:
        assert field in [e["field"] for e in response.json.get("errors", [])]
    assert row_counts(service) == before
    return response.json


# --- ODS codes -------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["U1234", "u10001", "P10001", "U10001 ", "10001"])
def test_a_participant_with_a_malformed_pcn_code_is_refused(enrolment, as_role, code):
    body = {
        "name": "Test Person",
        "email": "t@example.invalid",
        "role": "gp",
        "pcn_code": code,
        "leadership_experience": "none",
    }
    refused(
        enrolment,
        lambda: enrolment.client.post("/v1/participants", json=body, headers=as_role()),
        422,
        "invalid_ods_code",
        "pcn_code",
    )


def test_a_participant_with_a_malformed_practice_code_is_refused(enrolment, as_role):
    body = {
        "name": "Test Person",
        "email": "t@example.invalid",
        "role": "gp",
        "pcn_code": CAMDEN,
        "practice_code": "F8301",
        "leadership_experience": "none",
    }
    refused(
        enrolment,
        lambda: enrolment.client.post("/v1/participants", json=body, headers=as_role()),
        422,
        "invalid_ods_code",
        "practice_code",
    )


def test_a_participant_of_an_unknown_pcn_is_refused(enrolment, as_role):
    body = {
        "name": "Test Person",
        "email": "t@example.invalid",
        "role": "gp",
        "pcn_code": "U99999",
        "leadership_experience": "none",
    }
    refused(
        enrolment,
        lambda: enrolment.client.post("/v1/participants", json=body, headers=as_role()),
        404,
        "pcn_not_found",
        "pcn_code",
    )


def test_a_participant_of_another_regions_pcn_is_refused(enrolment, as_role):
    body = {
        "name": "Test Person",
        "email": "t@example.invalid",
        "role": "gp",
        "pcn_code": EXETER,
        "leadership_experience": "none",
    }
    refused(
        enrolment,
        lambda: enrolment.client.post("/v1/participants", json=body, headers=as_role()),
        422,
        "wrong_region",
        "pcn_code",
    )


def test_a_practice_of_another_pcn_is_refused(enrolment, as_role):
    body = {
        "name": "Test Person",
        "email": "t@example.invalid",
        "role": "gp",
        "pcn_code": LEWISHAM,
        "practice_code": "F83011",
        "leadership_experience": "none",
    }
    refused(
        enrolment,
        lambda: enrolment.client.post("/v1/participants", json=body, headers=as_role()),
        422,
        "practice_not_in_pcn",
        "practice_code",
    )


@pytest.mark.parametrize(
    "path", ["/v1/pcns?region=Y57", "/v1/pcns/U1234", "/v1/practices?pcn=X12345", "/v1/offers?region=London"]
)
def test_a_malformed_code_in_a_path_or_filter_is_named(enrolment, as_role, path):
    refused(enrolment, lambda: enrolment.client.get(path, headers=as_role()), 422, "invalid_ods_code")


def test_a_pcn_team_offer_for_a_malformed_pcn_code_is_refused(enrolment, as_role):
    body = offer_body(offer_type="pcn_team", basis=None, pcn_code="U1000")
    refused(
        enrolment,
        lambda: enrolment.client.post("/v1/offers", json=body, headers=as_role()),
        422,
        "invalid_ods_code",
        "pcn_code",
    )


def test_an_ods_import_with_bad_rows_names_each_by_file_and_line_and_imports_nothing(enrolment, as_role):
    epcn = (
        EPCN_CSV.replace('"U20001"', '"U2001"') + '"U99998","NEW PCN","93C","X","2019-07-01","","","","","","",""\r\n'
    )
    practice_map = PRACTICE_MAP_CSV.replace(",Y63,NORTH EAST", ",Y64,NORTH EAST", 1)
    body = {"epcn_csv": epcn, "practice_map_csv": practice_map}
    problem = refused(
        enrolment,
        lambda: enrolment.client.post("/v1/reference-data/imports", json=body, headers=as_role("national", None)),
        422,
        "invalid_ods_file",
    )
    assert [(e["field"], e["line"]) for e in problem["errors"]] == [
        ("epcn_csv", 3),
        ("epcn_csv", 16),
        ("practice_map_csv", 26),
    ]
    assert "PCN ODS code" in problem["errors"][0]["message"] and "YYYYMMDD" in problem["errors"][1]["message"]
    assert "COMM_REGION_CODE" in problem["errors"][2]["message"]


def test_an_ods_practice_map_without_its_region_column_is_refused(enrolment, as_role):
    body = {"epcn_csv": EPCN_CSV, "practice_map_csv": PRACTICE_MAP_CSV.replace(",COMM_REGION_CODE,", ",REGION,", 1)}
    problem = refused(
        enrolment,
        lambda: enrolment.client.post("/v1/reference-data/imports", json=body, headers=as_role("national", None)),
        422,
        "invalid_ods_file",
    )
    assert problem["errors"] == [
        {"field": "practice_map_csv", "line": 1, "message": "the header lacks COMM_REGION_CODE."}
    ]


# --- Offers -------------------------------------------------------------------------------


def test_an_action_learning_set_of_nine_is_refused(enrolment, as_role):
    refused(
        enrolment,
        lambda: enrolment.client.post("/v1/offers", json=offer_body(capacity=9), headers=as_role()),
        422,
        "learning_set_capacity",
        "capacity",
    )


def test_raising_a_learning_sets_capacity_to_nine_is_refused(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    etag = enrolment.client.get(f"/v1/offers/{offer_id}", headers=as_role()).headers["ETag"]

    def send():
        return enrolment.client.patch(
            f"/v1/offers/{offer_id}", json={"capacity": 9}, headers={**as_role(), "If-Match": etag}
        )  # noqa: E731

    refused(enrolment, send, 422, "learning_set_capacity", "capacity")


def test_an_offer_cannot_be_given_its_status_or_region_by_its_author(enrolment, as_role):
    body = offer_body(status="published", region=SOUTH_WEST)
    problem = refused(
        enrolment, lambda: enrolment.client.post("/v1/offers", json=body, headers=as_role()), 422, "invalid_request"
    )
    assert {e["field"] for e in problem["errors"]} == {"status", "region"}


# --- Enrolments ---------------------------------------------------------------------------


def test_enrolment_in_another_regions_offer_is_refused(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    outsider = register(enrolment.client, as_role("regional_admin", SOUTH_WEST), pcn=EXETER)
    send = lambda: enrol(enrolment.client, as_role("participant", SOUTH_WEST, outsider), offer_id, outsider)  # noqa: E731
    refused(enrolment, send, 422, "wrong_region", "participant_id")


def test_enrolment_in_a_draft_offer_is_refused(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role(), publish=False)
    person = register(enrolment.client, as_role())
    problem = refused(enrolment, lambda: enrol(enrolment.client, as_role(), offer_id, person), 409, "offer_not_open")
    assert problem["offer_status"] == "draft"


def test_enrolment_in_a_started_action_learning_set_is_refused_as_it_is_a_closed_group(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    enrol(enrolment.client, as_role(), offer_id, register(enrolment.client, as_role(), n=1))
    assert enrolment.client.post(f"/v1/offers/{offer_id}/start", headers=as_role()).status_code == 200
    latecomer = register(enrolment.client, as_role(), n=2)
    problem = refused(enrolment, lambda: enrol(enrolment.client, as_role(), offer_id, latecomer), 409, "offer_not_open")
    assert problem["offer_status"] == "started"


@pytest.mark.parametrize("first_status", ["confirmed", "waitlisted"])
def test_a_second_enrolment_of_the_same_person_is_refused(enrolment, as_role, first_status):
    offer_id = create_offer(enrolment.client, as_role(), capacity=1)
    if first_status == "waitlisted":
        enrol(enrolment.client, as_role(), offer_id, register(enrolment.client, as_role(), n=1))
    person = register(enrolment.client, as_role(), n=2)
    assert enrol(enrolment.client, as_role(), offer_id, person).json["status"] == first_status
    refused(
        enrolment,
        lambda: enrol(enrolment.client, as_role(), offer_id, person),
        409,
        "already_enrolled",
        "participant_id",
    )


def test_a_team_with_one_member_of_another_pcn_is_refused_whole(enrolment, as_role):
    offer_id = create_offer(
        enrolment.client, as_role(), offer_type="pcn_team", capacity=6, basis=None, pcn_code=LEWISHAM
    )
    team = [register(enrolment.client, as_role(), pcn=LEWISHAM, n=n) for n in range(3)] + [
        register(enrolment.client, as_role(), pcn=CAMDEN, n=9)
    ]

    def send():
        return enrolment.client.post(
            f"/v1/offers/{offer_id}/team-enrolments", json={"participant_ids": team}, headers=as_role()
        )  # noqa: E731

    refused(enrolment, send, 422, "wrong_pcn", "participant_ids[3]")


def test_a_team_enrolment_into_an_offer_that_is_not_for_a_team_is_refused(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    team = [register(enrolment.client, as_role(), n=n) for n in range(2)]

    def send():
        return enrolment.client.post(
            f"/v1/offers/{offer_id}/team-enrolments", json={"participant_ids": team}, headers=as_role()
        )  # noqa: E731

    refused(enrolment, send, 422, "not_a_team_offer")


def test_an_enrolment_that_names_its_own_status_or_position_is_refused(enrolment, as_role):
    offer_id = create_offer(enrolment.client, as_role())
    person = register(enrolment.client, as_role())
    body = {"participant_id": person, "status": "confirmed", "waitlist_position": 1}
    send = lambda: enrolment.client.post(f"/v1/offers/{offer_id}/enrolments", json=body, headers=as_role())  # noqa: E731
    problem = refused(enrolment, send, 422, "invalid_request")
    assert {e["field"] for e in problem["errors"]} == {"status", "waitlist_position"}
