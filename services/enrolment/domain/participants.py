"""Participants: where a new participant belongs (their PCN's region, within the registering
administrator's)."""

from __future__ import annotations

from services.enrolment.domain.reference import validate_pcn_code, validate_practice_code
from shared.errors import NotFound, RuleViolation


def place_participant(
    *,
    pcn_code: str,
    pcn_region: str | None,
    practice_code: str | None = None,
    practice_pcn: str | None = None,
    scope_region: str | None = None,
) -> str:
    """Return a new participant's region, which is always their PCN's.

    `pcn_region` / `practice_pcn` are what the reference data says (None: unknown code);
    `scope_region` is the region of the administrator registering them (None: any).
    """
    validate_pcn_code(pcn_code, field="pcn_code")
    if practice_code is not None:
        validate_practice_code(practice_code, field="practice_code")
    if pcn_region is None:
        raise NotFound("pcn_not_found", "No such PCN.", field="pcn_code")
    if scope_region is not None and pcn_region != scope_region:
        raise RuleViolation("wrong_region", "The PCN is not in your region.", field="pcn_code")
    if practice_code is not None and practice_pcn is None:
        raise NotFound("practice_not_found", "No such practice.", field="practice_code")
    if practice_code is not None and practice_pcn != pcn_code:
        raise RuleViolation("practice_not_in_pcn", "The practice does not belong to that PCN.", field="practice_code")
    return pcn_region
