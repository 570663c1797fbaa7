"""Bearer-token checks on every /v1 endpoint: only a valid RS256 token from our issuer, for
our audience, within its lifetime, is accepted; everything else is a 401 problem."""
from __future__ import annotations

import base64
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from services.enrolment.app import create_app
from services.enrolment.settings import EnrolmentSettings
from tests.conftest import AUDIENCE, ISSUER

NOW = int(time.time())


@pytest.fixture
def client(tmp_path, signing_keys):
    settings = EnrolmentSettings.load({"DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}", "JWT_PUBLIC_KEY_FILE": str(signing_keys[1]), "LOG_LEVEL": "WARNING"})
    app = create_app(settings)
    app.extensions["convene.runtime"].db.create_schema()
    return app.test_client()


def _claims(**overrides) -> dict:
    claims = {"sub": "admin-1", "role": "regional_admin", "region": "Y56", "iss": ISSUER, "aud": AUDIENCE, "iat": NOW, "nbf": NOW, "exp": NOW + 600}
    claims.update(overrides)
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
    pem = stranger.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
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
    settings = EnrolmentSettings.load({"DATABASE_URL": f"sqlite:///{tmp_path / 'e.db'}", "JWT_PUBLIC_KEY_FILE": str(signing_keys[1]),
                                       "JWT_LEEWAY_SECONDS": "0", "LOG_LEVEL": "WARNING"})
    app = create_app(settings)
    app.extensions["convene.runtime"].db.create_schema()
    client = app.test_client()
    now = int(time.time())
    token = _signed(signing_keys[0].read_bytes(), iat=now, nbf=now, exp=now + 2)
    assert _status(client, token)[0] == 404
    assert _status(client, token)[0] == 404  # answered from the remembered verification
    time.sleep(max(0.0, now + 3 - time.time()))
    status, problem = _status(client, token)
    assert status == 401 and "ExpiredSignatureError" in problem["detail"]
