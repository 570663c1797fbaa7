"""Enrolment domain: offers, their lifecycle, admission, withdrawal and completion.

Pure rules over plain values: no Flask, SQLAlchemy, Kafka or I/O. The service layer
reads state from its store, asks this module what should happen, and writes the answer
back in one transaction. Every refusal is a `shared.errors` exception with a stable
`rule` name; `detail` never carries names, e-mails or free text.

Design choices that the brief leaves open, decided here:

* One question, "does this offer take new members now?" (`accepts_enrolment`), drives
  both admission and waitlist promotion. A started action learning set or coaching
  relationship is a closed group, so it admits no one *and* promotes no one: promoting
  from the waitlist would add a new member just as surely as enrolling would.
* Nobody jumps the queue: a newcomer is confirmed only when a place is free *and* the
  waitlist is empty. Otherwise they join the back of the waitlist.
* Withdrawal renumbers the remaining waitlist 1..n in its existing order, which also
  repairs any gaps that may have crept in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Iterable, Sequence

from shared.errors import Conflict, NotFound, RuleViolation

# Re-exported: callers import the whole domain from here.
from services.enrolment.rules import (
    CLOSED_GROUP_TYPES,
    DEFAULT_COMPLETION_THRESHOLD,
    LEARNING_SET_MAX,
    NATIONAL,
    REGION_CODES,
    REGIONS,
    SESSION_ALLOWANCE_MAX,
    EnrolmentStatus,
    LeadershipExperience,
    LearningSetBasis,
    OfferAction,
    OfferStatus,
    OfferType,
    ParticipantRole,
    as_enum,
    place_participant,
    transition,
    validate_pcn_code,
    validate_practice_code,
    validate_region_code,
)

__all__ = [
    # reference data (from rules.py)
    "NATIONAL", "REGIONS", "REGION_CODES",
    "validate_region_code", "validate_pcn_code", "validate_practice_code", "place_participant",
    # vocabulary (from rules.py)
    "OfferType", "OfferStatus", "OfferAction", "EnrolmentStatus", "ParticipantRole",
    "LeadershipExperience", "LearningSetBasis",
    "CLOSED_GROUP_TYPES", "LEARNING_SET_MAX", "SESSION_ALLOWANCE_MAX", "DEFAULT_COMPLETION_THRESHOLD",
    # data shapes
    "Offer", "Admission", "TeamMember", "Enrolment", "WithdrawalPlan", "PromotionPlan", "MemberAttendance",
    # rules
    "validate_new_offer", "validate_offer_change", "transition", "accepts_enrolment", "admit", "admit_team",
    "plan_withdrawal", "plan_promotions", "select_completions",
]


# --- Data shapes ----------------------------------------------------------------------

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


@dataclass(frozen=True)
class Admission:
    """Outcome of admitting one participant: confirmed, or waitlisted at a 1-based position."""

    status: EnrolmentStatus
    waitlist_position: int | None = None


@dataclass(frozen=True)
class TeamMember:
    """One member of a team enrolment, with what the store knows about them."""

    participant_id: str
    region: str
    pcn_code: str | None
    holds_place: bool = False  # already confirmed or waitlisted in this offer


@dataclass(frozen=True)
class Enrolment:
    """An enrolment as withdrawal needs it."""

    id: str
    status: EnrolmentStatus
    waitlist_position: int | None = None

    def __post_init__(self):
        object.__setattr__(self, "status", as_enum(EnrolmentStatus, self.status, "status"))


@dataclass(frozen=True)
class WithdrawalPlan:
    """What a withdrawal changes: every enrolment here is in its new state.

    `waitlist` is the whole remaining waitlist in order, positions 1..n.
    """

    withdrawn: Enrolment
    promoted: Enrolment | None
    waitlist: tuple[Enrolment, ...]


@dataclass(frozen=True)
class PromotionPlan:
    """Waitlisted enrolments that take free places (now confirmed), and the rest renumbered 1..n."""

    promoted: tuple[Enrolment, ...]
    waitlist: tuple[Enrolment, ...]


@dataclass(frozen=True)
class MemberAttendance:
    """A member's enrolment and how many of the held sessions they were present at."""

    enrolment_id: str
    status: EnrolmentStatus
    sessions_present: int

    def __post_init__(self):
        object.__setattr__(self, "status", as_enum(EnrolmentStatus, self.status, "status"))


# --- Offers ---------------------------------------------------------------------------

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
        raise RuleViolation("learning_set_capacity",
                            f"An action learning set has at most {LEARNING_SET_MAX} members.", field="capacity")
    if offer.type is OfferType.COACHING and offer.capacity != 1:
        raise RuleViolation("coaching_capacity", "Coaching is one-to-one: capacity must be 1.", field="capacity")

    if _only_for(offer, "pcn_code", OfferType.PCN_TEAM):
        validate_pcn_code(offer.pcn_code, field="pcn_code")
        if pcn_region is None:
            raise NotFound("pcn_not_found", "No such PCN.", field="pcn_code")
        if offer.region != pcn_region:
            raise RuleViolation("wrong_region", "A PCN team offer must be in the PCN's own region.", field="region")
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
        raise RuleViolation("session_allowance_exceeded",
                            "planned_sessions must not exceed the session allowance.", field="planned_sessions")
    return offer


# What an update may change: the rest (region, type, PCN) decides who is eligible, so it is fixed.
EDITABLE_FIELDS = frozenset({"title", "capacity", "starts_on", "ends_on", "planned_sessions", "basis", "session_allowance"})
EDITABLE_STATUSES = frozenset({OfferStatus.DRAFT, OfferStatus.PUBLISHED})


def validate_offer_change(current: Offer, changes: dict, *, confirmed_count: int) -> Offer:
    """Apply `changes` to a draft or published offer; return the changed offer if every rule holds.

    A published offer's capacity may not drop below the places already confirmed: nobody
    loses a confirmed place because an offer was edited.
    """
    if current.status not in EDITABLE_STATUSES:
        raise Conflict("offer_not_editable", f"A {current.status.value} offer can no longer be changed.",
                       extra={"offer_status": current.status.value})
    for field in changes:
        if field not in EDITABLE_FIELDS:
            raise RuleViolation("not_editable", f"{field} cannot be changed.", field=field)
    changed = replace(current, **changes)
    # Checked as the draft it once was; its PCN is unchanged, so its region still matches.
    validate_new_offer(replace(changed, status=OfferStatus.DRAFT), pcn_region=changed.region)
    if changed.capacity < confirmed_count:
        raise Conflict("capacity_below_confirmed", "capacity cannot drop below the places already confirmed.",
                       field="capacity", extra={"confirmed": confirmed_count})
    return changed


def accepts_enrolment(offer: Offer) -> bool:
    """Whether the offer takes new members now (by enrolment or by waitlist promotion)."""
    if offer.status is OfferStatus.PUBLISHED:
        return True
    return offer.status is OfferStatus.STARTED and offer.type not in CLOSED_GROUP_TYPES


# --- Admission ------------------------------------------------------------------------

def _check_open(offer: Offer) -> None:
    if not accepts_enrolment(offer):
        raise Conflict("offer_not_open", f"A {offer.status.value} {offer.type.value} offer takes no new members.",
                       extra={"offer_status": offer.status.value})


def _check_member(offer: Offer, region: str, pcn_code: str | None, holds_place: bool, field: str) -> None:
    # Order: eligibility first (region, then PCN), then duplication.
    validate_region_code(region, field=field)
    if offer.region != NATIONAL and region != offer.region:
        raise RuleViolation("wrong_region", "The participant is not in the offer's region.", field=field)
    if offer.type is OfferType.PCN_TEAM and pcn_code != offer.pcn_code:
        raise RuleViolation("wrong_pcn", "A PCN team offer takes only that PCN's people.", field=field)
    if holds_place:
        raise Conflict("already_enrolled", "The participant already holds a place in this offer.", field=field)


def _place(capacity: int, confirmed: int, waitlist_length: int) -> Admission:
    # No queue jumping: a free place goes to a newcomer only if nobody is waiting.
    if confirmed < capacity and waitlist_length == 0:
        return Admission(EnrolmentStatus.CONFIRMED)
    return Admission(EnrolmentStatus.WAITLISTED, waitlist_length + 1)


def admit(offer: Offer, *, participant_region: str, participant_pcn: str | None, holds_place: bool,
          confirmed_count: int, waitlist_length: int) -> Admission:
    """Decide whether one participant is confirmed or waitlisted in `offer`."""
    _check_open(offer)
    _check_member(offer, participant_region, participant_pcn, holds_place, "participant_id")
    return _place(offer.capacity, confirmed_count, waitlist_length)


def admit_team(offer: Offer, members: Sequence[TeamMember], *, confirmed_count: int,
               waitlist_length: int) -> list[Admission]:
    """Admit a PCN's team all-or-nothing; one Admission per member, in the given order.

    Every member is checked before any place is assigned, so a refusal leaves nothing
    half-done. Errors name the member as ``participant_ids[i]``.
    """
    if offer.type is not OfferType.PCN_TEAM:
        raise RuleViolation("not_a_team_offer", "Only a pcn_team offer takes a team enrolment.")
    if not members:
        raise RuleViolation("required", "A team enrolment needs at least one member.", field="participant_ids")
    _check_open(offer)
    seen: set[str] = set()
    for i, member in enumerate(members):
        duplicate = member.participant_id in seen
        _check_member(offer, member.region, member.pcn_code, member.holds_place or duplicate,
                      f"participant_ids[{i}]")
        seen.add(member.participant_id)

    admissions = []
    for _ in members:
        admission = _place(offer.capacity, confirmed_count, waitlist_length)
        if admission.status is EnrolmentStatus.CONFIRMED:
            confirmed_count += 1
        else:
            waitlist_length += 1
        admissions.append(admission)
    return admissions


# --- Withdrawal -----------------------------------------------------------------------

def plan_withdrawal(offer: Offer, enrolments: Iterable[Enrolment], enrolment_id: str) -> WithdrawalPlan:
    """Plan withdrawing `enrolment_id` from `offer`, given all the offer's enrolments.

    A confirmed withdrawal frees a place, which goes to the waitlisted enrolment with the
    lowest position, but only while the offer still takes new members (`accepts_enrolment`).
    """
    enrolments = list(enrolments)
    target = next((e for e in enrolments if e.id == enrolment_id), None)
    if target is None:
        raise NotFound("enrolment_not_found", "No such enrolment in this offer.", field="enrolment_id")
    if target.status not in (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED):
        raise Conflict("not_active", f"A {target.status.value} enrolment cannot be withdrawn.",
                       field="enrolment_id", extra={"enrolment_status": target.status.value})

    # Existing order: by position; list order breaks ties and places missing positions last.
    queue = sorted(
        (e for e in enrolments if e.status is EnrolmentStatus.WAITLISTED and e.id != enrolment_id),
        key=lambda e: (e.waitlist_position is None, e.waitlist_position or 0),
    )
    promoted = None
    if target.status is EnrolmentStatus.CONFIRMED and queue and accepts_enrolment(offer):
        promoted = replace(queue.pop(0), status=EnrolmentStatus.CONFIRMED, waitlist_position=None)

    return WithdrawalPlan(
        withdrawn=replace(target, status=EnrolmentStatus.WITHDRAWN, waitlist_position=None),
        promoted=promoted,
        waitlist=tuple(replace(e, waitlist_position=n) for n, e in enumerate(queue, start=1)),
    )


def plan_promotions(offer: Offer, enrolments: Iterable[Enrolment]) -> PromotionPlan:
    """Fill the offer's free places from the front of its waitlist (after its capacity rose).

    Like a withdrawal, promotes only while the offer still takes new members.
    """
    enrolments = list(enrolments)
    confirmed = sum(1 for e in enrolments if e.status is EnrolmentStatus.CONFIRMED)
    queue = sorted((e for e in enrolments if e.status is EnrolmentStatus.WAITLISTED),
                   key=lambda e: (e.waitlist_position is None, e.waitlist_position or 0))
    free = max(offer.capacity - confirmed, 0) if accepts_enrolment(offer) else 0
    promoted = tuple(replace(e, status=EnrolmentStatus.CONFIRMED, waitlist_position=None) for e in queue[:free])
    return PromotionPlan(promoted, tuple(replace(e, waitlist_position=n) for n, e in enumerate(queue[free:], start=1)))


# --- Completion -----------------------------------------------------------------------

def select_completions(members: Iterable[MemberAttendance], sessions_held: int, *,
                       threshold: float = DEFAULT_COMPLETION_THRESHOLD) -> list[str]:
    """Ids of the confirmed enrolments whose attendance share reaches `threshold`.

    share = sessions_present / sessions_held. With no sessions held nobody completes:
    there is no attendance to complete on.
    """
    if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 < threshold <= 1:
        raise RuleViolation("invalid_threshold", "threshold must be above 0 and at most 1.", field="threshold")
    if sessions_held <= 0:
        return []
    # Compare the quotient, not present >= threshold * held: 0.56 * 25 is 14.000000000000002.
    return [m.enrolment_id for m in members
            if m.status is EnrolmentStatus.CONFIRMED and m.sessions_present / sessions_held >= threshold]
