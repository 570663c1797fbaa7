"""Reference data: the NHS England regions, PCNs and practices, and their ODS codes.

ODS codes are matched exactly, with no case folding or trimming: they are upper case,
and silently repairing input would hide bad data.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from shared.contracts.vocabulary import NATIONAL
from shared.contracts.vocabulary import Region as RegionCode
from shared.errors import RuleViolation

# The seven NHS England commissioning regions (the published vocabulary; the service's regions
# file adds their ONS codes); NATIONAL is the pseudo-region of offers open to the whole country.
REGION_CODES = frozenset(RegionCode.values())

_PCN_CODE = re.compile(r"U[0-9]{5}")
_PRACTICE_CODE = re.compile(r"[A-Z][0-9]{5}")


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    ons_code: str


@dataclass(frozen=True)
class Pcn:
    code: str
    name: str
    sub_icb_code: str
    sub_icb_name: str
    region: str | None
    opened_on: date | None
    closed_on: date | None


@dataclass(frozen=True)
class Practice:
    code: str
    pcn_code: str
    name: str | None


def _invalid(field: str, what: str) -> RuleViolation:
    return RuleViolation("invalid_ods_code", f"{field} is not a valid {what}.", field=field)


def validate_region_code(code: str, *, allow_national: bool = False, field: str = "region") -> str:
    """Return `code` if it is an NHS England region ODS code (or "national" when allowed)."""
    if isinstance(code, str) and (code in REGION_CODES or (allow_national and code == NATIONAL)):
        return code
    raise _invalid(field, "NHS England region code")


def validate_pcn_code(code: str, *, field: str = "pcn_code") -> str:
    """Return `code` if it is a PCN ODS code: "U" and five digits."""
    # fullmatch (no trailing newline) and [0-9], not \d, which accepts other scripts' digits.
    if isinstance(code, str) and _PCN_CODE.fullmatch(code):
        return code
    raise _invalid(field, "PCN ODS code")


def validate_practice_code(code: str, *, field: str = "practice_code") -> str:
    """Return `code` if it is a GP practice ODS code: a letter and five digits."""
    if isinstance(code, str) and _PRACTICE_CODE.fullmatch(code):
        return code
    raise _invalid(field, "practice ODS code")
