"""The registered claims of a bearer token (RFC 7519), checked one by one in plain words.

shared.auth verifies the signature first; then every claim Convene reads must have the type
RFC 7519 gives it and a value Convene accepts, or the token is refused (401). Types are
checked here rather than left to the JWT library, which turns `"exp": "1700000000"` into a
number and lets a list or an object through to code that expects text. A refusal says in
words which claim is wrong: never the library's exception names, never the claim's value
(it is the caller's text).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import jwt

# Printable ASCII without spaces, at most 64 characters: the subject is stored as an id (audit
# trail, idempotency records, participants' answers), and ids hold up to 64 characters
# (shared.contracts.common.id_field). NUL or unpaired surrogates would not even be storable.
SUBJECT = re.compile(r"[\x21-\x7e]{1,64}")
REQUIRED = ("iss", "aud", "sub", "exp", "nbf")


class InvalidToken(Exception):
    """The request's bearer token is missing or cannot be trusted (401)."""


@dataclass(frozen=True)
class TokenRules:
    issuer: str
    audience: str
    leeway: int
    max_lifetime: int


@dataclass(frozen=True)
class Validity:
    """When a checked token may be used, leeway included: the verified-token cache keeps it that long."""

    valid_from: float
    valid_until: float


def check_registered_claims(claims: dict, rules: TokenRules, now: float) -> Validity:
    for name in REQUIRED:
        if claims.get(name) is None:
            raise InvalidToken(f"the bearer token has no {name} claim")
    if not isinstance(claims["iss"], str):
        raise InvalidToken("the bearer token's iss claim must be text")
    if claims["iss"] != rules.issuer:
        raise InvalidToken("the bearer token comes from another issuer")
    audiences = [claims["aud"]] if isinstance(claims["aud"], str) else claims["aud"]
    if not isinstance(audiences, list) or not all(isinstance(audience, str) for audience in audiences):
        raise InvalidToken("the bearer token's aud claim must be text or a list of texts")
    if rules.audience not in audiences:
        raise InvalidToken("the bearer token is meant for another audience")
    if not isinstance(claims["sub"], str) or not SUBJECT.fullmatch(claims["sub"]):
        raise InvalidToken("the bearer token's sub claim must be 1 to 64 printable characters without spaces")
    expires, not_before = _seconds(claims, "exp"), _seconds(claims, "nbf")
    issued = _seconds(claims, "iat") if claims.get("iat") is not None else not_before
    if expires <= now - rules.leeway:
        raise InvalidToken("the bearer token has expired")
    if not_before > now + rules.leeway:
        raise InvalidToken("the bearer token is not valid yet")
    if issued > now + rules.leeway:
        raise InvalidToken("the bearer token says it was issued in the future")
    # Both ends: a token that declares a short life but expires far ahead is still a long-lived one.
    if expires - issued > rules.max_lifetime or expires - now > rules.max_lifetime + rules.leeway:
        raise InvalidToken(f"the bearer token lives longer than the {_duration(rules.max_lifetime)} a token may live")
    return Validity(not_before - rules.leeway, expires + rules.leeway)


def _seconds(claims: dict, name: str) -> float:
    """A NumericDate: a JSON number of seconds since 1970 (not text, not true or false)."""
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InvalidToken(f"the bearer token's {name} claim must be a number of seconds since 1970")
    try:
        seconds = float(value)
    except OverflowError:  # an integer beyond any float
        seconds = math.inf
    if not math.isfinite(seconds):
        raise InvalidToken(f"the bearer token's {name} claim must be a number of seconds since 1970")
    return seconds


def _duration(seconds: int) -> str:
    return f"{seconds // 3600} hours" if seconds % 3600 == 0 else f"{seconds} seconds"


def refusal(error: jwt.PyJWTError) -> InvalidToken:
    """Why the JWT library refused a token's form or signature, in words."""
    if isinstance(error, jwt.InvalidAlgorithmError):
        return InvalidToken("the bearer token must be signed with RS256")
    if isinstance(error, jwt.InvalidSignatureError):
        return InvalidToken("the bearer token's signature does not match the identity provider's key")
    if isinstance(error, jwt.PyJWKClientConnectionError):
        return InvalidToken("the identity provider's signing keys could not be fetched")
    if isinstance(error, jwt.PyJWKClientError):
        return InvalidToken("no signing key of the identity provider matches the bearer token")
    return InvalidToken("the bearer token is not a well-formed signed JWT")
