"""The console's one claim-mapping table: an identity provider's claims → a Convene role and region."""

import pytest

from services.console.claims import DEFAULT_MAPPING, ROLES, NotMapped, Rule, identity_of, parse_mapping
from services.console.pages.home import ROLE_HOMES, ROLE_NAVIGATION


def test_a_regional_administrator_group_gives_the_role_and_the_region_of_the_named_claim():
    person = identity_of(
        {"sub": "a1", "name": "Alex", "groups": ["staff", "convene-regional-admins"], "region": "Y56"}, DEFAULT_MAPPING
    )
    assert (person.subject, person.role, person.region, person.name) == ("a1", "regional_admin", "Y56", "Alex")
    assert person.claims() == {"sub": "a1", "role": "regional_admin", "region": "Y56"}


def test_the_first_matching_rule_wins_when_someone_is_in_two_groups():
    claims = {"sub": "a1", "groups": ["convene-facilitators", "convene-regional-admins"], "region": "Y60"}
    assert identity_of(claims, DEFAULT_MAPPING).role == "regional_admin"


def test_a_national_role_carries_no_region_even_when_the_provider_sends_one():
    person = identity_of({"sub": "n1", "groups": "convene-national-team", "region": "Y56"}, DEFAULT_MAPPING)
    assert (person.role, person.region) == ("national", None)
    assert person.claims() == {"sub": "n1", "role": "national"}


def test_a_regional_role_without_one_of_the_seven_regions_is_refused():
    with pytest.raises(NotMapped, match="region"):
        identity_of({"sub": "a1", "groups": ["convene-regional-admins"], "region": "national"}, DEFAULT_MAPPING)
    with pytest.raises(NotMapped, match="region"):
        identity_of({"sub": "a1", "groups": ["convene-regional-admins"]}, DEFAULT_MAPPING)


def test_someone_in_no_mapped_group_or_with_no_subject_has_no_way_in():
    with pytest.raises(NotMapped, match="no role"):
        identity_of({"sub": "x", "groups": ["everyone"]}, DEFAULT_MAPPING)
    with pytest.raises(NotMapped, match="sub"):
        identity_of({"groups": ["convene-regional-admins"], "region": "Y56"}, DEFAULT_MAPPING)


def test_the_table_is_configured_as_json_and_an_empty_setting_is_the_default_table():
    assert parse_mapping("") == DEFAULT_MAPPING
    cis2 = parse_mapping('[{"claim": "nhsid_nrbac_roles", "value": "R8008", "role": "national"}]')
    assert cis2 == (Rule("nhsid_nrbac_roles", "R8008", "national"),)
    assert identity_of({"sub": "c1", "nhsid_nrbac_roles": ["R8008"]}, cis2).role == "national"


def test_a_table_naming_an_unknown_role_or_a_regional_role_without_its_region_claim_is_refused_at_start():
    with pytest.raises(ValueError, match="no Convene role"):
        parse_mapping('[{"claim": "groups", "value": "x", "role": "superuser"}]')
    with pytest.raises(ValueError, match="needs region_claim"):
        parse_mapping('[{"claim": "groups", "value": "x", "role": "coach"}]')
    with pytest.raises(ValueError, match="takes no region_claim"):
        parse_mapping('[{"claim": "groups", "value": "x", "role": "national", "region_claim": "region"}]')


def test_a_participant_facilitator_or_coach_is_known_by_the_convene_id_claim_not_the_issuer_s_sub():
    for group, role in (
        ("convene-participants", "participant"),
        ("convene-facilitators", "facilitator"),
        ("convene-coaches", "coach"),
    ):
        claims = {"sub": "cis2-5551234", "name": "Jo", "groups": [group], "region": "Y56", "convene_id": "p-42"}
        person = identity_of(claims, DEFAULT_MAPPING)
        assert (person.subject, person.role, person.name) == ("p-42", role, "Jo")
        assert person.claims() == {"sub": "p-42", "role": role, "region": "Y56"}


def test_a_participant_without_a_convene_id_is_refused_rather_than_known_by_the_issuer_s_sub():
    with pytest.raises(NotMapped, match="Convene id in the convene_id claim"):
        identity_of({"sub": "cis2-5551234", "groups": ["convene-participants"], "region": "Y56"}, DEFAULT_MAPPING)
    with pytest.raises(NotMapped, match="convene_id"):
        identity_of({"sub": "x", "groups": ["convene-coaches"], "region": "Y56", "convene_id": ""}, DEFAULT_MAPPING)


def test_an_administrator_s_or_the_national_team_s_subject_is_the_issuer_s_sub():
    admin = identity_of(
        {"sub": "cis2-1", "groups": ["convene-regional-admins"], "region": "Y56", "convene_id": "ignored"},
        DEFAULT_MAPPING,
    )
    assert admin.subject == "cis2-1"
    assert identity_of({"sub": "cis2-2", "groups": ["convene-national-team"]}, DEFAULT_MAPPING).subject == "cis2-2"


def test_the_subject_claim_is_configured_per_rule_and_defaults_to_sub():
    mapping = parse_mapping(
        '[{"claim": "roles", "value": "coach", "role": "coach", "region_claim": "nhs_region", "subject_claim": "cid"},'
        ' {"claim": "roles", "value": "admin", "role": "regional_admin", "region_claim": "nhs_region"}]'
    )
    assert mapping[0].subject_claim == "cid" and mapping[1].subject_claim == "sub"
    coach = identity_of({"sub": "s", "roles": ["coach"], "nhs_region": "Y60", "cid": "c-1"}, mapping)
    assert (coach.subject, coach.region) == ("c-1", "Y60")
    with pytest.raises(ValueError, match="subject_claim"):
        parse_mapping('[{"claim": "g", "value": "x", "role": "national", "subject_claim": ""}]')


def test_every_role_that_may_sign_in_has_a_first_page_and_header_links():
    assert set(ROLE_HOMES) == set(ROLES) == set(ROLE_NAVIGATION)
    for role in ROLES:  # the first page is also in the header, so a person can always get back to it
        assert ROLE_HOMES[role] in [endpoint for endpoint, _ in ROLE_NAVIGATION[role]]
