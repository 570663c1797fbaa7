"""Offers: their shape, the rules a new or changed offer must meet, and their lifecycle
(draft → published → started → completed, or cancelled).

One question, "does this offer take new members now?" (`accepts_enrolment`), drives both
admission and waitlist promotion. A started action learning set or coaching relationship is a
closed group, so it admits no one *and* promotes no one: promoting from the waitlist would add
a new member just as surely as enrolling would.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from enum import Enum

from services.enrolment.domain.reference import validate_pcn_code, validate_region_code
from services.enrolment.domain.values import as_enum
from shared.contracts.vocabulary import NATIONAL, OfferType
from shared.errors import Conflict, NotFound, RuleViolation


class OfferStatus(str, Enum):
    DRAFT = "draft"
    PUBLISHED = "published"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class LearningSetBasis(str, Enum):
    PROJECT = "project"
    PLACE = "place"
    INDIVIDUAL = "individual"


# The brief's hard limit for an action learning set, and the coaching allowance range.
LEARNING_SET_MAX = 8
SESSION_ALLOWANCE_MAX = 50

# Groups whose membership is fixed once they start (no new members, no promotion).
CLOSED_GROUP_TYPES = frozenset({OfferType.ACTION_LEARNING_SET, OfferType.COACHING})


@dataclass(frozen=True)
class Offer:
    """An offer as the rules see it. Type-specific fields are None where they do not apply."""

    id: str | None
    region: str
    type: OfferType
    title: str
    capacity: int
    starts_on: date
    ends_on: date
    planned_sessions: int
    status: OfferStatus = OfferStatus.DRAFT
    pcn_code: str | None = None  # pcn_team only
    basis: LearningSetBasis | None = None  # action_learning_set only
    session_allowance: int | None = None  # coaching only

    def __post_init__(self):
        # Frozen, so set through object.__setattr__; lets a store pass raw column strings.
        object.__setattr__(self, "type", as_enum(OfferType, self.type, "type"))
        object.__setattr__(self, "status", as_enum(OfferStatus, self.status, "status"))
        object.__setattr__(self, "basis", as_enum(LearningSetBasis, self.basis, "basis"))


def _require_int(value, field: str, low: int, high: int | None, rule: str) -> None:
    # bool is an int subclass; True must not pass as a capacity of 1.
    ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
    if ok and high is not None:
        ok = value <= high
    if not ok:
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise RuleViolation(rule, f"{field} must be a whole number {bounds}.", field=field)


def _only_for(offer: Offer, field: str, offer_type: OfferType) -> bool:
    """Check a type-specific field is present for its type and absent for the others."""
    value = getattr(offer, field)
    if offer.type is offer_type:
        if value is None:
            raise RuleViolation("required", f"{field} is required for a {offer_type.value} offer.", field=field)
        return True
    if value is not None:
        raise RuleViolation("not_applicable", f"{field} applies only to a {offer_type.value} offer.", field=field)
    return False


def validate_new_offer(offer: Offer, *, pcn_region: str | None = None) -> Offer:
    """Check a new (draft) offer against the rules; return it unchanged if it passes.

    `pcn_region` is the region of the offer's PCN, looked up by the caller; None for a
    pcn_team offer means the PCN is unknown (NotFound, so existence does not leak).
    """
    if offer.status is not OfferStatus.DRAFT:
        raise RuleViolation("invalid_status", "A new offer starts as a draft.", field="status")
    validate_region_code(offer.region, allow_national=True)
    if not isinstance(offer.title, str) or not offer.title.strip():
        raise RuleViolation("required", "title must not be blank.", field="title")

    _require_int(offer.capacity, "capacity", 1, None, "invalid_capacity")
    if offer.type is OfferType.ACTION_LEARNING_SET and offer.capacity > LEARNING_SET_MAX:
        raise RuleViolation(
            "learning_set_capacity", f"An action learning set has at most {LEARNING_SET_MAX} members.", field="capacity"
        )
    if offer.type is OfferType.COACHING and offer.capacity != 1:
        raise RuleViolation("coaching_capacity", "Coaching is one-to-one: capacity must be 1.", field="capacity")

    if _only_for(offer, "pcn_code", OfferType.PCN_TEAM):
        validate_pcn_code(offer.pcn_code, field="pcn_code")
        if pcn_region is None:
            raise NotFound("pcn_not_found", "No such PCN.", field="pcn_code")
        # The offer's region is the creator's, never an input: name what was sent instead.
        if offer.region == NATIONAL:
            raise RuleViolation(
                "wrong_region",
                "A PCN team offer belongs to its PCN's region: the national team cannot create one.",
                field="offer_type",
            )
        if offer.region != pcn_region:
            raise RuleViolation(
                "wrong_region",
                "The PCN is not in your region: a PCN team offer is made in its PCN's own region.",
                field="pcn_code",
            )
    _only_for(offer, "basis", OfferType.ACTION_LEARNING_SET)
    if _only_for(offer, "session_allowance", OfferType.COACHING):
        _require_int(offer.session_allowance, "session_allowance", 1, SESSION_ALLOWANCE_MAX, "session_allowance")

    for field in ("starts_on", "ends_on"):
        if not isinstance(getattr(offer, field), date):
            raise RuleViolation("required", f"{field} must be a date.", field=field)
    if offer.ends_on < offer.starts_on:
        raise RuleViolation("invalid_dates", "ends_on must not be before starts_on.", field="ends_on")
    _require_int(offer.planned_sessions, "planned_sessions", 1, None, "planned_sessions")
    # The coaching allowance is fixed: planning more sessions than it would break it.
    if offer.type is OfferType.COACHING and offer.planned_sessions > offer.session_allowance:
        raise RuleViolation(
            "session_allowance_exceeded",
            "planned_sessions must not exceed the session allowance.",
            field="planned_sessions",
        )
    return offer


# What an update may change: the rest (region, type, PCN) decides who is eligible, so it is fixed.
EDITABLE_FIELDS = frozenset(
    {"title", "capacity", "starts_on", "ends_on", "planned_sessions", "basis", "session_allowance"}
)
EDITABLE_STATUSES = frozenset({OfferStatus.DRAFT, OfferStatus.PUBLISHED})


def validate_offer_change(current: Offer, changes: dict, *, confirmed_count: int) -> Offer:
    """Apply `changes` to a draft or published offer; return the changed offer if every rule holds.

    A published offer's capacity may not drop below the places already confirmed: nobody
    loses a confirmed place because an offer was edited.
    """
    if current.status not in EDITABLE_STATUSES:
        raise Conflict(
            "offer_not_editable",
            f"A {current.status.value} offer can no longer be changed.",
            extra={"offer_status": current.status.value},
        )
    for field in changes:
        if field not in EDITABLE_FIELDS:
            raise RuleViolation("not_editable", f"{field} cannot be changed.", field=field)
    changed = replace(current, **changes)
    # Checked as the draft it once was; its PCN is unchanged, so its region still matches.
    validate_new_offer(replace(changed, status=OfferStatus.DRAFT), pcn_region=changed.region)
    if changed.capacity < confirmed_count:
        raise Conflict(
            "capacity_below_confirmed",
            "capacity cannot drop below the places already confirmed.",
            field="capacity",
            extra={"confirmed": confirmed_count},
        )
    return changed


def accepts_enrolment(offer: Offer) -> bool:
    """Whether the offer takes new members now (by enrolment or by waitlist promotion)."""
    if offer.status is OfferStatus.PUBLISHED:
        return True
    return offer.status is OfferStatus.STARTED and offer.type not in CLOSED_GROUP_TYPES


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
    OfferAction.CANCEL: (
        OfferStatus.CANCELLED,
        frozenset({OfferStatus.DRAFT, OfferStatus.PUBLISHED, OfferStatus.STARTED}),
    ),
}


def transition(status: OfferStatus | str, action: OfferAction | str) -> OfferStatus:
    """Return the status an offer moves to under `action`, or raise Conflict."""
    status = as_enum(OfferStatus, status, "status")
    action = as_enum(OfferAction, action, "action")
    target, sources = _TRANSITIONS[action]
    if status not in sources:
        raise Conflict(
            "invalid_transition",
            f"An offer cannot go from {status.value} to {target.value}.",
            field="status",
            extra={"from": status.value, "to": target.value},
        )
    return target
