"""The console's one claim-mapping table: an identity provider's claims → a Convene role and region."""

import pytest

from services.console.claims import DEFAULT_MAPPING, NotMapped, Rule, identity_of, parse_mapping


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
