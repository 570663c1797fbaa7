"""The claims of a bearer token, checked by type and value without any I/O."""

from __future__ import annotations

import pytest

from shared.auth import Principal, Role, principal_of
from shared.regions import REGION_CODES
from shared.token_claims import InvalidToken, TokenRules, check_registered_claims

NOW = 1_800_000_000
RULES = TokenRules(issuer="https://convene.local/auth", audience="convene", leeway=30, max_lifetime=12 * 3600)
GOOD = {
    "iss": RULES.issuer,
    "aud": RULES.audience,
    "sub": "admin-1",
    "iat": NOW,
    "nbf": NOW,
    "exp": NOW + 600,
    "role": "regional_admin",
    "region": "Y56",
}


def _checked(**changes):
    claims = {name: value for name, value in (GOOD | changes).items() if value is not None}
    return check_registered_claims(claims, RULES, NOW), principal_of(claims)


def test_good_claims_give_the_principal_and_the_validity_with_its_leeway():
    validity, principal = _checked()
    assert principal == Principal("admin-1", Role.REGIONAL_ADMIN, "Y56")
    assert (validity.valid_from, validity.valid_until) == (NOW - 30, NOW + 630)


@pytest.mark.parametrize("aud", ["convene", ["other", "convene"]])
def test_the_audience_may_be_one_text_or_a_list_holding_ours(aud):
    assert _checked(aud=aud)[1].subject == "admin-1"


@pytest.mark.parametrize("value", [float(NOW + 600), NOW + 600.5])
def test_a_numeric_date_may_be_a_fraction(value):
    assert _checked(exp=value)[0].valid_until == value + 30


@pytest.mark.parametrize(
    "changes, detail",
    [
        ({"exp": f"{NOW + 600}"}, "the bearer token's exp claim must be a number of seconds since 1970"),
        ({"nbf": False}, "the bearer token's nbf claim must be a number of seconds since 1970"),
        ({"iat": 10**400}, "the bearer token's iat claim must be a number of seconds since 1970"),
        ({"exp": float("nan")}, "the bearer token's exp claim must be a number of seconds since 1970"),
        ({"sub": None}, "the bearer token has no sub claim"),
        ({"aud": ["other"]}, "the bearer token is meant for another audience"),
        ({"aud": [None]}, "the bearer token's aud claim must be text or a list of texts"),
        ({"iss": 1}, "the bearer token's iss claim must be text"),
        ({"exp": NOW - 31}, "the bearer token has expired"),
        ({"nbf": NOW + 31}, "the bearer token is not valid yet"),
        ({"iat": NOW + 31}, "the bearer token says it was issued in the future"),
        ({"exp": NOW + 12 * 3600 + 31}, "the bearer token lives longer than the 12 hours a token may live"),
        ({"iat": NOW - 12 * 3600, "exp": NOW + 1}, "the bearer token lives longer than the 12 hours a token may live"),
        ({"role": None}, "the bearer token has no role claim"),
        ({"role": "Regional_Admin"}, "the bearer token's role claim names no Convene role"),
        ({"region": None}, "a regional_admin token needs a region claim"),
        (
            {"region": "*"},
            "the bearer token's region claim is not one of the seven NHS England region codes (Y56, Y58 to Y63)",
        ),
        ({"role": "service", "region": "Y56"}, "a service token must not carry a region claim"),
    ],
)
def test_each_wrong_claim_is_refused_in_words(changes, detail):
    with pytest.raises(InvalidToken) as refused:
        _checked(**changes)
    assert str(refused.value) == detail


def test_exactly_twelve_hours_is_still_allowed():
    assert _checked(exp=NOW + 12 * 3600)[0].valid_until == NOW + 12 * 3600 + 30


@pytest.mark.parametrize(
    "role, region",
    [
        (Role.REGIONAL_ADMIN, "*"),
        (Role.PARTICIPANT, None),
        (Role.COACH, "national"),
        (Role.NATIONAL, "Y56"),
        (Role.SERVICE, "*"),
    ],
)
def test_no_principal_can_stand_for_a_region_that_does_not_exist(role, region):
    with pytest.raises(ValueError):
        Principal("someone", role, region)


def test_the_seven_regions_are_the_ones_every_service_knows():
    from services.enrolment.domain.reference import REGION_CODES as ENROLMENT_REGIONS
    from shared.contracts.common import REGION_OR_NATIONAL

    assert REGION_CODES == ("Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63")
    assert ENROLMENT_REGIONS == set(REGION_CODES) and REGION_OR_NATIONAL == (*REGION_CODES, "national")
