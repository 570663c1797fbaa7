"""The one table that turns an identity provider's claims into who someone is in Convene: a role,
for a regional role a region, and the subject the services know them by. Pure: no I/O, so it is
tested and reasoned about alone.

Each rule names a claim of the issuer's and a value it must hold (equal to it, or listed in it);
the first rule that matches gives the role, the region comes from the claim the rule names, and
the subject from the rule's `subject_claim`. A participant, facilitator or coach is known to the
services by their Convene id (enrolment's participant id, scheduling's facilitator id), which no
identity provider's own `sub` is: so their rules read it from a `convene_id` claim, which the
issuer (the development provider, or in production an authorization server in front of NHS CIS2)
must add. An administrator's or the national team's subject is only who did what in the logs,
so the issuer's `sub` serves.
The development identity provider applies the same table when it issues an access token, so the
token the services verify says what the console shows.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from shared.regions import REGION_CODES

ROLES = ("regional_admin", "facilitator", "coach", "participant", "national")
REGIONAL_ROLES = frozenset({"regional_admin", "facilitator", "coach", "participant"})


@dataclass(frozen=True)
class Rule:
    claim: str
    value: str
    role: str
    region_claim: str | None = None
    subject_claim: str = "sub"

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"a claim mapping rule names {self.role!r}, which is no Convene role")
        if (self.role in REGIONAL_ROLES) != (self.region_claim is not None):
            raise ValueError(
                f"a {self.role} rule {'needs' if self.role in REGIONAL_ROLES else 'takes no'} region_claim"
            )
        if not isinstance(self.subject_claim, str) or not self.subject_claim:
            raise ValueError("a claim mapping rule's subject_claim names the claim that holds the Convene id")

    def matches(self, claims: Mapping) -> bool:
        held = claims.get(self.claim)
        return held == self.value or (isinstance(held, list) and self.value in held)


@dataclass(frozen=True)
class Identity:
    """Who a signed-in person is in Convene."""

    subject: str
    role: str
    region: str | None
    name: str

    def claims(self) -> dict:
        """The Convene claims of an access token for this person."""
        return {"sub": self.subject, "role": self.role} | ({"region": self.region} if self.region else {})


class NotMapped(Exception):
    """The issuer's claims give no Convene role: the person may sign in nowhere in Convene."""


CONVENE_ID = "convene_id"  # the claim that holds a participant's, facilitator's or coach's Convene id

DEFAULT_MAPPING = (
    Rule("groups", "convene-regional-admins", "regional_admin", "region"),
    Rule("groups", "convene-facilitators", "facilitator", "region", CONVENE_ID),
    Rule("groups", "convene-coaches", "coach", "region", CONVENE_ID),
    Rule("groups", "convene-participants", "participant", "region", CONVENE_ID),
    Rule("groups", "convene-national-team", "national"),
)


def parse_mapping(text: str) -> tuple[Rule, ...]:
    """The CLAIM_MAPPING setting (a JSON list of rules); empty text gives DEFAULT_MAPPING."""
    if not text.strip():
        return DEFAULT_MAPPING
    rows = json.loads(text)
    if not isinstance(rows, list) or not rows:
        raise ValueError("CLAIM_MAPPING must be a JSON list of rules")
    return tuple(Rule(**row) for row in rows)


def identity_of(claims: Mapping, mapping: Sequence[Rule]) -> Identity:
    """The Convene identity the issuer's claims give, by the first rule that matches."""
    if not isinstance(claims.get("sub"), str) or not claims.get("sub"):
        raise NotMapped("the identity provider named nobody (no sub claim)")
    for rule in mapping:
        if not rule.matches(claims):
            continue
        subject = claims.get(rule.subject_claim)
        if not isinstance(subject, str) or not subject:
            raise NotMapped(f"a {rule.role} needs their Convene id in the {rule.subject_claim} claim")
        region = claims.get(rule.region_claim) if rule.region_claim else None
        if rule.region_claim and region not in REGION_CODES:
            raise NotMapped(
                f"a {rule.role} needs one of the seven NHS England regions in the {rule.region_claim} claim"
            )
        name = claims.get("name") if isinstance(claims.get("name"), str) else claims["sub"]
        return Identity(subject=subject, role=rule.role, region=region, name=name)
    raise NotMapped("your account has no role in Convene")
