"""Unit tests of the endings rules (services/enrolment/domain/endings.py): a started closed
group releases its waitlist, a cancelled offer ends every enrolment and promotes nobody,
completion needs a session held, and whoever is let go is offered the open alternatives. No I/O."""

from contextlib import contextmanager
from datetime import date

import pytest

from services.enrolment.domain.endings import (
    MAX_ALTERNATIVES,
    alternatives,
    plan_cancellation,
    plan_release,
    require_a_held_session,
)
from services.enrolment.domain.enrolments import Enrolment, EnrolmentStatus
from services.enrolment.domain.offers import LearningSetBasis, Offer, OfferStatus
from shared.contracts.vocabulary import NATIONAL, OfferType, WithdrawalReason
from shared.errors import Conflict

LONDON, SOUTH_WEST = "Y56", "Y58"
PCN, OTHER_PCN = "U12345", "U54321"


def offer(
    id_="set",
    type_=OfferType.ACTION_LEARNING_SET,
    status=OfferStatus.PUBLISHED,
    region=LONDON,
    starts_on=date(2027, 1, 4),
    **changes,
):
    details = {
        OfferType.ACTION_LEARNING_SET: {"capacity": 8, "basis": LearningSetBasis.PROJECT},
        OfferType.COACHING: {"capacity": 1, "session_allowance": 6},
        OfferType.PCN_TEAM: {"capacity": 10, "pcn_code": PCN},
        OfferType.REGIONAL_PROGRAMME: {"capacity": 20},
    }[type_]
    return Offer(
        id=id_,
        region=region,
        type=type_,
        title="t",
        starts_on=starts_on,
        ends_on=date(2027, 12, 20),
        planned_sessions=6,
        status=status,
        **{**details, **changes},
    )


def roster():
    """Two members, a waitlist of three (listed out of order), and two who already left."""
    return [
        Enrolment("c1", "confirmed"),
        Enrolment("w3", "waitlisted", 3),
        Enrolment("c2", "confirmed"),
        Enrolment("w1", "waitlisted", 1),
        Enrolment("w2", "waitlisted", 2),
        Enrolment("x1", "withdrawn", reason="withdrew"),
        Enrolment("d1", "completed"),
    ]


@contextmanager
def refused(rule, field):
    with pytest.raises(Conflict) as caught:
        yield caught
    assert (caught.value.rule, caught.value.field) == (rule, field)


# --- A started set releases its waitlist --------------------------------------------------


@pytest.mark.parametrize("type_", [OfferType.ACTION_LEARNING_SET, OfferType.COACHING])
def test_a_started_closed_group_releases_its_whole_waitlist_in_order(type_):
    released = plan_release(offer(type_=type_, status=OfferStatus.STARTED), roster())
    assert [e.id for e in released] == ["w1", "w2", "w3"]
    assert {(e.status, e.waitlist_position, e.reason) for e in released} == {
        (EnrolmentStatus.WITHDRAWN, None, WithdrawalReason.WAITLIST_RELEASED)
    }


def test_a_release_leaves_members_and_those_who_already_left_alone():
    released = {e.id for e in plan_release(offer(status=OfferStatus.STARTED), roster())}
    assert released.isdisjoint({"c1", "c2", "x1", "d1"})


@pytest.mark.parametrize("type_", [OfferType.REGIONAL_PROGRAMME, OfferType.PCN_TEAM])
def test_an_open_group_keeps_its_waitlist_when_it_starts_since_it_still_promotes(type_):
    assert plan_release(offer(type_=type_, status=OfferStatus.STARTED), roster()) == ()


@pytest.mark.parametrize(
    "status", [OfferStatus.DRAFT, OfferStatus.PUBLISHED, OfferStatus.COMPLETED, OfferStatus.CANCELLED]
)
def test_only_the_start_releases_a_closed_groups_waitlist(status):
    assert plan_release(offer(status=status), roster()) == ()


# --- A cancelled offer ends every enrolment ----------------------------------------------------


def test_a_cancelled_offer_ends_every_member_and_everyone_waiting_for_offer_cancelled():
    ended = plan_cancellation(offer(status=OfferStatus.CANCELLED), roster())
    assert [e.id for e in ended] == ["c1", "c2", "w1", "w2", "w3"]
    assert {(e.status, e.waitlist_position, e.reason) for e in ended} == {
        (EnrolmentStatus.WITHDRAWN, None, WithdrawalReason.OFFER_CANCELLED)
    }


def test_a_cancellation_promotes_nobody():
    ended = plan_cancellation(offer(status=OfferStatus.CANCELLED), roster())
    assert all(e.status is not EnrolmentStatus.CONFIRMED for e in ended)


def test_a_cancellation_leaves_completed_and_withdrawn_enrolments_as_they_were():
    assert {e.id for e in plan_cancellation(offer(status=OfferStatus.CANCELLED), roster())}.isdisjoint({"x1", "d1"})


@pytest.mark.parametrize("status", [OfferStatus.PUBLISHED, OfferStatus.STARTED, OfferStatus.COMPLETED])
def test_an_offer_that_is_not_cancelled_ends_nobody(status):
    assert plan_cancellation(offer(status=status), roster()) == ()


# --- Completion needs a session held --------------------------------------------------------


def test_an_offer_that_held_no_session_cannot_complete():
    with refused("no_session_held", "status") as caught:
        require_a_held_session(0)
    assert caught.value.status == 409 and caught.value.extra == {"sessions_held": 0}
    assert "Cancel it instead" in caught.value.detail


def test_an_offer_that_held_one_session_may_complete():
    assert require_a_held_session(1) is None


# --- Alternatives -----------------------------------------------------------------------------------


def test_the_alternatives_are_the_regions_and_national_open_offers_of_the_same_kind_soonest_first():
    ended = offer(status=OfferStatus.STARTED)
    candidates = [
        offer("later", starts_on=date(2027, 3, 1)),
        offer("sooner", starts_on=date(2027, 2, 1)),
        offer("national", region=NATIONAL, starts_on=date(2027, 2, 15)),
        offer("other-region", region=SOUTH_WEST),
        offer("programme", type_=OfferType.REGIONAL_PROGRAMME),
        offer("draft", status=OfferStatus.DRAFT),
        offer("closed", status=OfferStatus.STARTED),
        offer("over", status=OfferStatus.COMPLETED),
        ended,
    ]
    assert alternatives(ended, candidates, participant_region=LONDON) == ("sooner", "national", "later")


def test_an_offer_the_person_already_holds_a_place_in_is_no_alternative():
    assert alternatives(offer("ended"), [offer("a"), offer("b")], participant_region=LONDON, already_held={"a"}) == (
        "b",
    )


def test_a_started_open_group_is_an_alternative_because_it_still_takes_members():
    ended = offer("ended", type_=OfferType.REGIONAL_PROGRAMME, status=OfferStatus.CANCELLED)
    assert alternatives(
        ended,
        [offer("running", type_=OfferType.REGIONAL_PROGRAMME, status=OfferStatus.STARTED)],
        participant_region=LONDON,
    ) == ("running",)


def test_a_national_offers_people_are_offered_their_own_regions_alternatives():
    ended = offer("ended", region=NATIONAL, status=OfferStatus.STARTED)
    candidates = [offer("london"), offer("south-west", region=SOUTH_WEST)]
    assert alternatives(ended, candidates, participant_region=SOUTH_WEST) == ("south-west",)


def test_a_pcn_team_offers_alternatives_are_only_their_own_pcns():
    ended = offer("ended", type_=OfferType.PCN_TEAM, status=OfferStatus.CANCELLED)
    candidates = [
        offer("mine", type_=OfferType.PCN_TEAM),
        offer("theirs", type_=OfferType.PCN_TEAM, pcn_code=OTHER_PCN),
    ]
    assert alternatives(ended, candidates, participant_region=LONDON, participant_pcn=PCN) == ("mine",)


def test_at_most_a_handful_of_alternatives_are_offered():
    candidates = [offer(f"o{n:02d}", starts_on=date(2027, 1, 1 + n)) for n in range(MAX_ALTERNATIVES + 5)]
    offered = alternatives(offer("ended"), candidates, participant_region=LONDON)
    assert offered == tuple(f"o{n:02d}" for n in range(MAX_ALTERNATIVES))


def test_with_nothing_open_nothing_is_offered():
    assert alternatives(offer("ended"), [], participant_region=LONDON) == ()
