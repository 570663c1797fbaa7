"""Bearer-JWT verification and development tokens.

RS256 only (the algorithm is pinned, so `alg: none` and HS256-with-the-public-key are
refused); `exp`, `nbf`, `iss`, `aud` and `sub` are required, of their RFC 7519 types, and
checked with a small leeway, and no token may live longer than JWT_MAX_LIFETIME_SECONDS
(shared.token_claims). Production verifies against the identity provider's JWKS or a
configured public key; development uses a local key pair that `make up` creates and git ignores,
whose tokens (`mint_token`, and the development identity provider's) name it by its `kid`, so
they pass by the key file and by the provider's JWKS alike.

Roles and regions: a regional role (administrator, facilitator, coach, participant) needs a
`region` claim naming one of the seven NHS England regions (shared.regions); anything else
(`*`, `national`, a list, an unknown code) is refused. A national or service token must carry
no `region` claim at all: it is refused rather than the claim ignored, because a token that
says both "whole country" and "one region" means its issuer's mapping is wrong, and guessing
which half was meant could widen a regional person's reach to the whole country.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.config import Settings
from shared.regions import REGION_CODES
from shared.token_claims import InvalidToken, TokenRules, Validity, check_registered_claims, refusal

ALGORITHM = "RS256"
VERIFIED_TOKENS_KEPT = 4096  # per process; the oldest is forgotten first


class Role(str, Enum):
    REGIONAL_ADMIN = "regional_admin"
    FACILITATOR = "facilitator"
    COACH = "coach"
    PARTICIPANT = "participant"
    NATIONAL = "national"
    SERVICE = "service"


REGIONAL_ROLES = frozenset({Role.REGIONAL_ADMIN, Role.FACILITATOR, Role.COACH, Role.PARTICIPANT})
_ROLES = {role.value: role for role in Role}
# Only the signature and the token's form are left to the JWT library; shared.token_claims
# checks every claim's type and value itself.
_SIGNATURE_ONLY = {f"verify_{claim}": False for claim in ("exp", "nbf", "iat", "aud", "iss", "sub", "jti")}


@dataclass(frozen=True)
class Principal:
    """Who is calling: `subject` is the person's Convene id for participants, facilitators and coaches.

    A regional role always has one of the seven region codes; the national team and services
    have none, so no principal can stand for a region that does not exist."""

    subject: str
    role: Role
    region: str | None

    def __post_init__(self):
        if not (self.region in REGION_CODES if self.role in REGIONAL_ROLES else self.region is None):
            raise ValueError(f"a {self.role.value} principal cannot have region {self.region!r}")

    def in_region(self, region: str | None) -> bool:
        return self.role in (Role.NATIONAL, Role.SERVICE) or (self.region is not None and self.region == region)


class TokenVerifier:
    def __init__(self, settings: Settings):
        self.rules = TokenRules(
            settings.jwt_issuer, settings.jwt_audience, settings.jwt_leeway_seconds, settings.jwt_max_lifetime_seconds
        )
        self._jwks = jwt.PyJWKClient(settings.jwt_jwks_url) if settings.jwt_jwks_url else None
        self._key_file = Path(settings.jwt_public_key_file)
        self._key = None
        # Tokens already verified, until their expiry: a client sends the same token with every
        # request, and checking its RSA signature again each time is most of an answer's cost.
        self._verified: OrderedDict[str, tuple[Principal, float, float]] = OrderedDict()

    def _signing_key(self, token: str):
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        if self._key is None:
            try:
                self._key = serialization.load_pem_public_key(self._key_file.read_bytes())
            except FileNotFoundError:
                raise InvalidToken("no verification key is configured") from None
        return self._key

    def verify(self, header_value: str | None) -> Principal:
        if not header_value or not header_value.startswith("Bearer "):
            raise InvalidToken("a bearer token is required")
        token = header_value[len("Bearer ") :].strip()
        known = self._verified.get(token)
        if known is not None:
            principal, valid_from, valid_until = known
            if valid_from <= time.time() <= valid_until:
                return principal
            self._verified.pop(token, None)  # outside its validity now: verify again, which refuses it
        principal, validity = self._verify(token)
        self._verified[token] = (principal, validity.valid_from, validity.valid_until)
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, Validity]:
        try:
            claims = jwt.decode(token, self._signing_key(token), algorithms=[ALGORITHM], options=_SIGNATURE_ONLY)
        except jwt.PyJWTError as error:
            raise refusal(error) from None
        validity = check_registered_claims(claims, self.rules, time.time())
        return principal_of(claims), validity


def principal_of(claims: dict) -> Principal:
    """Who a token's checked claims name: its role, and the region a regional role needs."""
    role, region = claims.get("role"), claims.get("region")
    if role is None:
        raise InvalidToken("the bearer token has no role claim")
    if not isinstance(role, str) or role not in _ROLES:
        raise InvalidToken("the bearer token's role claim names no Convene role")
    role = _ROLES[role]
    if role in REGIONAL_ROLES:
        if region is None:
            raise InvalidToken(f"a {role.value} token needs a region claim")
        if not isinstance(region, str) or region not in REGION_CODES:
            raise InvalidToken(
                "the bearer token's region claim is not one of the seven NHS England region codes (Y56, Y58 to Y63)"
            )
    elif region is not None:
        raise InvalidToken(f"a {role.value} token must not carry a region claim")
    return Principal(subject=claims["sub"], role=role, region=region)


def create_dev_keys(private_path: Path, public_path: Path) -> bool:
    """Create the local development key pair if absent; True when it was created."""
    if private_path.exists() and public_path.exists():
        return False
    private_path.parent.mkdir(parents=True, exist_ok=True)
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    private_path.chmod(0o600)
    public_path.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return True


def key_id(private_key_pem: bytes) -> str:
    """The key's JWK thumbprint (RFC 7638, SHA-256): the `kid` under which the development identity
    provider publishes the development key at its /jwks, and which the tokens signed with it name."""
    numbers = serialization.load_pem_private_key(private_key_pem, password=None).public_key().public_numbers()

    def b64(number: int) -> str:
        raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    members = json.dumps({"e": b64(numbers.e), "kty": "RSA", "n": b64(numbers.n)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(hashlib.sha256(members.encode()).digest()).rstrip(b"=").decode()


def mint_token(
    private_key_pem: bytes,
    *,
    role: str,
    region: str | None,
    subject: str | None = None,
    issuer: str,
    audience: str,
    ttl_seconds: int = 8 * 3600,
    now: int | None = None,
) -> str:
    now = int(time.time()) if now is None else now
    claims = {
        "sub": subject or f"{role}-{uuid.uuid4().hex[:8]}",
        "role": Role(role).value,
        "iss": issuer,
        "aud": audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl_seconds,
    }
    if region:
        claims["region"] = region
    # The kid lets a service that verifies by the provider's JWKS (JWT_JWKS_URL) find the key, as
    # one that reads the public key file needs none.
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM, headers={"kid": key_id(private_key_pem)})
