"""Endings: what an offer's start, completion or cancellation does to the enrolments it leaves
behind, and which other offers the people it lets go are offered instead.

* A closed group (an action learning set or coaching) admits nobody once it has started, so
  its waitlist could never be reached: when it starts, every waitlisted enrolment ends,
  `withdrawn` for the reason `waitlist_released` (`plan_release`).
* A cancelled offer ends every confirmed and waitlisted enrolment, `withdrawn` for the reason
  `offer_cancelled`, and promotes nobody: there is no place left to promote into
  (`plan_cancellation`).
* An offer that held no session cannot complete: nobody could complete with it, and its
  figures would be empty (`require_a_held_session`); cancel it instead.
* Everyone an ending lets go is offered the other open offers of the same kind that they may
  join: their own region's and national ones, published (or started and still open), and not
  ones they already hold a place in (`alternatives`).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import replace

from services.enrolment.domain.enrolments import Enrolment, EnrolmentStatus
from services.enrolment.domain.offers import CLOSED_GROUP_TYPES, Offer, OfferStatus, accepts_enrolment
from shared.contracts.vocabulary import NATIONAL, OfferType, WithdrawalReason
from shared.errors import Conflict

# At most this many alternatives travel with each released or cancelled enrolment: an e-mail
# offers a handful, soonest first, not a catalogue.
MAX_ALTERNATIVES = 10


def _ended(enrolment: Enrolment, reason: WithdrawalReason) -> Enrolment:
    return replace(enrolment, status=EnrolmentStatus.WITHDRAWN, waitlist_position=None, reason=reason)


def plan_release(offer: Offer, enrolments: Iterable[Enrolment]) -> tuple[Enrolment, ...]:
    """The waitlisted enrolments a started closed group releases, each now withdrawn for
    `waitlist_released`, in waitlist order; none for any other offer."""
    if offer.status is not OfferStatus.STARTED or offer.type not in CLOSED_GROUP_TYPES:
        return ()
    waiting = sorted(
        (e for e in enrolments if e.status is EnrolmentStatus.WAITLISTED),
        key=lambda e: (e.waitlist_position is None, e.waitlist_position or 0),
    )
    return tuple(_ended(e, WithdrawalReason.WAITLIST_RELEASED) for e in waiting)


def plan_cancellation(offer: Offer, enrolments: Iterable[Enrolment]) -> tuple[Enrolment, ...]:
    """Every confirmed and waitlisted enrolment of a cancelled offer, each now withdrawn for
    `offer_cancelled` (members first, then the waitlist in order). Nobody is promoted."""
    if offer.status is not OfferStatus.CANCELLED:
        return ()
    order = {EnrolmentStatus.CONFIRMED: 0, EnrolmentStatus.WAITLISTED: 1}
    active = sorted(
        (e for e in enrolments if e.status in order), key=lambda e: (order[e.status], e.waitlist_position or 0)
    )
    return tuple(_ended(e, WithdrawalReason.OFFER_CANCELLED) for e in active)


def require_a_held_session(sessions_held: int) -> None:
    """Completion needs at least one session held (not cancelled, and over)."""
    if sessions_held <= 0:
        raise Conflict(
            "no_session_held",
            "An offer that has held no session cannot complete: nobody could complete with it. "
            "Cancel it instead, or complete it once a session has been held.",
            field="status",
            extra={"sessions_held": 0},
        )


def alternatives(
    ended: Offer,
    candidates: Iterable[Offer],
    *,
    participant_region: str,
    participant_pcn: str | None = None,
    already_held: Collection[str] = (),
) -> tuple[str, ...]:
    """Ids of the other offers of `ended`'s type that the participant could join now: in their
    region or national (a PCN team offer: their own PCN's), taking new members, not one they
    hold a place in; soonest first."""
    fitting = [
        offer
        for offer in candidates
        if offer.id != ended.id
        and offer.type is ended.type
        and offer.region in (participant_region, NATIONAL)
        and (offer.type is not OfferType.PCN_TEAM or offer.pcn_code == participant_pcn)
        and accepts_enrolment(offer)
        and offer.id not in already_held
    ]
    fitting.sort(key=lambda offer: (offer.starts_on, offer.id))
    return tuple(offer.id for offer in fitting[:MAX_ALTERNATIVES])
