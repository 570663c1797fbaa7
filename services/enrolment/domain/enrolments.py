"""Enrolments: admitting one participant or a PCN's team, withdrawal, and promotion from the waitlist.

* Nobody jumps the queue: a newcomer is confirmed only when a place is free *and* the
  waitlist is empty. Otherwise they join the back of the waitlist.
* Withdrawal renumbers the remaining waitlist 1..n in its existing order, which also
  repairs any gaps that may have crept in.
* A team is never split: a PCN's team is confirmed whole when every member fits in the free
  places and nobody is waiting; otherwise it is refused (`team_does_not_fit`) and nobody is placed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from enum import Enum

from services.enrolment.domain.offers import Offer, OfferStatus, accepts_enrolment
from services.enrolment.domain.reference import validate_region_code
from services.enrolment.domain.values import as_enum
from shared.contracts.vocabulary import NATIONAL, OfferType, WithdrawalReason
from shared.errors import Conflict, NotFound, RuleViolation


class EnrolmentStatus(str, Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    COMPLETED = "completed"


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
    reason: WithdrawalReason | None = None  # why a withdrawn enrolment ended; None while active

    def __post_init__(self):
        object.__setattr__(self, "status", as_enum(EnrolmentStatus, self.status, "status"))
        object.__setattr__(self, "reason", as_enum(WithdrawalReason, self.reason, "reason"))


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


def _check_open(offer: Offer) -> None:
    if not accepts_enrolment(offer):
        closed = " (a closed group once started)" if offer.status is OfferStatus.STARTED else ""
        raise Conflict(
            "offer_not_open",
            f"A {offer.status.value} {offer.type.value} offer takes no new members{closed}.",
            field="offer_id",
            extra={"offer_status": offer.status.value},
        )


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


def admit(
    offer: Offer,
    *,
    participant_region: str,
    participant_pcn: str | None,
    holds_place: bool,
    confirmed_count: int,
    waitlist_length: int,
) -> Admission:
    """Decide whether one participant is confirmed or waitlisted in `offer`."""
    _check_open(offer)
    _check_member(offer, participant_region, participant_pcn, holds_place, "participant_id")
    return _place(offer.capacity, confirmed_count, waitlist_length)


def admit_team(
    offer: Offer, members: Sequence[TeamMember], *, confirmed_count: int, waitlist_length: int
) -> list[Admission]:
    """Admit a PCN's team whole: every member confirmed, one Admission each, in the given order.

    A team works on its shared purpose together, so it is never split between places and the
    waitlist, and it does not queue either (a team waiting for a place would have to wait for
    several to free at once, while individuals behind it could not move). So it is confirmed
    whole when all its members fit in the free places and nobody is waiting, and otherwise
    refused with `team_does_not_fit`, naming its size and the free places. Every member is
    checked first (errors name them as ``participant_ids[i]``), so a refusal leaves nothing
    half-done.
    """
    if offer.type is not OfferType.PCN_TEAM:
        raise RuleViolation(
            "not_a_team_offer",
            f"Only a pcn_team offer takes a team enrolment; this is a {offer.type.value} offer.",
            field="offer_id",
        )
    if not members:
        raise RuleViolation("required", "A team enrolment needs at least one member.", field="participant_ids")
    _check_open(offer)
    first_mention: dict[str, int] = {}
    for i, member in enumerate(members):
        if member.participant_id in first_mention:
            raise RuleViolation(
                "duplicate_member",
                f"participant_ids[{i}] names the same participant as "
                f"participant_ids[{first_mention[member.participant_id]}].",
                field=f"participant_ids[{i}]",
            )
        _check_member(offer, member.region, member.pcn_code, member.holds_place, f"participant_ids[{i}]")
        first_mention[member.participant_id] = i

    free = max(offer.capacity - confirmed_count, 0) if waitlist_length == 0 else 0
    if len(members) > free:
        waiting = f" and {waitlist_length} waiting" if waitlist_length else ""
        raise Conflict(
            "team_does_not_fit",
            f"A team of {len(members)} does not fit: {free} places are free{waiting}. A team is confirmed whole "
            "or not at all.",
            field="participant_ids",
            extra={"team_size": len(members), "free_places": free, "waitlist_length": waitlist_length},
        )
    return [Admission(EnrolmentStatus.CONFIRMED) for _ in members]


def plan_withdrawal(
    offer: Offer,
    enrolments: Iterable[Enrolment],
    enrolment_id: str,
    reason: WithdrawalReason = WithdrawalReason.WITHDREW,
) -> WithdrawalPlan:
    """Plan withdrawing `enrolment_id` from `offer` for `reason`, given all the offer's enrolments.

    A confirmed withdrawal frees a place, which goes to the waitlisted enrolment with the
    lowest position, but only while the offer still takes new members (`accepts_enrolment`).
    """
    enrolments = list(enrolments)
    target = next((e for e in enrolments if e.id == enrolment_id), None)
    if target is None:
        raise NotFound("enrolment_not_found", "No such enrolment in this offer.", field="enrolment_id")
    if target.status not in (EnrolmentStatus.CONFIRMED, EnrolmentStatus.WAITLISTED):
        raise Conflict(
            "not_active",
            f"A {target.status.value} enrolment cannot be withdrawn.",
            field="enrolment_id",
            extra={"enrolment_status": target.status.value},
        )

    # Existing order: by position; list order breaks ties and places missing positions last.
    queue = sorted(
        (e for e in enrolments if e.status is EnrolmentStatus.WAITLISTED and e.id != enrolment_id),
        key=lambda e: (e.waitlist_position is None, e.waitlist_position or 0),
    )
    promoted = None
    if target.status is EnrolmentStatus.CONFIRMED and queue and accepts_enrolment(offer):
        promoted = replace(queue.pop(0), status=EnrolmentStatus.CONFIRMED, waitlist_position=None)

    return WithdrawalPlan(
        withdrawn=replace(target, status=EnrolmentStatus.WITHDRAWN, waitlist_position=None, reason=reason),
        promoted=promoted,
        waitlist=tuple(replace(e, waitlist_position=n) for n, e in enumerate(queue, start=1)),
    )


def plan_promotions(offer: Offer, enrolments: Iterable[Enrolment]) -> PromotionPlan:
    """Fill the offer's free places from the front of its waitlist (after its capacity rose).

    Like a withdrawal, promotes only while the offer still takes new members.
    """
    enrolments = list(enrolments)
    confirmed = sum(1 for e in enrolments if e.status is EnrolmentStatus.CONFIRMED)
    queue = sorted(
        (e for e in enrolments if e.status is EnrolmentStatus.WAITLISTED),
        key=lambda e: (e.waitlist_position is None, e.waitlist_position or 0),
    )
    free = max(offer.capacity - confirmed, 0) if accepts_enrolment(offer) else 0
    promoted = tuple(replace(e, status=EnrolmentStatus.CONFIRMED, waitlist_position=None) for e in queue[:free])
    return PromotionPlan(promoted, tuple(replace(e, waitlist_position=n) for n, e in enumerate(queue[free:], start=1)))
