"""Unit tests of the enrolment domain rules (services/enrolment/domain/). No I/O."""

import json
from contextlib import contextmanager
from dataclasses import replace
from datetime import date

import pytest

from services.enrolment.domain.completion import MemberAttendance, select_completions
from services.enrolment.domain.enrolments import (
    Admission,
    Enrolment,
    EnrolmentStatus,
    TeamMember,
    admit,
    admit_team,
    plan_promotions,
    plan_withdrawal,
)
from services.enrolment.domain.offers import (
    CLOSED_GROUP_TYPES,
    LearningSetBasis,
    Offer,
    OfferAction,
    OfferStatus,
    accepts_enrolment,
    transition,
    validate_new_offer,
    validate_offer_change,
)
from services.enrolment.domain.participants import place_participant
from services.enrolment.domain.reference import (
    REGION_CODES,
    validate_pcn_code,
    validate_practice_code,
    validate_region_code,
)
from shared.contracts.vocabulary import NATIONAL, LeadershipExperience, OfferType, ParticipantRole, WithdrawalReason
from shared.errors import Conflict, NotFound, RuleViolation

LONDON, SOUTH_WEST = "Y56", "Y58"
PCN, OTHER_PCN = "U12345", "U54321"

CONFIRMED = Admission(EnrolmentStatus.CONFIRMED)


def waitlisted(position):
    return Admission(EnrolmentStatus.WAITLISTED, position)


@contextmanager
def broken(error_class, rule, field="<any>"):
    """Expect exactly `error_class` with this rule (and field, when given)."""
    with pytest.raises(error_class) as caught:
        yield caught
    assert type(caught.value) is error_class
    assert caught.value.rule == rule
    if field != "<any>":
        assert caught.value.field == field


def make_offer(type_=OfferType.REGIONAL_PROGRAMME, **changes):
    """A valid draft offer of the given type; `changes` override any field."""
    fields = dict(
        id="offer-1",
        region=LONDON,
        type=type_,
        title="Leading together",
        capacity=20,
        starts_on=date(2025, 1, 6),
        ends_on=date(2025, 6, 30),
        planned_sessions=6,
    )
    if type_ is OfferType.PCN_TEAM:
        fields.update(pcn_code=PCN, capacity=10)
    elif type_ is OfferType.ACTION_LEARNING_SET:
        fields.update(basis=LearningSetBasis.PROJECT, capacity=8)
    elif type_ is OfferType.COACHING:
        fields.update(capacity=1, session_allowance=6)
    fields.update(changes)
    return Offer(**fields)


def open_offer(type_=OfferType.REGIONAL_PROGRAMME, status=OfferStatus.PUBLISHED, **changes):
    return make_offer(type_, status=status, **changes)


# --- Vocabulary ---------------------------------------------------------------------


def test_enums_hold_exactly_the_values_of_the_brief():
    assert [t.value for t in OfferType] == ["regional_programme", "pcn_team", "action_learning_set", "coaching"]
    assert [s.value for s in OfferStatus] == ["draft", "published", "started", "completed", "cancelled"]
    assert [s.value for s in EnrolmentStatus] == ["confirmed", "waitlisted", "withdrawn", "completed"]
    assert [r.value for r in ParticipantRole] == [
        "clinical_director",
        "pcn_manager",
        "practice_manager",
        "gp",
        "nurse",
        "pharmacist",
        "other",
    ]
    assert [e.value for e in LeadershipExperience] == ["none", "practice", "federation", "ccg_or_icb_board"]
    assert [b.value for b in LearningSetBasis] == ["project", "place", "individual"]


def test_enum_members_serialise_as_plain_strings():
    assert (
        json.dumps({"type": OfferType.PCN_TEAM, "status": EnrolmentStatus.WAITLISTED})
        == '{"type": "pcn_team", "status": "waitlisted"}'
    )
    assert OfferType.COACHING == "coaching"


def test_action_learning_sets_and_coaching_are_the_closed_groups():
    assert CLOSED_GROUP_TYPES == {OfferType.ACTION_LEARNING_SET, OfferType.COACHING}


# --- Reference data ---------------------------------------------------------------


@pytest.mark.parametrize("code", ["Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"])
def test_each_of_the_seven_nhs_england_regions_is_a_valid_region_code(code):
    assert validate_region_code(code) == code


def test_there_are_exactly_seven_regions():
    assert REGION_CODES == {"Y56", "Y58", "Y59", "Y60", "Y61", "Y62", "Y63"}


def test_national_is_not_a_region_unless_allowed():
    with broken(RuleViolation, "invalid_ods_code", field="region"):
        validate_region_code(NATIONAL)
    assert validate_region_code(NATIONAL, allow_national=True) == "national"


@pytest.mark.parametrize("code", ["Y57", "Y64", "y56", " Y56", "Y56\n", "", "London", "NATIONAL", None, 56])
def test_anything_else_is_not_a_region_code(code):
    with broken(RuleViolation, "invalid_ods_code", field="region"):
        validate_region_code(code, allow_national=True)


def test_a_code_error_names_the_field_it_was_asked_about():
    with broken(RuleViolation, "invalid_ods_code", field="participant_region"):
        validate_region_code("Y99", field="participant_region")


@pytest.mark.parametrize("code", ["U12345", "U00000", "U99999"])
def test_a_pcn_code_is_u_and_five_digits(code):
    assert validate_pcn_code(code) == code


@pytest.mark.parametrize(
    "code", ["U1234", "U123456", "u12345", "X12345", "U1234A", "U12345\n", "U１２３４５", "", None]
)
def test_anything_else_is_not_a_pcn_code(code):
    with broken(RuleViolation, "invalid_ods_code", field="pcn_code"):
        validate_pcn_code(code)


@pytest.mark.parametrize("code", ["A81001", "Y12345", "U12345"])
def test_a_practice_code_is_a_letter_and_five_digits(code):
    assert validate_practice_code(code) == code


@pytest.mark.parametrize("code", ["181001", "AB1001", "a81001", "A8100", "A810011", "A81001\n", "", None])
def test_anything_else_is_not_a_practice_code(code):
    with broken(RuleViolation, "invalid_ods_code", field="practice_code"):
        validate_practice_code(code)


# --- New offers ---------------------------------------------------------------------


@pytest.mark.parametrize("type_", list(OfferType))
def test_a_well_formed_draft_offer_of_each_type_is_accepted_unchanged(type_):
    offer = make_offer(type_)
    assert validate_new_offer(offer, pcn_region=LONDON) is offer


def test_an_offer_built_from_database_strings_gets_enum_members():
    offer = make_offer(OfferType.ACTION_LEARNING_SET, type="action_learning_set", status="published", basis="place")
    assert offer.type is OfferType.ACTION_LEARNING_SET
    assert offer.status is OfferStatus.PUBLISHED
    assert offer.basis is LearningSetBasis.PLACE


def test_an_unknown_offer_type_is_refused_naming_the_field():
    with broken(RuleViolation, "invalid_value", field="type"):
        make_offer(type="webinar")


def test_an_unknown_learning_set_basis_is_refused_naming_the_field():
    with broken(RuleViolation, "invalid_value", field="basis"):
        make_offer(OfferType.ACTION_LEARNING_SET, basis="online")


def test_a_new_offer_must_start_as_a_draft():
    with broken(RuleViolation, "invalid_status", field="status"):
        validate_new_offer(make_offer(status=OfferStatus.PUBLISHED))


def test_an_offer_may_be_national():
    validate_new_offer(make_offer(region=NATIONAL))


def test_an_offer_in_an_unknown_region_is_refused():
    with broken(RuleViolation, "invalid_ods_code", field="region"):
        validate_new_offer(make_offer(region="Y57"))


@pytest.mark.parametrize("title", ["", "   ", None])
def test_an_offer_needs_a_title(title):
    with broken(RuleViolation, "required", field="title"):
        validate_new_offer(make_offer(title=title))


@pytest.mark.parametrize("capacity", [0, -1, True, "3", 2.5, None])
def test_every_offer_needs_a_whole_number_capacity_of_at_least_one(capacity):
    with broken(RuleViolation, "invalid_capacity", field="capacity"):
        validate_new_offer(make_offer(capacity=capacity))


@pytest.mark.parametrize("capacity", [1, 5, 8])
def test_an_action_learning_set_takes_one_to_eight_members(capacity):
    validate_new_offer(make_offer(OfferType.ACTION_LEARNING_SET, capacity=capacity))


def test_an_action_learning_set_of_nine_breaks_the_hard_limit_of_eight():
    with broken(RuleViolation, "learning_set_capacity", field="capacity"):
        validate_new_offer(make_offer(OfferType.ACTION_LEARNING_SET, capacity=9))


def test_coaching_capacity_must_be_exactly_one():
    with broken(RuleViolation, "coaching_capacity", field="capacity"):
        validate_new_offer(make_offer(OfferType.COACHING, capacity=2))


def test_large_cohorts_are_fine_for_regional_programmes_and_pcn_teams():
    validate_new_offer(make_offer(capacity=30))
    validate_new_offer(make_offer(OfferType.PCN_TEAM, capacity=30), pcn_region=LONDON)


def test_a_pcn_team_offer_needs_a_pcn_code():
    with broken(RuleViolation, "required", field="pcn_code"):
        validate_new_offer(make_offer(OfferType.PCN_TEAM, pcn_code=None), pcn_region=LONDON)


def test_a_pcn_team_offer_needs_a_well_formed_pcn_code():
    with broken(RuleViolation, "invalid_ods_code", field="pcn_code"):
        validate_new_offer(make_offer(OfferType.PCN_TEAM, pcn_code="P12345"), pcn_region=LONDON)


def test_a_pcn_team_offer_for_an_unknown_pcn_is_not_found():
    with broken(NotFound, "pcn_not_found", field="pcn_code"):
        validate_new_offer(make_offer(OfferType.PCN_TEAM), pcn_region=None)


def test_a_pcn_team_offer_must_be_in_the_pcns_region_and_the_refusal_names_the_pcn_sent():
    with broken(RuleViolation, "wrong_region", field="pcn_code") as caught:
        validate_new_offer(make_offer(OfferType.PCN_TEAM), pcn_region=SOUTH_WEST)
    assert "not in your region" in caught.value.detail


def test_a_pcn_team_offer_cannot_be_national_and_the_refusal_names_the_offer_type():
    with broken(RuleViolation, "wrong_region", field="offer_type"):
        validate_new_offer(make_offer(OfferType.PCN_TEAM, region=NATIONAL), pcn_region=LONDON)


@pytest.mark.parametrize("type_", [OfferType.REGIONAL_PROGRAMME, OfferType.ACTION_LEARNING_SET, OfferType.COACHING])
def test_only_a_pcn_team_offer_carries_a_pcn_code(type_):
    with broken(RuleViolation, "not_applicable", field="pcn_code"):
        validate_new_offer(make_offer(type_, pcn_code=PCN), pcn_region=LONDON)


def test_an_action_learning_set_needs_a_basis():
    with broken(RuleViolation, "required", field="basis"):
        validate_new_offer(make_offer(OfferType.ACTION_LEARNING_SET, basis=None))


@pytest.mark.parametrize("type_", [OfferType.REGIONAL_PROGRAMME, OfferType.PCN_TEAM, OfferType.COACHING])
def test_only_an_action_learning_set_carries_a_basis(type_):
    with broken(RuleViolation, "not_applicable", field="basis"):
        validate_new_offer(make_offer(type_, basis=LearningSetBasis.PLACE), pcn_region=LONDON)


def test_coaching_needs_a_session_allowance():
    with broken(RuleViolation, "required", field="session_allowance"):
        validate_new_offer(make_offer(OfferType.COACHING, session_allowance=None))


@pytest.mark.parametrize("allowance", [1, 50])
def test_a_coaching_allowance_of_one_to_fifty_sessions_is_accepted(allowance):
    validate_new_offer(make_offer(OfferType.COACHING, session_allowance=allowance, planned_sessions=1))


@pytest.mark.parametrize("allowance", [0, 51, -3, True, "6"])
def test_a_coaching_allowance_outside_one_to_fifty_is_refused(allowance):
    with broken(RuleViolation, "session_allowance", field="session_allowance"):
        validate_new_offer(make_offer(OfferType.COACHING, session_allowance=allowance, planned_sessions=1))


@pytest.mark.parametrize("type_", [OfferType.REGIONAL_PROGRAMME, OfferType.PCN_TEAM, OfferType.ACTION_LEARNING_SET])
def test_only_coaching_carries_a_session_allowance(type_):
    with broken(RuleViolation, "not_applicable", field="session_allowance"):
        validate_new_offer(make_offer(type_, session_allowance=6), pcn_region=LONDON)


def test_coaching_cannot_plan_more_sessions_than_its_allowance():
    validate_new_offer(make_offer(OfferType.COACHING, session_allowance=6, planned_sessions=6))
    with broken(RuleViolation, "session_allowance_exceeded", field="planned_sessions"):
        validate_new_offer(make_offer(OfferType.COACHING, session_allowance=6, planned_sessions=7))


def test_an_offer_may_start_and_end_on_the_same_day():
    validate_new_offer(make_offer(starts_on=date(2025, 3, 3), ends_on=date(2025, 3, 3)))


def test_an_offer_cannot_end_before_it_starts():
    with broken(RuleViolation, "invalid_dates", field="ends_on"):
        validate_new_offer(make_offer(starts_on=date(2025, 3, 3), ends_on=date(2025, 3, 2)))


@pytest.mark.parametrize("field", ["starts_on", "ends_on"])
def test_an_offer_needs_real_dates(field):
    with broken(RuleViolation, "required", field=field):
        validate_new_offer(make_offer(**{field: "2025-03-03"}))


@pytest.mark.parametrize("planned", [0, -1, None])
def test_an_offer_plans_at_least_one_session(planned):
    with broken(RuleViolation, "planned_sessions", field="planned_sessions"):
        validate_new_offer(make_offer(planned_sessions=planned))


# --- Lifecycle ----------------------------------------------------------------------


def test_an_offer_goes_from_draft_to_published_to_started_to_completed():
    status = OfferStatus.DRAFT
    for action, expected in [("publish", "published"), ("start", "started"), ("complete", "completed")]:
        status = transition(status, action)
        assert status is OfferStatus(expected)


@pytest.mark.parametrize("status", ["draft", "published", "started"])
def test_an_offer_can_be_cancelled_until_it_completes(status):
    assert transition(status, OfferAction.CANCEL) is OfferStatus.CANCELLED


ALLOWED = {
    ("draft", "publish"),
    ("published", "start"),
    ("started", "complete"),
    ("draft", "cancel"),
    ("published", "cancel"),
    ("started", "cancel"),
}
TARGET = {"publish": "published", "start": "started", "complete": "completed", "cancel": "cancelled"}


@pytest.mark.parametrize(
    "status, action",
    [(s.value, a.value) for s in OfferStatus for a in OfferAction if (s.value, a.value) not in ALLOWED],
)
def test_every_other_move_is_an_invalid_transition_naming_from_and_to(status, action):
    with broken(Conflict, "invalid_transition") as caught:
        transition(status, action)
    assert caught.value.extra == {"from": status, "to": TARGET[action]}
    assert status in caught.value.detail and TARGET[action] in caught.value.detail


def test_an_unknown_action_is_refused_naming_the_field():
    with broken(RuleViolation, "invalid_value", field="action"):
        transition(OfferStatus.DRAFT, "archive")


# --- Which offers take new members ----------------------------------------------------


@pytest.mark.parametrize("type_", list(OfferType))
@pytest.mark.parametrize("status", list(OfferStatus))
def test_only_published_offers_and_started_open_groups_take_new_members(type_, status):
    expected = status is OfferStatus.PUBLISHED or (
        status is OfferStatus.STARTED and type_ in (OfferType.REGIONAL_PROGRAMME, OfferType.PCN_TEAM)
    )
    assert accepts_enrolment(make_offer(type_, status=status)) is expected


# --- Admission of one participant -------------------------------------------------


def admit_one(offer, region=LONDON, pcn=PCN, holds_place=False, confirmed=0, waiting=0):
    return admit(
        offer,
        participant_region=region,
        participant_pcn=pcn,
        holds_place=holds_place,
        confirmed_count=confirmed,
        waitlist_length=waiting,
    )


def test_a_participant_is_confirmed_while_places_remain():
    assert admit_one(open_offer(capacity=20), confirmed=19) == CONFIRMED


def test_a_participant_is_waitlisted_at_the_back_when_the_offer_is_full():
    assert admit_one(open_offer(capacity=20), confirmed=20, waiting=3) == waitlisted(4)


def test_the_first_person_waitlisted_is_at_position_one():
    assert admit_one(open_offer(capacity=20), confirmed=20) == waitlisted(1)


def test_a_newcomer_does_not_jump_the_waitlist_even_when_a_place_is_free():
    assert admit_one(open_offer(capacity=20), confirmed=19, waiting=2) == waitlisted(3)


def test_coaching_confirms_one_person_and_waitlists_the_next():
    coaching = open_offer(OfferType.COACHING)
    assert admit_one(coaching) == CONFIRMED
    assert admit_one(coaching, confirmed=1) == waitlisted(1)


@pytest.mark.parametrize("status", [OfferStatus.DRAFT, OfferStatus.COMPLETED, OfferStatus.CANCELLED])
def test_an_offer_that_is_not_published_or_started_takes_no_enrolment(status):
    with broken(Conflict, "offer_not_open") as caught:
        admit_one(open_offer(status=status))
    assert caught.value.extra == {"offer_status": status.value}


@pytest.mark.parametrize("type_", [OfferType.ACTION_LEARNING_SET, OfferType.COACHING])
def test_a_closed_group_takes_no_new_member_once_started(type_):
    with broken(Conflict, "offer_not_open"):
        admit_one(open_offer(type_, status=OfferStatus.STARTED))


@pytest.mark.parametrize("type_", [OfferType.REGIONAL_PROGRAMME, OfferType.PCN_TEAM])
def test_a_regional_programme_or_pcn_team_still_takes_enrolment_once_started(type_):
    assert admit_one(open_offer(type_, status=OfferStatus.STARTED)) == CONFIRMED


def test_a_participant_from_another_region_is_not_eligible():
    with broken(RuleViolation, "wrong_region", field="participant_id"):
        admit_one(open_offer(region=LONDON), region=SOUTH_WEST)


@pytest.mark.parametrize("region", sorted(REGION_CODES))
def test_a_national_offer_takes_participants_from_every_region(region):
    assert admit_one(open_offer(region=NATIONAL), region=region) == CONFIRMED


def test_a_participant_cannot_claim_the_national_pseudo_region():
    with broken(RuleViolation, "invalid_ods_code", field="participant_id"):
        admit_one(open_offer(region=NATIONAL), region=NATIONAL)


def test_a_pcn_team_offer_takes_people_of_its_own_pcn():
    assert admit_one(open_offer(OfferType.PCN_TEAM), pcn=PCN) == CONFIRMED


@pytest.mark.parametrize("pcn", [OTHER_PCN, None])
def test_a_pcn_team_offer_refuses_people_of_another_pcn_or_of_none(pcn):
    with broken(RuleViolation, "wrong_pcn", field="participant_id"):
        admit_one(open_offer(OfferType.PCN_TEAM), pcn=pcn)


def test_the_pcn_does_not_matter_for_other_offer_types():
    assert admit_one(open_offer(OfferType.ACTION_LEARNING_SET), pcn=OTHER_PCN) == CONFIRMED


def test_nobody_holds_two_places_in_one_offer():
    with broken(Conflict, "already_enrolled", field="participant_id"):
        admit_one(open_offer(), holds_place=True)


def test_a_closed_offer_is_reported_before_eligibility():
    with broken(Conflict, "offer_not_open"):
        admit_one(open_offer(status=OfferStatus.DRAFT), region=SOUTH_WEST)


def test_eligibility_is_reported_before_a_duplicate_place():
    with broken(RuleViolation, "wrong_region"):
        admit_one(open_offer(), region=SOUTH_WEST, holds_place=True)


# --- Team enrolment -------------------------------------------------------------------


def team(n, **overrides_by_index):
    """n eligible members of PCN; overrides_by_index maps "m<i>" to field changes."""
    members = [TeamMember(participant_id=f"p{i}", region=LONDON, pcn_code=PCN) for i in range(n)]
    for key, changes in overrides_by_index.items():
        i = int(key[1:])
        members[i] = replace(members[i], **changes)
    return members


def admit_members(members, capacity=10, confirmed=0, waiting=0, **offer_changes):
    offer = open_offer(OfferType.PCN_TEAM, capacity=capacity, **offer_changes)
    return admit_team(offer, members, confirmed_count=confirmed, waitlist_length=waiting)


def test_a_team_that_fits_is_confirmed_in_full():
    assert admit_members(team(4), capacity=10) == [CONFIRMED] * 4


def test_a_team_that_exactly_fills_the_free_places_is_confirmed_in_full():
    assert admit_members(team(3), capacity=5, confirmed=2) == [CONFIRMED] * 3


def test_a_team_of_four_for_three_free_places_is_refused_whole_naming_its_size_and_the_free_places():
    with broken(Conflict, "team_does_not_fit", field="participant_ids") as caught:
        admit_members(team(4), capacity=5, confirmed=2)
    assert caught.value.extra == {"team_size": 4, "free_places": 3, "waitlist_length": 0}
    assert "team of 4" in caught.value.detail and "3 places are free" in caught.value.detail


def test_a_team_is_not_split_between_places_and_the_waitlist_when_people_are_waiting():
    # Places free but people waiting: they are first in line, so no place is free for a team.
    with broken(Conflict, "team_does_not_fit") as caught:
        admit_members(team(2), capacity=5, confirmed=3, waiting=1)
    assert caught.value.extra == {"team_size": 2, "free_places": 0, "waitlist_length": 1}


def test_a_team_for_a_full_offer_is_refused_rather_than_waitlisted():
    with broken(Conflict, "team_does_not_fit"):
        admit_members(team(1), capacity=5, confirmed=5)


def test_a_member_who_breaks_a_rule_is_reported_before_the_team_does_not_fit():
    with broken(RuleViolation, "wrong_pcn", field="participant_ids[1]"):
        admit_members(team(4, m1={"pcn_code": OTHER_PCN}), capacity=2)


def test_a_started_pcn_team_offer_still_takes_a_team():
    assert admit_members(team(2), status=OfferStatus.STARTED) == [CONFIRMED] * 2


def test_a_team_member_from_another_pcn_is_named_by_index():
    with broken(RuleViolation, "wrong_pcn", field="participant_ids[2]"):
        admit_members(team(4, m2={"pcn_code": OTHER_PCN}))


def test_a_team_member_from_another_region_is_named_by_index():
    with broken(RuleViolation, "wrong_region", field="participant_ids[1]"):
        admit_members(team(3, m1={"region": SOUTH_WEST}))


def test_a_team_member_who_already_holds_a_place_is_named_by_index():
    with broken(Conflict, "already_enrolled", field="participant_ids[0]"):
        admit_members(team(3, m0={"holds_place": True}))


def test_a_person_listed_twice_in_a_team_is_refused_as_a_duplicate_naming_both_mentions():
    with broken(RuleViolation, "duplicate_member", field="participant_ids[3]") as caught:
        admit_members(team(4, m3={"participant_id": "p1"}))
    assert "participant_ids[1]" in caught.value.detail


def test_the_first_broken_rule_in_member_order_is_the_one_reported():
    with broken(Conflict, "already_enrolled", field="participant_ids[1]"):
        admit_members(team(4, m1={"holds_place": True}, m3={"pcn_code": OTHER_PCN}))


def test_a_team_is_refused_whole_even_when_only_the_last_member_fails():
    # All-or-nothing: no list of admissions for the members before the failure.
    with broken(RuleViolation, "wrong_pcn", field="participant_ids[5]"):
        admit_members(team(6, m5={"pcn_code": None}), capacity=10)


def test_a_team_is_refused_when_the_offer_is_not_open():
    with broken(Conflict, "offer_not_open"):
        admit_members(team(2), status=OfferStatus.COMPLETED)


def test_an_empty_team_is_refused():
    with broken(RuleViolation, "required", field="participant_ids"):
        admit_members([])


@pytest.mark.parametrize("type_", [OfferType.REGIONAL_PROGRAMME, OfferType.ACTION_LEARNING_SET, OfferType.COACHING])
def test_only_a_pcn_team_offer_takes_a_team_enrolment(type_):
    with broken(RuleViolation, "not_a_team_offer", field="offer_id"):
        admit_team(open_offer(type_), team(1), confirmed_count=0, waitlist_length=0)


# --- Withdrawal -----------------------------------------------------------------------


def roster(confirmed=("c1", "c2"), waitlist=("w1", "w2", "w3"), others=()):
    """Enrolments of one offer: confirmed ids, waitlisted ids at positions 1.., and extras."""
    return (
        [Enrolment(i, EnrolmentStatus.CONFIRMED) for i in confirmed]
        + [Enrolment(i, EnrolmentStatus.WAITLISTED, n) for n, i in enumerate(waitlist, start=1)]
        + list(others)
    )


def positions(plan):
    return [(e.id, e.waitlist_position) for e in plan.waitlist]


def test_withdrawal_promotes_the_first_waitlisted_person():
    plan = plan_withdrawal(open_offer(), roster(), "c1")
    assert plan.withdrawn == Enrolment("c1", EnrolmentStatus.WITHDRAWN, None, WithdrawalReason.WITHDREW)
    assert plan.promoted == Enrolment("w1", EnrolmentStatus.CONFIRMED, None)


def test_a_withdrawal_records_the_reason_it_was_asked_for():
    plan = plan_withdrawal(open_offer(), roster(), "w1", WithdrawalReason.PARTICIPANT_ERASED)
    assert (plan.withdrawn.status, plan.withdrawn.reason) == (
        EnrolmentStatus.WITHDRAWN,
        WithdrawalReason.PARTICIPANT_ERASED,
    )


def test_after_a_promotion_the_waitlist_closes_up_from_one():
    plan = plan_withdrawal(open_offer(), roster(), "c1")
    assert positions(plan) == [("w2", 1), ("w3", 2)]
    assert all(e.status is EnrolmentStatus.WAITLISTED for e in plan.waitlist)


def test_promotion_goes_by_lowest_position_not_by_list_order():
    enrolments = [
        Enrolment("w3", "waitlisted", 3),
        Enrolment("c1", "confirmed"),
        Enrolment("w1", "waitlisted", 1),
        Enrolment("w2", "waitlisted", 2),
    ]
    plan = plan_withdrawal(open_offer(), enrolments, "c1")
    assert plan.promoted.id == "w1"
    assert positions(plan) == [("w2", 1), ("w3", 2)]


def test_withdrawing_from_the_waitlist_promotes_no_one_and_closes_the_gap():
    plan = plan_withdrawal(open_offer(), roster(), "w2")
    assert plan.withdrawn == Enrolment("w2", EnrolmentStatus.WITHDRAWN, None, "withdrew")
    assert plan.promoted is None
    assert positions(plan) == [("w1", 1), ("w3", 2)]


def test_withdrawing_with_an_empty_waitlist_promotes_no_one():
    plan = plan_withdrawal(open_offer(), roster(waitlist=()), "c2")
    assert plan.promoted is None
    assert plan.waitlist == ()


def test_a_started_regional_programme_still_promotes_from_its_waitlist():
    plan = plan_withdrawal(open_offer(status=OfferStatus.STARTED), roster(), "c1")
    assert plan.promoted.id == "w1"


def test_an_action_learning_set_promotes_while_it_is_published():
    plan = plan_withdrawal(open_offer(OfferType.ACTION_LEARNING_SET), roster(), "c1")
    assert plan.promoted.id == "w1"


@pytest.mark.parametrize("type_", [OfferType.ACTION_LEARNING_SET, OfferType.COACHING])
def test_a_started_closed_group_promotes_no_one_even_from_a_waitlist_kept_from_before_releases(type_):
    plan = plan_withdrawal(open_offer(type_, status=OfferStatus.STARTED), roster(), "c1")
    assert plan.withdrawn.status is EnrolmentStatus.WITHDRAWN
    assert plan.promoted is None
    assert positions(plan) == [("w1", 1), ("w2", 2), ("w3", 3)]


@pytest.mark.parametrize("status", [OfferStatus.COMPLETED, OfferStatus.CANCELLED])
def test_an_offer_that_is_over_promotes_no_one(status):
    plan = plan_withdrawal(open_offer(status=status), roster(), "c1")
    assert plan.promoted is None


def test_gaps_already_in_the_waitlist_are_repaired_by_renumbering():
    enrolments = roster(waitlist=()) + [
        Enrolment("w4", "waitlisted", 4),
        Enrolment("w7", "waitlisted", 7),
        Enrolment("w9", "waitlisted", 9),
    ]
    plan = plan_withdrawal(open_offer(), enrolments, "w7")
    assert positions(plan) == [("w4", 1), ("w9", 2)]


def test_withdrawn_and_completed_enrolments_stay_out_of_the_waitlist():
    others = [Enrolment("x1", EnrolmentStatus.WITHDRAWN), Enrolment("x2", EnrolmentStatus.COMPLETED)]
    plan = plan_withdrawal(open_offer(), roster(others=others), "w1")
    assert positions(plan) == [("w2", 1), ("w3", 2)]


@pytest.mark.parametrize("status", [EnrolmentStatus.WITHDRAWN, EnrolmentStatus.COMPLETED])
def test_an_enrolment_that_is_no_longer_active_cannot_be_withdrawn(status):
    enrolments = roster(others=[Enrolment("x1", status)])
    with broken(Conflict, "not_active", field="enrolment_id") as caught:
        plan_withdrawal(open_offer(), enrolments, "x1")
    assert caught.value.extra == {"enrolment_status": status.value}


def test_withdrawing_an_enrolment_the_offer_does_not_have_is_not_found():
    with broken(NotFound, "enrolment_not_found", field="enrolment_id"):
        plan_withdrawal(open_offer(), roster(), "nobody")


# --- Completion -----------------------------------------------------------------------


def attended(enrolment_id, present, status=EnrolmentStatus.CONFIRMED):
    return MemberAttendance(enrolment_id, status, present)


def test_a_member_who_attended_exactly_three_quarters_completes():
    assert select_completions([attended("e1", 3)], sessions_held=4) == ["e1"]


def test_a_member_below_the_threshold_does_not_complete():
    assert select_completions([attended("e1", 2), attended("e2", 4)], sessions_held=4) == ["e2"]


def test_nobody_completes_when_no_sessions_were_held():
    assert select_completions([attended("e1", 0)], sessions_held=0) == []


def test_only_confirmed_members_complete():
    members = [
        attended("w", 4, EnrolmentStatus.WAITLISTED),
        attended("x", 4, EnrolmentStatus.WITHDRAWN),
        attended("d", 4, EnrolmentStatus.COMPLETED),
        attended("c", 4, "confirmed"),
    ]
    assert select_completions(members, sessions_held=4) == ["c"]


def test_completions_come_back_in_the_order_given():
    members = [attended("e3", 6), attended("e1", 6), attended("e2", 5)]
    assert select_completions(members, sessions_held=6) == ["e3", "e1", "e2"]


def test_a_threshold_of_one_requires_every_held_session():
    members = [attended("all", 6), attended("most", 5)]
    assert select_completions(members, sessions_held=6, threshold=1) == ["all"]


def test_a_share_exactly_at_a_decimal_threshold_completes_despite_float_rounding():
    # 0.56 * 25 is 14.000000000000002 in floating point; 14 of 25 must still reach 0.56.
    assert select_completions([attended("e1", 14)], sessions_held=25, threshold=0.56) == ["e1"]


@pytest.mark.parametrize("threshold", [0, -0.5, 1.01, 2, float("nan"), True, "0.75", None])
def test_a_threshold_outside_zero_exclusive_to_one_inclusive_is_refused(threshold):
    with broken(RuleViolation, "invalid_threshold", field="threshold"):
        select_completions([attended("e1", 4)], sessions_held=4, threshold=threshold)


def test_the_threshold_is_checked_even_when_no_sessions_were_held():
    with broken(RuleViolation, "invalid_threshold"):
        select_completions([], sessions_held=0, threshold=0)


# --- Changing an offer ------------------------------------------------------------------


@pytest.mark.parametrize("status", [OfferStatus.DRAFT, OfferStatus.PUBLISHED])
def test_a_draft_or_published_offer_takes_changes_to_its_details(status):
    changed = validate_offer_change(
        make_offer(OfferType.ACTION_LEARNING_SET, status=status, capacity=6),
        {"title": "Estates", "capacity": 7, "basis": "place"},
        confirmed_count=6,
    )
    assert (changed.title, changed.capacity, changed.basis, changed.status) == (
        "Estates",
        7,
        LearningSetBasis.PLACE,
        status,
    )


@pytest.mark.parametrize("status", [OfferStatus.STARTED, OfferStatus.COMPLETED, OfferStatus.CANCELLED])
def test_an_offer_that_has_started_or_ended_takes_no_changes(status):
    with broken(Conflict, "offer_not_editable") as caught:
        validate_offer_change(make_offer(status=status), {"title": "Later"}, confirmed_count=0)
    assert caught.value.extra == {"offer_status": status.value}


@pytest.mark.parametrize(
    "field, value",
    [("region", SOUTH_WEST), ("type", OfferType.COACHING), ("pcn_code", PCN), ("status", "started"), ("id", "x")],
)
def test_what_decides_eligibility_cannot_be_changed(field, value):
    with broken(RuleViolation, "not_editable", field=field):
        validate_offer_change(make_offer(), {field: value}, confirmed_count=0)


def test_a_changed_offer_keeps_every_rule_of_a_new_one():
    with broken(RuleViolation, "learning_set_capacity", field="capacity"):
        validate_offer_change(make_offer(OfferType.ACTION_LEARNING_SET), {"capacity": 9}, confirmed_count=0)
    with broken(RuleViolation, "invalid_dates", field="ends_on"):
        validate_offer_change(make_offer(), {"ends_on": date(2024, 12, 31)}, confirmed_count=0)


def test_a_pcn_team_offer_can_be_changed_without_looking_its_pcn_up_again():
    changed = validate_offer_change(make_offer(OfferType.PCN_TEAM), {"capacity": 12}, confirmed_count=3)
    assert changed.capacity == 12 and changed.pcn_code == PCN


def test_capacity_cannot_drop_below_the_places_already_confirmed():
    offer = make_offer(status=OfferStatus.PUBLISHED, capacity=20)
    assert validate_offer_change(offer, {"capacity": 12}, confirmed_count=12).capacity == 12
    with broken(Conflict, "capacity_below_confirmed", field="capacity") as caught:
        validate_offer_change(offer, {"capacity": 11}, confirmed_count=12)
    assert caught.value.extra == {"confirmed": 12}


# --- Filling places that came free ------------------------------------------------------


def test_free_places_go_to_the_front_of_the_waitlist_and_the_rest_close_up():
    plan = plan_promotions(open_offer(capacity=4), roster(confirmed=("c1", "c2"), waitlist=("w1", "w2", "w3")))
    assert [(e.id, e.status, e.waitlist_position) for e in plan.promoted] == [
        ("w1", EnrolmentStatus.CONFIRMED, None),
        ("w2", EnrolmentStatus.CONFIRMED, None),
    ]
    assert positions(plan) == [("w3", 1)]


def test_more_free_places_than_people_waiting_promotes_everyone_waiting():
    plan = plan_promotions(open_offer(capacity=10), roster(confirmed=("c1",), waitlist=("w1", "w2")))
    assert [e.id for e in plan.promoted] == ["w1", "w2"] and plan.waitlist == ()


def test_a_full_offer_promotes_no_one():
    plan = plan_promotions(open_offer(capacity=2), roster())
    assert plan.promoted == () and positions(plan) == [("w1", 1), ("w2", 2), ("w3", 3)]


def test_a_started_closed_group_promotes_no_one_into_free_places():
    plan = plan_promotions(open_offer(OfferType.ACTION_LEARNING_SET, status=OfferStatus.STARTED, capacity=8), roster())
    assert plan.promoted == ()


# --- Placing a participant ----------------------------------------------------------------


def test_a_participants_region_is_their_pcns():
    assert place_participant(pcn_code=PCN, pcn_region=SOUTH_WEST) == SOUTH_WEST
    assert (
        place_participant(
            pcn_code=PCN, pcn_region=LONDON, practice_code="F83011", practice_pcn=PCN, scope_region=LONDON
        )
        == LONDON
    )


@pytest.mark.parametrize(
    "changes, error, rule, field",
    [
        ({"pcn_code": "U123"}, RuleViolation, "invalid_ods_code", "pcn_code"),
        ({"practice_code": "F8301"}, RuleViolation, "invalid_ods_code", "practice_code"),
        ({"pcn_region": None}, NotFound, "pcn_not_found", "pcn_code"),
        ({"scope_region": SOUTH_WEST}, RuleViolation, "wrong_region", "pcn_code"),
        ({"practice_pcn": None}, NotFound, "practice_not_found", "practice_code"),
        ({"practice_pcn": OTHER_PCN}, RuleViolation, "practice_not_in_pcn", "practice_code"),
    ],
)
def test_a_participant_is_placed_only_in_a_known_pcn_of_the_administrators_region(changes, error, rule, field):
    arguments = {
        "pcn_code": PCN,
        "pcn_region": LONDON,
        "practice_code": "F83011",
        "practice_pcn": PCN,
        "scope_region": LONDON,
        **changes,
    }
    with broken(error, rule, field=field):
        place_participant(**arguments)
