"""The enrolment domain's fixed vocabulary: enumerations, reference-data codes, lifecycle.

Split from `domain.py`, the entry point, which re-exports everything public here; import
from `domain`, not from this module. Nothing here needs the data shapes in `domain.py`.

ODS codes are matched exactly, with no case folding or trimming: they are upper case,
and silently repairing input would hide bad data.
"""

from __future__ import annotations

import re
from enum import Enum

from shared.errors import Conflict, NotFound, RuleViolation
from shared.regions import NATIONAL, REGIONS

# --- Reference data: ODS codes --------------------------------------------------------

# The seven NHS England commissioning regions (shared.regions; data/nhs_england_regions.csv
# adds their ONS codes); NATIONAL is the pseudo-region of offers open to the whole country.
REGION_CODES = frozenset(REGIONS)

_PCN_CODE = re.compile(r"U[0-9]{5}")
_PRACTICE_CODE = re.compile(r"[A-Z][0-9]{5}")


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


# --- Enumerations (str-valued, so they serialise as their plain values) -------------

class OfferType(str, Enum):
    REGIONAL_PROGRAMME = "regional_programme"
    PCN_TEAM = "pcn_team"
    ACTION_LEARNING_SET = "action_learning_set"
    COACHING = "coaching"


class OfferStatus(str, Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class EnrolmentStatus(str, Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


class ParticipantRole(str, Enum):
    CLINICAL_DIRECTOR = "clinical_director"
    PCN_MANAGER = "pcn_manager"
    PRACTICE_MANAGER = "practice_manager"
    GP = "gp"
    NURSE = "nurse"
    PHARMACIST = "pharmacist"
    OTHER = "other"


class LeadershipExperience(str, Enum):
    NONE = "none"
    PRACTICE = "practice"
    FEDERATION = "federation"
    CCG_OR_ICB_BOARD = "ccg_or_icb_board"


class LearningSetBasis(str, Enum):
    PROJECT = "project"
    PLACE = "place"
    INDIVIDUAL = "individual"


# The brief's hard limit for an action learning set, and the coaching allowance range.
LEARNING_SET_MAX = 8
SESSION_ALLOWANCE_MAX = 50
DEFAULT_COMPLETION_THRESHOLD = 0.75

# Groups whose membership is fixed once they start (no new members, no promotion).
CLOSED_GROUP_TYPES = frozenset({OfferType.ACTION_LEARNING_SET, OfferType.COACHING})


def as_enum(enum_cls: type[Enum], value, field: str):
    """Accept an enum member or its string value (as a DB row or JSON gives it); None stays None."""
    if value is None or isinstance(value, enum_cls):
        return value
    try:
        return enum_cls(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum_cls)
        raise RuleViolation("invalid_value", f"{field} must be one of: {allowed}.", field=field) from None


# --- Offer lifecycle: draft -> published -> started -> completed, or cancelled ----------

class OfferAction(str, Enum):
    PUBLISH = "publish"
    START = "start"
    COMPLETE = "complete"
    CANCEL = "cancel"


# Each action's target status, and the statuses it may start from.
_TRANSITIONS: dict[OfferAction, tuple[OfferStatus, frozenset[OfferStatus]]] = {
    OfferAction.PUBLISH: (OfferStatus.PUBLISHED, frozenset({OfferStatus.DRAFT})),
    OfferAction.START: (OfferStatus.STARTED, frozenset({OfferStatus.PUBLISHED})),
    OfferAction.COMPLETE: (OfferStatus.COMPLETED, frozenset({OfferStatus.STARTED})),
    OfferAction.CANCEL: (OfferStatus.CANCELLED,
                         frozenset({OfferStatus.DRAFT, OfferStatus.PUBLISHED, OfferStatus.STARTED})),
}


def transition(status: OfferStatus | str, action: OfferAction | str) -> OfferStatus:
    """Return the status an offer moves to under `action`, or raise Conflict."""
    status = as_enum(OfferStatus, status, "status")
    action = as_enum(OfferAction, action, "action")
    target, sources = _TRANSITIONS[action]
    if status not in sources:
        raise Conflict("invalid_transition", f"An offer cannot go from {status.value} to {target.value}.",
                       field="status", extra={"from": status.value, "to": target.value})
    return target


# --- Participants: where a person belongs ------------------------------------------------

def place_participant(*, pcn_code: str, pcn_region: str | None, practice_code: str | None = None,
                      practice_pcn: str | None = None, scope_region: str | None = None) -> str:
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
