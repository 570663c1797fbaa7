"""Bearer-JWT verification and development tokens.

RS256 only (the algorithm is pinned, so `alg: none` and HS256-with-the-public-key are
refused); `exp`, `nbf`, `iss` and `aud` are required and checked with a small leeway.
Production verifies against the identity provider's JWKS or a configured public key;
development uses a local key pair that `make up` creates and git ignores.
"""
from __future__ import annotations

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

ALGORITHM = "RS256"
VERIFIED_TOKENS_KEPT = 4096  # per process; the oldest is forgotten first


class Role(str, Enum):
    REGIONAL_ADMIN = "regional_admin"
    FACILITATOR = "facilitator"
    COACH = "coach"
    PARTICIPANT = "participant"
    NATIONAL = "national"
    SERVICE = "service"


class InvalidToken(Exception):
    """The request's bearer token is missing or cannot be trusted (401)."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: `subject` is the person's Convene id for participants, facilitators and coaches."""

    subject: str
    role: Role
    region: str | None

    def in_region(self, region: str | None) -> bool:
        return self.role in (Role.NATIONAL, Role.SERVICE) or (self.region is not None and self.region == region)


class TokenVerifier:
    def __init__(self, settings: Settings):
        self.issuer = settings.jwt_issuer
        self.audience = settings.jwt_audience
        self.leeway = settings.jwt_leeway_seconds
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
        principal, claims = self._verify(token)
        self._verified[token] = (principal, claims["nbf"] - self.leeway, claims["exp"] + self.leeway)
        if len(self._verified) > VERIFIED_TOKENS_KEPT:
            self._verified.popitem(last=False)
        return principal

    def _verify(self, token: str) -> tuple[Principal, dict]:
        try:
            claims = jwt.decode(
                token,
                self._signing_key(token),
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "nbf", "iss", "aud", "sub"]},
            )
            role = Role(claims.get("role"))
        except (jwt.PyJWTError, ValueError) as error:
            raise InvalidToken(f"the bearer token was refused: {type(error).__name__}") from None
        region = claims.get("region")
        if role in (Role.REGIONAL_ADMIN, Role.FACILITATOR, Role.COACH, Role.PARTICIPANT) and not region:
            raise InvalidToken("the bearer token has no region claim")
        return Principal(subject=str(claims["sub"]), role=role, region=region), claims


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
    public_path.write_bytes(key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return True


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
    return jwt.encode(claims, private_key_pem, algorithm=ALGORITHM)
