"""Bearer-token checks on every /v1 endpoint: only a valid RS256 token from our issuer, for
our audience, within its lifetime (at most 12 hours), with every claim of its type and a
regional role's region one of the seven NHS England regions, is accepted; everything else is
a 401 problem that says in words what is wrong."""

from __future__ import annotations

import base64
import json
import re
import time

import jwt
import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from services.enrolment.app import create_app
from services.enrolment.settings import EnrolmentSettings
from services.registry import SERVICES, declaration, settings_class
from shared.regions import REGION_CODES
from tests.conftest import AUDIENCE, ISSUER

# The cases below are written against NOW, this module's import; `_claims` moves every numeric time
# claim by the time since then, so each token stands to the moment it is signed as its case says
# (a suite that reaches this module many minutes after collecting it must not find them all expired).
NOW = int(time.time())
TIME_CLAIMS = ("iat", "nbf", "exp")


@pytest.fixture
def client(tmp_path, signing_keys):
    settings = EnrolmentSettings.load(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}",
            "JWT_PUBLIC_KEY_FILE": str(signing_keys[1]),
            "LOG_LEVEL": "WARNING",
        }
    )
    app = create_app(settings)
    app.extensions["convene.runtime"].db.create_schema()
    return app.test_client()


def _claims(**overrides) -> dict:
    claims = {
        "sub": "admin-1",
        "role": "regional_admin",
        "region": "Y56",
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": NOW,
        "nbf": NOW,
        "exp": NOW + 600,
    }
    claims.update(overrides)
    elapsed = int(time.time()) - NOW
    for name in TIME_CLAIMS:
        if type(claims.get(name)) is int:  # a number as written; text, lists and None are the cases' own
            claims[name] += elapsed
    return {k: v for k, v in claims.items() if v is not None}


def _signed(private_pem: bytes, **overrides) -> str:
    return jwt.encode(_claims(**overrides), private_pem, algorithm="RS256")


def _unsigned(**overrides) -> str:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(_claims(**overrides)).encode()).rstrip(b"=")
    return f"{header.decode()}.{body.decode()}."


def _status(client, token: str | None) -> tuple[int, dict]:
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    response = client.get("/v1/offers/some-offer", headers=headers)
    return response.status_code, response.get_json()


def test_a_valid_token_passes_authentication(client, signing_keys):
    status, _ = _status(client, _signed(signing_keys[0].read_bytes()))
    assert status == 404  # authenticated; the offer simply does not exist


@pytest.mark.parametrize(
    "case",
    ["expired", "not_yet_valid", "wrong_issuer", "wrong_audience", "no_expiry", "unknown_role", "admin_without_region"],
)
def test_a_token_with_bad_claims_is_refused(client, signing_keys, case):
    claims = {
        "expired": {"exp": NOW - 120, "iat": NOW - 900, "nbf": NOW - 900},
        "not_yet_valid": {"nbf": NOW + 300},
        "wrong_issuer": {"iss": "https://elsewhere.example/auth"},
        "wrong_audience": {"aud": "another-system"},
        "no_expiry": {"exp": None},
        "unknown_role": {"role": "superuser"},
        "admin_without_region": {"region": None},
    }[case]
    status, body = _status(client, _signed(signing_keys[0].read_bytes(), **claims))
    assert status == 401
    assert body["rule"] == "invalid_token"


def test_a_token_signed_with_another_key_is_refused(client):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = stranger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert _status(client, _signed(pem))[0] == 401


def test_an_unsigned_alg_none_token_is_refused(client):
    assert _status(client, _unsigned())[0] == 401


def test_an_hs256_token_keyed_with_our_public_key_is_refused(client, signing_keys):
    # The classic algorithm-confusion attack: HMAC "signed" with the RSA public key.
    public_pem = signing_keys[1].read_bytes()
    header = base64.urlsafe_b64encode(json.dumps({"alg": "HS256", "typ": "JWT"}).encode()).rstrip(b"=")
    body = base64.urlsafe_b64encode(json.dumps(_claims()).encode()).rstrip(b"=")
    import hashlib
    import hmac

    signing_input = header + b"." + body
    signature = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input, hashlib.sha256).digest()).rstrip(b"=")
    assert _status(client, (signing_input + b"." + signature).decode())[0] == 401


@pytest.mark.parametrize("header", [None, "Basic abc", "Bearer", "Bearer not.a.jwt"])
def test_a_missing_or_malformed_authorization_header_is_refused(client, header):
    response = client.get("/v1/offers/x", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_health_and_docs_need_no_token(client):
    assert client.get("/healthz").status_code == 200
    assert client.get("/openapi.json").status_code == 200
    assert client.get("/docs").status_code == 200


def test_a_token_accepted_before_is_refused_once_it_expires(tmp_path, signing_keys):
    """Verified tokens are remembered for speed, but only within their lifetime."""
    settings = EnrolmentSettings.load(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}",
            "JWT_PUBLIC_KEY_FILE": str(signing_keys[1]),
            "JWT_LEEWAY_SECONDS": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    app = create_app(settings)
    app.extensions["convene.runtime"].db.create_schema()
    client = app.test_client()
    signed_at = time.time()
    token = _signed(signing_keys[0].read_bytes(), exp=NOW + 2)  # it lives two seconds from its signing
    assert _status(client, token)[0] == 404
    assert _status(client, token)[0] == 404  # answered from the remembered verification
    time.sleep(max(0.0, signed_at + 3 - time.time()))
    status, problem = _status(client, token)
    assert (status, problem["detail"]) == (401, "the bearer token has expired")


# --- Regions: only the seven NHS England region codes ------------------------------------

REGIONAL_ROLES = ("regional_admin", "facilitator", "coach", "participant")
NOT_REGIONS = ["*", "national", "Y57", "y56", "Y56 ", "", "London", ["Y56"], {"code": "Y56"}, 56, True]


@pytest.mark.parametrize("region", NOT_REGIONS, ids=repr)
@pytest.mark.parametrize("role", REGIONAL_ROLES)
def test_a_regional_token_whose_region_is_not_an_nhs_england_region_code_is_refused(client, signing_keys, role, region):
    status, body = _status(client, _signed(signing_keys[0].read_bytes(), role=role, region=region))
    assert (status, body["rule"]) == (401, "invalid_token")
    assert "region" in body["detail"]


@pytest.mark.parametrize("region", REGION_CODES)
def test_each_of_the_seven_nhs_england_region_codes_is_accepted(client, signing_keys, region):
    assert _status(client, _signed(signing_keys[0].read_bytes(), region=region))[0] == 404


@pytest.mark.parametrize("region", ["Y56", "*", "national"])
@pytest.mark.parametrize("role", ["national", "service"])
def test_a_national_or_service_token_that_carries_a_region_claim_is_refused(client, signing_keys, role, region):
    status, body = _status(client, _signed(signing_keys[0].read_bytes(), role=role, region=region))
    assert (status, body["detail"]) == (401, f"a {role} token must not carry a region claim")
    assert _status(client, _signed(signing_keys[0].read_bytes(), role=role, region=None))[0] == 404


# A read each service lets a regional administrator make, and answers 200 for their real region.
REGIONAL_READS = {
    "enrolment": "/v1/offers",
    "scheduling": "/v1/facilitators",
    "feedback": "/v1/aggregates?scope=national",
    "subscriptions": "/v1/audit",  # its one read of a regional administrator (their region's audit trail)
}


@pytest.mark.parametrize("service", SERVICES)
def test_every_service_refuses_a_wildcard_or_national_region_before_reading_anything(tmp_path, signing_keys, service):
    settings = settings_class(service).load(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.db'}",
            "CONVENE_DATA_DIR": str(tmp_path),
            "JWT_PUBLIC_KEY_FILE": str(signing_keys[1]),
            "LOG_LEVEL": "WARNING",
        }
    )
    app = declaration(service).create_app(settings)
    runtime = app.extensions["convene.runtime"]
    runtime.db.create_schema()
    client = app.test_client()
    private = signing_keys[0].read_bytes()
    try:
        for region in ("*", "national", "Y00"):
            answer = client.get(
                REGIONAL_READS[service], headers={"Authorization": "Bearer " + _signed(private, region=region)}
            )
            assert (answer.status_code, answer.mimetype) == (401, "application/problem+json"), (region, answer.json)
        assert (
            client.get(REGIONAL_READS[service], headers={"Authorization": "Bearer " + _signed(private)}).status_code
            == 200
        )
    finally:
        runtime.db.dispose()


# --- Claims of the wrong type: a 401 problem, never a server error ----------------------

MALFORMED_CLAIMS = {
    "region is a list": {"region": ["Y56", "Y58"]},
    "region is an object": {"region": {"code": "Y56"}},
    "exp is text": {"exp": str(NOW + 600)},
    "exp is true": {"exp": True},
    "exp is a list": {"exp": [NOW + 600]},
    "exp is beyond any number": {"exp": 10**400},
    "nbf is text": {"nbf": str(NOW)},
    "nbf is an object": {"nbf": {"at": NOW}},
    "iat is text": {"iat": str(NOW)},
    "iat is a list": {"iat": [NOW]},
    "sub is a number": {"sub": 42},
    "sub is an object": {"sub": {"id": "admin-1"}},
    "sub is empty": {"sub": ""},
    "sub holds a NUL": {"sub": "admin\x00one"},
    "sub holds an unpaired surrogate": {"sub": "admin\ud800"},
    "sub is longer than any id": {"sub": "a" * 65},
    "sub has a space": {"sub": "admin one"},
    "role is a list": {"role": ["regional_admin"]},
    "role is a number": {"role": 1},
    "role is missing": {"role": None},
    "iss is a list": {"iss": [ISSUER]},
    "aud is a number": {"aud": 7},
    "aud is a list of numbers": {"aud": [1, 2]},
    "aud is an object": {"aud": {"name": AUDIENCE}},
}


@pytest.mark.parametrize("claims", MALFORMED_CLAIMS.values(), ids=MALFORMED_CLAIMS.keys())
def test_a_token_with_a_claim_of_the_wrong_type_is_a_401_problem(client, signing_keys, claims):
    token = _signed_payload(signing_keys[0].read_bytes(), json.dumps(_claims(**claims)).encode())
    response = client.get("/v1/offers/some-offer", headers={"Authorization": "Bearer " + token})
    assert (response.status_code, response.mimetype, response.json["rule"]) == (
        401,
        "application/problem+json",
        "invalid_token",
    )


def _signed_payload(private_pem: bytes, payload: bytes, headers: dict | None = None) -> str:
    """Signed by hand: the JWT library refuses to make some of these malformed tokens."""

    def part(raw: bytes) -> bytes:
        return base64.urlsafe_b64encode(raw).rstrip(b"=")

    signing_input = part(json.dumps({"alg": "RS256", "typ": "JWT", **(headers or {})}).encode()) + b"." + part(payload)
    key = serialization.load_pem_private_key(private_pem, password=None)
    return (signing_input + b"." + part(key.sign(signing_input, padding.PKCS1v15(), hashes.SHA256()))).decode()


@pytest.mark.parametrize(
    "payload, headers",
    [
        (b"[1, 2]", None),
        (b'"admin"', None),
        (b"{not json", None),
        (json.dumps(_claims(exp=float("nan"))).encode(), None),
        (json.dumps(_claims(exp=float("inf"))).encode(), None),
        (json.dumps(_claims()).encode(), {"kid": ["a", "b"]}),
        (json.dumps(_claims()).encode(), {"crit": ["exp"]}),
    ],
    ids=["a list", "a string", "not JSON", "exp NaN", "exp Infinity", "kid a list", "an unknown critical header"],
)
def test_a_signed_token_whose_payload_or_header_is_malformed_is_a_401_problem(client, signing_keys, payload, headers):
    status, body = _status(client, _signed_payload(signing_keys[0].read_bytes(), payload, headers))
    assert (status, body["rule"]) == (401, "invalid_token")


# --- Lifetime: no token lives for years ---------------------------------------------------


@pytest.mark.parametrize(
    "claims",
    [
        {"exp": NOW + 100 * 365 * 86400},
        {"exp": NOW + 13 * 3600},
        {"iat": NOW - 13 * 3600, "nbf": NOW - 13 * 3600, "exp": NOW + 3600},
        {"iat": None, "nbf": NOW - 13 * 3600, "exp": NOW + 600},
    ],
    ids=[
        "a century ahead",
        "thirteen hours ahead",
        "issued thirteen hours before it expires",
        "no iat, valid from thirteen hours before it expires",
    ],
)
def test_a_token_that_lives_longer_than_twelve_hours_is_refused(client, signing_keys, claims):
    status, body = _status(client, _signed(signing_keys[0].read_bytes(), **claims))
    assert (status, body["detail"]) == (401, "the bearer token lives longer than the 12 hours a token may live")


def test_a_token_of_eleven_hours_is_accepted_and_the_longest_lifetime_is_a_setting(tmp_path, signing_keys):
    token = _signed(signing_keys[0].read_bytes(), exp=NOW + 11 * 3600)
    settings = EnrolmentSettings.load(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}",
            "JWT_PUBLIC_KEY_FILE": str(signing_keys[1]),
            "JWT_MAX_LIFETIME_SECONDS": "3600",
            "LOG_LEVEL": "WARNING",
        }
    )
    shorter = create_app(settings)
    shorter.extensions["convene.runtime"].db.create_schema()
    assert _status(shorter.test_client(), token)[0] == 401
    settings = EnrolmentSettings.load(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}",
            "JWT_PUBLIC_KEY_FILE": str(signing_keys[1]),
            "LOG_LEVEL": "WARNING",
        }
    )
    default = create_app(settings)
    default.extensions["convene.runtime"].db.create_schema()
    assert _status(default.test_client(), token)[0] == 404


# --- Refusals say what is wrong in words, never the JWT library's internals --------------

REFUSALS = {
    "expired": ({"exp": NOW - 120, "iat": NOW - 900, "nbf": NOW - 900}, "the bearer token has expired"),
    "not yet valid": ({"nbf": NOW + 300}, "the bearer token is not valid yet"),
    "another issuer": ({"iss": "https://elsewhere.example/auth"}, "the bearer token comes from another issuer"),
    "another audience": ({"aud": "another-system"}, "the bearer token is meant for another audience"),
    "no expiry": ({"exp": None}, "the bearer token has no exp claim"),
    "exp as text": ({"exp": str(NOW + 600)}, "the bearer token's exp claim must be a number of seconds since 1970"),
    "unknown role": ({"role": "superuser"}, "the bearer token's role claim names no Convene role"),
    "sub a number": ({"sub": 42}, "the bearer token's sub claim must be 1 to 64 printable characters without spaces"),
}


@pytest.mark.parametrize("claims, detail", REFUSALS.values(), ids=REFUSALS.keys())
def test_a_refusal_says_in_plain_words_which_claim_is_wrong(client, signing_keys, claims, detail):
    assert _status(client, _signed(signing_keys[0].read_bytes(), **claims))[1]["detail"] == detail


def test_a_refused_signature_or_form_names_no_library_exception(client, signing_keys):
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = stranger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    details = {
        _status(client, token)[1]["detail"]
        for token in (_signed(pem), _unsigned(), "not.a.jwt", _signed_payload(signing_keys[0].read_bytes(), b"[1]"))
    }
    assert details == {
        "the bearer token's signature does not match the identity provider's key",
        "the bearer token must be signed with RS256",
        "the bearer token is not a well-formed signed JWT",
    }
    assert not any(re.search(r"Error|Exception|jwt|decode", detail) for detail in details)
